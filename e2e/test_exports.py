"""In Chromium: the owner asks for the archive of her profile, sees it being made, reloads (no script
needed) until it is ready, downloads it; then brings its health summary into her child's profile
through the review page. Every page passes axe and none scrolls sideways at 180 CSS px."""

import io
import json
import zipfile
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from companion import tasks
from companion.extensions import db
from companion.models.account import User
from companion.models.emergency import EmergencyCard
from companion.models.profile import Profile, ProfileOwner
from companion.services import agenda_store, documents, emergency_card
from companion.services.access import find_access
from tests.documents_support import PDF

from .conftest import PHONE, axe_check, born, register
from .test_reflow import WIDER, ZOOMED

pytestmark = pytest.mark.e2e


def _fill(app, email: str, pid: int) -> int:
    """A document, the card and one vaccination; a child profile (born 2015) she also manages."""
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == email))
        access = find_access(user, pid)
        documents.add(access, user, PDF, title="Bilan sanguin")
        emergency_card.update(access, user, allergies="Pénicilline", treatments="Ventoline",
                              conditions="Asthme")
        agenda_store.mark_done(access, user, "ADU_FLU", date(2025, 11, 3), date(2026, 1, 1))
        child = Profile(first_name="Léa", last_name="Martin", birth_date=date(1990, 1, 1), sex="F")
        db.session.add(child)
        db.session.flush()
        db.session.add(ProfileOwner(profile_id=child.id, user_id=user.id, relation="parent"))
        db.session.commit()
        return child.id


def _work_the_queue(app) -> int:
    return tasks.drain(tasks.for_app(app).queue)


def _narrow_fits(page) -> None:
    size = page.viewport_size
    page.set_viewport_size(ZOOMED)
    assert page.evaluate(WIDER) is None, page.url
    page.set_viewport_size(size)


def test_download_everything_then_bring_the_summary_into_another_profile(page, live_server, unique_email):
    base, app = live_server.url, live_server.app
    register(page, base, unique_email)
    pid = born(live_server, unique_email)
    child = _fill(app, unique_email, pid)

    page.goto(f"{base}/p/{pid}")
    page.get_by_role("link", name="Télécharger toutes les données").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Télécharger toutes les données")
    expect(page.get_by_text("Taille prévue : environ")).to_be_visible()
    axe_check(page)
    _narrow_fits(page)
    page.get_by_role("button", name="Préparer mon archive").click()
    expect(page.get_by_text("Votre archive est en préparation : étape 0 sur 5.")).to_be_visible()
    axe_check(page)
    assert _work_the_queue(app) == 1
    # The page looks again by itself (static/js/export.js) and shows the link, without a reload.
    expect(page.get_by_text("Votre archive est prête")).to_be_visible(timeout=15_000)
    axe_check(page)
    _narrow_fits(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger l’archive").click()
    archive = zipfile.ZipFile(io.BytesIO(open(info.value.path(), "rb").read()))
    assert "documents/Bilan sanguin.pdf" in archive.namelist()
    assert archive.read("documents/Bilan sanguin.pdf") == PDF
    summary = archive.read("resume-sante-ips.json")
    assert json.loads(summary)["type"] == "document"

    page.goto(f"{base}/p/{child}/export")
    page.get_by_role("link", name="Ajouter un résumé de santé venu d’ailleurs (fichier IPS)").click()
    axe_check(page)
    page.get_by_label("Fichier du résumé de santé (.json)").set_input_files(
        {"name": "resume.json", "mimeType": "application/json", "buffer": summary})
    page.get_by_role("button", name="Voir ce qu’il contient").click()
    expect(page.get_by_text("4 nouvelles lignes à ajouter")).to_be_visible()
    axe_check(page)
    _narrow_fits(page)
    page.get_by_role("checkbox", name="Ventoline").uncheck()
    page.get_by_role("button", name="Ajouter ce qui est coché").click()
    expect(page.get_by_text("3 lignes ont été ajoutées.")).to_be_visible()
    with app.app_context():
        card = db.session.get(EmergencyCard, child)
        assert (card.allergies, card.treatments, card.conditions) == ("Pénicilline", "", "Asthme")
        assert agenda_store.history_of(child)["ADU_FLU"].done_on == date(2025, 11, 3)


def test_a_refused_summary_says_why_on_the_page(page, live_server, unique_email):
    base = live_server.url
    register(page, base, unique_email)
    pid = born(live_server, unique_email)
    page.goto(f"{base}/p/{pid}/import")
    page.get_by_label("Fichier du résumé de santé (.json)").set_input_files(
        {"name": "x.json", "mimeType": "application/json", "buffer": b'{"resourceType": "Patient"}'})
    page.get_by_role("button", name="Voir ce qu’il contient").click()
    refusal = page.get_by_text("Ce fichier n’est pas un résumé de santé que Companion sait lire")
    expect(refusal).to_be_visible()
    axe_check(page)


def test_without_javascript_a_reload_shows_the_state(browser, live_server, unique_email):
    base, app = live_server.url, live_server.app
    context = browser.new_context(java_script_enabled=False, locale="fr-FR", viewport=PHONE)
    page = context.new_page()
    register(page, base, unique_email)
    pid = born(live_server, unique_email)
    page.goto(f"{base}/p/{pid}/export")
    page.get_by_role("button", name="Préparer mon archive").click()
    expect(page.get_by_text("Votre archive est en préparation : étape 0 sur 4.")).to_be_visible()
    assert _work_the_queue(app) == 1
    page.wait_for_timeout(4000)  # no script: nothing changes by itself
    expect(page.get_by_text("Votre archive est en préparation : étape 0 sur 4.")).to_be_visible()
    page.get_by_role("link", name="Recharger la page").click()
    expect(page.get_by_text("Votre archive est prête")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger l’archive").click()
    assert zipfile.ZipFile(info.value.path()).testzip() is None
    context.close()
