"""The family agenda in Chromium: after a visit online, the device keeps it (the worker's sync fetches it
from the account's manifest) and it opens without network with everyone on it; axe finds nothing on the
family pages, in French and in English. Also, a saved copy goes once the access to one of its people ends."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from companion.extensions import db
from companion.models.account import User
from companion.models.delegation import Delegation
from companion.models.types import utcnow
from companion.services import accounts
from tests.cast import make_delegation, make_person, make_profile

from .conftest import axe_check, born, register, wait_for_service_worker

pytestmark = pytest.mark.e2e


def _family(live_server, email):
    """The registered account (Anna) gets a baby, Jules, and helps Louis with his agenda."""
    with live_server.app.app_context():
        anna = db.session.scalar(select(User).where(User.email == email))
        make_profile(anna, "Jules", "Petit", birth_date=date.today() - timedelta(days=100), sex="M")
        louis = make_person("louis", email=f"louis-{email}", with_birth=True)
        make_delegation(accounts.own_profile(louis).id, anna, "agenda")
        db.session.commit()


def _saved(page, path):
    """The saved copy's text, or "" when the device keeps none."""
    return page.evaluate("""async (path) => { for (const k of await caches.keys()) {
        const hit = k.startsWith('acct-') && await (await caches.open(k)).match(path, {ignoreVary: true});
        if (hit) return await hit.text(); }
      return ""; }""", path)


def test_the_family_agenda_opens_offline_after_a_visit_online(page, context, live_server, unique_email):
    base = live_server.url
    register(page, base, unique_email)
    born(live_server, unique_email)
    _family(live_server, unique_email)
    page.goto(base + "/")
    wait_for_service_worker(page)
    page.reload()  # controlled now: the worker's sync keeps the pages of the manifest, the family agenda too
    for _ in range(100):
        if _saved(page, "/family"):
            break
        page.wait_for_timeout(100)
    assert _saved(page, "/family"), "the sync did not keep the family agenda"
    page.get_by_role("link", name="Agenda de la famille").click()
    page.get_by_role("heading", name="Agenda de la famille", level=1).wait_for()
    axe_check(page)

    context.set_offline(True)
    resp = page.reload()
    assert resp is not None and resp.from_service_worker
    for name in ("Anna Petit", "Jules Petit", "Louis Bernard"):
        assert page.get_by_role("heading", name=name, level=2).is_visible()
    assert page.locator("section.person.helped").get_by_text("Vous aidez cette personne").is_visible()
    assert page.locator("#offline-notice").is_visible()
    context.set_offline(False)

    # Louis ends the help: the next answer's profile list makes the worker drop the saved page (the sync
    # may then keep a fresh one, without him).
    with live_server.app.app_context():
        db.session.scalar(select(Delegation)
                          .where(Delegation.caregiver_id == select(User.id).where(User.email == unique_email)
                                 .scalar_subquery())).revoked_at = utcnow()
        db.session.commit()
    page.goto(base + "/on-this-phone")
    for _ in range(50):
        if "Louis" not in _saved(page, "/family"):
            break
        page.wait_for_timeout(100)
    assert "Louis" not in _saved(page, "/family")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_family_pages_have_no_accessibility_violations(page, live_server, unique_email, lang):
    base = live_server.url
    register(page, base, unique_email)
    born(live_server, unique_email)
    _family(live_server, unique_email)
    if lang == "en":
        page.get_by_role("button", name="English").click()
    with live_server.app.app_context():
        anna = db.session.scalar(select(User).where(User.email == unique_email))
        child = make_profile(anna, "Léa", "Petit", birth_date=date.today() - timedelta(days=15 * 365 - 30),
                             stage="teen_soon")
        db.session.commit()
        child_id = child.id
    for path in ("/", "/family", "/family/join", f"/p/{child_id}/growing-up"):
        page.goto(base + path)
        axe_check(page)
    page.goto(f"{base}/p/{child_id}/growing-up")
    page.get_by_role("button", name="Make a login code" if lang == "en" else "Faire un code d’accès").click()
    page.locator(".code").wait_for()
    axe_check(page)
