"""A share opened by a health professional in another browser with no account: it shows exactly what was
shared (decrypted in that browser), by link or by short code, stops at revocation and at expiry, and the
owner's access log shows the openings."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from companion.demo.documents import make_pdf
from companion.extensions import db
from companion.models.account import User
from companion.models.profile import Profile
from companion.models.share import ClinicianShare
from companion.models.types import utcnow
from companion.services import documents, emergency_card
from companion.services.access import find_access

from .conftest import PHONE, axe_check, register

pytestmark = pytest.mark.e2e


def _card_and_documents(app, email) -> int:
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == email))
        access = find_access(user, db.session.scalar(select(Profile.id).where(Profile.user_id == user.id)))
        emergency_card.update(access, user, allergies="pénicilline (plaques rouges)\n<b>iode</b>",
                              blood_group="O-")
        for title in ("Lettre du cardiologue", "Bilan privé"):
            documents.add(access, user, make_pdf(title, [title]), title=title, type_code="11490-0")
        db.session.commit()
        return access.profile.id


def _make_share(page, base, pid, lifetime="1 jour"):
    page.goto(f"{base}/p/{pid}/shares")
    page.get_by_label("Lettre du cardiologue").check()
    page.get_by_label(lifetime, exact=True).check()
    page.get_by_role("button", name="Créer le QR code").click()
    expect(page.get_by_role("img", name="QR code pour ouvrir le partage")).to_be_visible()
    return page.get_by_label("Le lien, à envoyer").input_value(), page.locator("#share-code").inner_text()


def test_a_share_opens_with_no_account_shows_what_was_shared_and_stops(
        page, browser, live_server, unique_email):
    base, app = live_server.url, live_server.app
    register(page, base, unique_email, name="Louis Bernard")
    pid = _card_and_documents(app, unique_email)
    link, code = _make_share(page, base, pid)
    axe_check(page)
    # The link is made on COMPANION_PUBLIC_ORIGIN (here the default http://localhost:5000): the test's
    # server listens elsewhere.
    assert link.startswith(app.config["PUBLIC_ORIGIN"] + "/s/") and "#" in link
    link = base + link[link.index("/s/"):]

    clinician_ctx = browser.new_context(viewport=PHONE, locale="fr-FR")
    doctor = clinician_ctx.new_page()
    doctor.goto(link)
    expect(doctor.get_by_text("pénicilline (plaques rouges)")).to_be_visible()
    expect(doctor.get_by_text("<b>iode</b>")).to_be_visible()  # shown as text, never as markup
    expect(doctor.get_by_text("Lettre du cardiologue")).to_be_visible()
    expect(doctor.get_by_text("Bilan privé")).to_have_count(0)
    expect(doctor.locator("#share-status")).to_contain_text("Partagé le")
    axe_check(doctor)

    doctor.get_by_label("Nom du document").fill("Courrier du Dr Martin")
    letter = {"name": "courrier.pdf", "mimeType": "application/pdf",
              "buffer": make_pdf("courrier", ["Lettre"])}
    doctor.get_by_label("Fichier").set_input_files(files=[letter])
    doctor.get_by_role("button", name="Déposer le document").click()
    expect(doctor.get_by_role("heading", name="Merci : le document a été déposé")).to_be_visible()
    doctor.go_back()
    expect(doctor.get_by_text("pénicilline (plaques rouges)")).to_be_visible()

    by_code = clinician_ctx.new_page()
    by_code.goto(f"{base}/s")
    by_code.get_by_label("Le code que la personne vous montre").fill(code.lower())
    by_code.get_by_role("button", name="Ouvrir").click()
    expect(by_code.get_by_text("pénicilline (plaques rouges)")).to_be_visible()

    page.goto(f"{base}/p/{pid}/access-log")
    expect(page.get_by_text("a ouvert ce qui lui a été partagé").first).to_be_visible()
    assert page.get_by_text("a ouvert ce qui lui a été partagé").count() == 3  # link, back, code
    expect(page.get_by_text("a déposé un document par un partage")).to_be_visible()
    page.goto(f"{base}/p/{pid}/documents")
    expect(page.get_by_text("Courrier du Dr Martin")).to_be_visible()

    page.goto(f"{base}/p/{pid}/shares")
    page.get_by_role("button", name="Arrêter ce partage").click()
    doctor.reload()
    expect(doctor.locator("#share-status")).to_contain_text("Ce partage est terminé")
    expect(doctor.get_by_text("pénicilline")).to_have_count(0)

    later, _ = _make_share(page, base, pid, lifetime="15 minutes")
    doctor.goto(base + later[later.index("/s/"):])
    expect(doctor.get_by_text("pénicilline (plaques rouges)")).to_be_visible()
    with app.app_context():
        for share in db.session.scalars(select(ClinicianShare).where(ClinicianShare.profile_id == pid)):
            share.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    doctor.reload()
    expect(doctor.locator("#share-status")).to_contain_text("Ce partage est terminé")
    clinician_ctx.close()
