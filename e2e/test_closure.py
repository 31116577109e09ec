"""Closing, in Chromium (issue 17): a parent asks to close a child's profile and the whole account, reads
what goes and what stays, then cancels each from the banner shown after signing in again. Every page is
checked with axe, and none scrolls sideways at 180 CSS px."""

import pytest

from .conftest import axe_check, login, logout, register
from .test_reflow import WIDER, ZOOMED

pytestmark = pytest.mark.e2e


def _no_sideways_scroll(page):
    size = page.viewport_size
    page.set_viewport_size(ZOOMED)
    assert page.evaluate(WIDER) is None, page.url
    page.set_viewport_size(size)


def _child(page, base) -> str:
    page.goto(f"{base}/profiles/new")
    page.get_by_label("Prénom").fill("Léa")
    page.get_by_label("Date de naissance").fill("2019-04-02")
    page.get_by_role("button", name="Créer le profil").click()
    page.wait_for_url(f"{base}/p/*/")
    return page.url.rstrip("/").rsplit("/", 1)[1]


def test_a_parent_closes_a_child_profile_then_cancels_it_from_the_banner(page, live_server, unique_email):
    base = live_server.url
    register(page, base, unique_email, name="Claire Martin")
    pid = _child(page, base)
    page.get_by_role("link", name="Fermer ce profil").click()
    page.wait_for_url(f"{base}/p/{pid}/close")
    assert page.get_by_role("heading", name="Ce qui sera effacé").is_visible()
    assert page.get_by_role("heading", name="Ce qui est gardé").is_visible()
    axe_check(page)
    _no_sideways_scroll(page)
    page.get_by_role("button", name="Fermer le profil").click()  # the box not ticked: refused, said why
    assert page.get_by_text("Cochez la case pour dire que vous avez compris.").is_visible()
    axe_check(page)
    page.get_by_label("J’ai compris", exact=False).check()
    page.get_by_role("button", name="Fermer le profil").click()
    page.wait_for_url(f"{base}/p/{pid}/close")
    assert page.get_by_text("La fermeture est demandée.", exact=False).is_visible()
    assert page.get_by_role("button", name="Annuler la fermeture").is_visible()
    axe_check(page)
    _no_sideways_scroll(page)

    logout(page)
    login(page, base, unique_email)
    page.wait_for_url(f"{base}/")
    banner = page.locator("section.closing")
    assert "Le profil de Léa" in banner.inner_text() and "sera effacé le" in banner.inner_text()
    axe_check(page)
    _no_sideways_scroll(page)
    banner.get_by_role("button", name="Annuler la fermeture").click()
    assert page.get_by_text("La fermeture est annulée. Rien n’a été effacé.").is_visible()
    page.goto(f"{base}/")
    assert page.locator("section.closing").count() == 0
    page.goto(f"{base}/p/{pid}/")
    assert page.get_by_role("heading", name="Léa").is_visible()


def test_an_account_closure_is_asked_and_cancelled_after_signing_in(page, live_server, unique_email):
    base = live_server.url
    register(page, base, unique_email, name="Claire Martin")
    page.goto(f"{base}/account/security/")
    page.get_by_role("link", name="Fermer mon compte").click()
    page.wait_for_url(f"{base}/account/close")
    assert page.get_by_text("Votre adresse e-mail redevient libre", exact=False).is_visible()
    axe_check(page)
    _no_sideways_scroll(page)
    page.get_by_label("J’ai compris", exact=False).check()
    page.get_by_role("button", name="Fermer mon compte").click()
    page.wait_for_url(f"{base}/account/close")
    assert page.get_by_text("Votre compte sera effacé le", exact=False).first.is_visible()
    axe_check(page)
    logout(page)
    login(page, base, unique_email)
    page.wait_for_url(f"{base}/")
    page.locator("section.closing").get_by_role("button", name="Annuler la fermeture").click()
    page.wait_for_url(f"{base}/account/close")
    assert page.get_by_text("La fermeture est annulée.", exact=False).is_visible()
    assert page.get_by_role("button", name="Fermer mon compte").is_visible()  # open again, nothing lost
