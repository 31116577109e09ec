"""Assisted recovery with the owner in control, in a real Chromium at 360 x 740 (issue 12): someone at a
France Services counter redeems a recovery code; they are told plainly when it would take effect and
cannot get in; the owner, signed in on her phone, sees the banner and the request, and cancels it.
axe runs on every new page, in French and in English."""

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from companion.extensions import db
from companion.models.onboarding import Structure
from companion.models.types import utcnow
from companion.services import accounts, assisted_recovery, recovery_hold

from .conftest import PHONE, axe_check, login, register

pytestmark = pytest.mark.e2e

T = {
    "fr": {"banner": "Quelqu’un a demandé un nouveau mot de passe pour votre compte",
           "check": "Vérifier maintenant", "cancel": "Non, annuler", "yes": "Oui, c’est moi",
           "stopped": "C’est arrêté", "email": "Adresse e-mail",
           "code": "Le code de récupération donné par France Services",
           "new_password": "Choisissez un nouveau mot de passe",
           "set_password": "Enregistrer mon nouveau mot de passe",
           "waiting": "Votre nouveau mot de passe marchera à partir du",
           "told": "envoyé un message aux téléphones et à l’adresse e-mail",
           "refused": "ne correspondent pas", "none": "Aucune demande n’est en attente"},
    "en": {"banner": "Someone asked for a new password for your account", "check": "Check now",
           "cancel": "No, cancel it", "yes": "Yes, it is me", "stopped": "Stopped.",
           "email": "E-mail address",
           "code": "The recovery code your advisor gave you", "new_password": "Choose a new password",
           "set_password": "Set my new password", "waiting": "Your new password will work from",
           "told": "sent a message to the phones and to the e-mail address",
           "refused": "do not match", "none": "No request is waiting"},
}
NEW_PASSWORD = "un tout nouveau départ"


def _code_for(live_server, email: str) -> str:
    """A mediator who checked an identity document at the desk gives a recovery code."""
    with live_server.app.test_request_context():
        structure = db.session.query(Structure).filter_by(name="France Services de Guéret").one_or_none()
        if structure is None:
            structure = Structure(name="France Services de Guéret", commune_code="23096")
            db.session.add(structure)
            db.session.flush()
        mediator = accounts.register(f"med-{uuid.uuid4().hex[:8]}@fs.example.fr", "une phrase facile",
                                     "Karim Benali", role="mediator", cost=(1, 1024))
        mediator.structure_id = structure.id
        _row, code = assisted_recovery.issue(mediator, email, True, daily_limit=5)
        db.session.commit()
        return code


def _login_in_english(page, base, email, password):
    page.goto(f"{base}/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_owner_cancels_a_recovery_and_the_person_at_the_counter_cannot_get_in(
        browser, page, context, live_server, unique_email, lang):
    t, base = T[lang], live_server.url
    context.add_cookies([{"name": "lang", "value": lang, "url": base}])
    if lang == "fr":
        register(page, base, unique_email)
    else:
        _register_en(page, base, unique_email)
    code = _code_for(live_server, unique_email)

    counter = browser.new_context(viewport=PHONE, locale="fr-FR")
    counter.add_cookies([{"name": "lang", "value": lang, "url": base}])
    desk = counter.new_page()
    desk.goto(f"{base}/onboarding/recover")
    desk.get_by_label(t["email"]).fill(unique_email)
    desk.get_by_label(t["code"]).fill(code)
    desk.get_by_label(t["new_password"]).fill(NEW_PASSWORD)
    desk.get_by_role("button", name=t["set_password"]).click()
    desk.wait_for_url(re.compile(r"/onboarding/recover/waiting$"))
    expect(desk.get_by_text(t["waiting"])).to_be_visible()
    expect(desk.get_by_text(t["told"])).to_be_visible()
    axe_check(desk)
    _try_to_get_in(desk, base, unique_email, lang, t)

    # The owner, signed in on her phone all along, sees the banner on her next page.
    page.goto(f"{base}/")
    expect(page.get_by_text(t["banner"])).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name=t["check"]).click()
    page.wait_for_url(re.compile(r"/account/recovery-requests$"))
    expect(page.get_by_role("button", name=t["yes"])).to_be_visible()
    axe_check(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scroll
    page.get_by_role("button", name=t["cancel"]).click()
    expect(page.get_by_text(t["stopped"])).to_be_visible()
    expect(page.get_by_text(t["none"])).to_be_visible()
    expect(page.get_by_text(t["banner"])).to_have_count(0)
    axe_check(page)

    # Even after the hold, the cancelled request never applies: the counter still cannot get in.
    with live_server.app.app_context():
        assert recovery_hold.apply_due(utcnow() + timedelta(days=30)) == 0
    _try_to_get_in(desk, base, unique_email, lang, t)
    counter.close()


def _try_to_get_in(desk, base, email, lang, t):
    if lang == "fr":
        login(desk, base, email, NEW_PASSWORD)
    else:
        _login_in_english(desk, base, email, NEW_PASSWORD)
    expect(desk.get_by_text(t["refused"])).to_be_visible()
    assert desk.url.endswith("/login")


def _register_en(page, base, email):
    page.goto(f"{base}/register")
    page.get_by_label("Your first and last name").fill("Anna Petit")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Choose a password").fill("une phrase facile")
    page.get_by_role("button", name="Create my space").click()
    page.wait_for_url(f"{base}/")
