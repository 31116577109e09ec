""""Show when locked" (issue 16): on her own phone the owner lets her emergency card open without
signing in. After signing out, offline, the card opens from the signed-out page and from the start
screen, the documents and the agenda do not; turning it off, and a lost-phone wipe (sign out everywhere
else, from another browser), remove it."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import axe_check, logout, register, sign_out_elsewhere, wait_for_service_worker
from .test_emergency_card import _fill_card

pytestmark = pytest.mark.e2e

LOCK_KEPT = "async () => !!(await caches.match('/emergency', {cacheName: 'companion-lockcard'}))"
ACCOUNT_CACHES = "async () => (await caches.keys()).filter((k) => k.startsWith('acct-')).length"
WARNING = "toute personne qui tient ce téléphone peut lire cette carte"


def _until(page, script, want=True, tries=60):
    for _ in range(tries):
        if page.evaluate(script) == want:
            return True
        page.wait_for_timeout(250)
    return False


def _card_page_opted_in(page, base, app, email) -> int:
    register(page, base, email, name="Louis Bernard")
    profile_id = _fill_card(app, email)
    wait_for_service_worker(page)
    page.goto(f"{base}/p/{profile_id}/emergency")
    section = page.get_by_role("region", name="Afficher sans connexion")
    expect(section.get_by_text(re.compile("^Désactivé"))).to_be_visible()
    expect(section.get_by_text("toute personne qui tient ce téléphone peut lire cette carte")).to_be_visible()
    section.get_by_role("button", name="Afficher cette carte sans connexion").click()
    expect(section.get_by_text(re.compile("^Activé"))).to_be_visible()
    assert _until(page, LOCK_KEPT)
    axe_check(page)
    return profile_id


def test_after_signing_out_offline_the_card_opens_and_nothing_else(page, context, live_server, unique_email):
    base, app = live_server.url, live_server.app
    profile_id = _card_page_opted_in(page, base, app, unique_email)
    page.goto(f"{base}/p/{profile_id}/agenda")  # kept for the account while signed in
    page.goto(f"{base}/p/{profile_id}/documents")
    logout(page)
    expect(page.get_by_role("heading", name="Vous êtes déconnecté")).to_be_visible()
    assert _until(page, ACCOUNT_CACHES, 0), "the account's copies were not wiped at sign-out"
    assert page.evaluate(LOCK_KEPT), "an ordinary sign-out removed the card kept to show when locked"

    context.set_offline(True)
    page.get_by_role("link", name="Carte d’urgence (si vous avez choisi").click()
    expect(page.get_by_role("heading", name="Carte d’urgence")).to_be_visible()
    expect(page.get_by_text("pénicilline (plaques rouges)")).to_be_visible()
    expect(page.get_by_text(WARNING)).to_be_visible()
    assert page.get_by_role("link").count() == 0  # the card alone: no way into the account from here
    axe_check(page)

    page.goto(f"{base}/?source=pwa")  # the installed app's start screen, signed out, offline
    expect(page.get_by_role("heading", name="Vous êtes hors connexion")).to_be_visible()
    page.get_by_role("link", name="Carte d’urgence (si vous avez choisi").click()
    expect(page.get_by_text("pénicilline (plaques rouges)")).to_be_visible()
    for area in ("agenda", "documents"):
        page.goto(f"{base}/p/{profile_id}/{area}")
        expect(page.get_by_role("heading", name="Vous êtes hors connexion")).to_be_visible()
        assert "Louis Bernard" not in page.content()
    context.set_offline(False)


def test_turning_it_off_removes_it(page, context, live_server, unique_email):
    base, app = live_server.url, live_server.app
    _card_page_opted_in(page, base, app, unique_email)
    section = page.get_by_role("region", name="Afficher sans connexion")
    section.get_by_role("button", name="Ne plus l’afficher sans connexion").click()
    expect(section.get_by_text(re.compile("^Désactivé"))).to_be_visible()
    assert not page.evaluate(LOCK_KEPT)
    context.set_offline(True)
    page.goto(f"{base}/emergency")
    assert "pénicilline" not in page.content()
    context.set_offline(False)


def test_a_lost_phone_signed_out_from_elsewhere_forgets_the_card(
        page, context, browser, live_server, unique_email):
    base, app = live_server.url, live_server.app
    _card_page_opted_in(page, base, app, unique_email)

    sign_out_elsewhere(browser, base, unique_email)

    page.goto(f"{base}/")  # the lost phone's next answer: signed out from elsewhere, forget everything
    assert _until(page, LOCK_KEPT, False), "the lost phone still shows the card without signing in"
    context.set_offline(True)
    page.goto(f"{base}/emergency")
    assert "pénicilline" not in page.content()
    context.set_offline(False)
