"""The emergency card opens with no network from the start screen, on the owner's phone and on the
phone of a caregiver who may read it: the worker's sync keeps it without the card ever being opened."""

import io
from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from companion.extensions import db
from companion.models.account import User
from companion.models.audit import AccessEvent
from companion.models.delegation import Delegation
from companion.models.profile import Profile
from companion.models.types import utcnow
from companion.services import documents, emergency_card
from companion.services.access import find_access

from .conftest import axe_check, register, wait_for_service_worker

pytestmark = pytest.mark.e2e

CARD_SAVED = """async (path) => {
  const keys = await caches.keys();
  for (const k of keys.filter((k) => k.startsWith('acct-'))) {
    for (const r of await (await caches.open(k)).keys()) if (new URL(r.url).pathname === path) return true;
  }
  return false;
}"""
SYNC = "() => navigator.serviceWorker.controller.postMessage({type: 'sync'})"


def _until(page, script, arg, tries=60):
    for _ in range(tries):
        if page.evaluate(script, arg):
            return True
        page.wait_for_timeout(250)
    return False


def _fill_card(app, email) -> int:
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == email))
        access = find_access(user, db.session.scalar(select(Profile.id).where(Profile.user_id == user.id)))
        emergency_card.update(access, user, blood_group="O-", allergies="pénicilline (plaques rouges)",
                              treatments="Kardegic 75 mg", contacts="Sophie Bernard, 06 12 34 56 78")
        db.session.commit()
        return access.profile.id


def _offline_from_start_screen(page, context, base, profile_id, profile_name):
    path = f"/p/{profile_id}/emergency"
    kept = _until(page, CARD_SAVED, path) or (page.evaluate(SYNC) or _until(page, CARD_SAVED, path))
    assert kept, "the card was not kept on this phone"
    context.set_offline(True)
    page.goto(f"{base}/?source=pwa")
    card = page.locator("li.card", has_text=profile_name)
    card.get_by_role("link", name="Carte d’urgence").click()
    expect(page.get_by_role("heading", name="Carte d’urgence")).to_be_visible()
    expect(page.get_by_text("pénicilline (plaques rouges)")).to_be_visible()
    expect(page.locator("#offline-notice")).to_be_visible()
    context.set_offline(False)


def test_the_card_opens_offline_from_the_start_screen_for_the_owner_and_a_caregiver(
        page, context, browser, live_server, unique_email):
    base, app = live_server.url, live_server.app
    register(page, base, unique_email, name="Louis Bernard")
    profile_id = _fill_card(app, unique_email)
    wait_for_service_worker(page)
    page.evaluate(SYNC)
    _offline_from_start_screen(page, context, base, profile_id, "Louis Bernard")
    page.goto(f"{base}/p/{profile_id}/emergency")
    axe_check(page)

    carer_context = browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
    carer = carer_context.new_page()
    carer_email = "aidante-" + unique_email
    register(carer, base, carer_email, name="Sophie Bernard")
    with app.app_context():
        sophie = db.session.scalar(select(User).where(User.email == carer_email))
        db.session.add(Delegation(profile_id=profile_id, caregiver_id=sophie.id, scopes="documents:read",
                                  accepted_at=utcnow(), expires_at=utcnow() + timedelta(days=30)))
        db.session.commit()
        sophie_id = sophie.id
    wait_for_service_worker(carer)
    carer.goto(f"{base}/?source=pwa")  # she never opens the card: the sync keeps it
    carer.evaluate(SYNC)
    _offline_from_start_screen(carer, carer_context, base, profile_id, "Louis Bernard")
    carer_context.close()
    with app.app_context():  # no document to copy: the worker still asked a token for the card alone
        logged = list(db.session.scalars(select(AccessEvent.action).where(AccessEvent.actor_id == sophie_id)))
    assert "emergency.copied_offline" in logged and "emergency.view" not in logged, logged


FILE_SAVED = """async (path) => {
  for (const k of (await caches.keys()).filter((k) => k.startsWith('acct-'))) {
    if (await (await caches.open(k)).match(path)) return true;
  }
  return false;
}"""


def test_the_pharmacy_counter_screen_opens_offline_with_the_prescription(
        page, context, live_server, unique_email):
    base, app = live_server.url, live_server.app
    register(page, base, unique_email, name="Louis Bernard")
    profile_id = _fill_card(app, unique_email)
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == unique_email))
        out = io.BytesIO()
        Image.new("RGB", (120, 160), "white").save(out, format="PNG")
        doc = documents.add(find_access(user, profile_id), user, out.getvalue(),
                            title="Ordonnance Dr Lemoine", type_code="57833-6").document
        db.session.commit()
        doc_file = f"/p/{profile_id}/documents/{doc.id}/file"
    wait_for_service_worker(page)
    page.goto(f"{base}/p/{profile_id}/counter")
    page.get_by_label("L’ordonnance en cours").select_option(label="Ordonnance Dr Lemoine")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("img", name="L’ordonnance : Ordonnance Dr Lemoine")).to_be_visible()
    axe_check(page)
    page.evaluate(SYNC)
    assert _until(page, FILE_SAVED, doc_file) and _until(page, CARD_SAVED, f"/p/{profile_id}/counter")

    context.set_offline(True)
    page.goto(f"{base}/?source=pwa")
    page.locator("li.card", has_text="Louis Bernard").get_by_role("link", name="Carte d’urgence").click()
    page.get_by_role("link", name="Au comptoir de la pharmacie").click()
    expect(page.get_by_role("heading", name="Au comptoir de la pharmacie")).to_be_visible()
    image = page.get_by_role("img", name="L’ordonnance : Ordonnance Dr Lemoine")
    expect(image).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", image.element_handle()) == 120
    context.set_offline(False)
