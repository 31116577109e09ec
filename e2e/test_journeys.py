"""One journey per user group (patient, caregiver, mediator), as a person of 70 lives it on a phone
(issue 14): at 360 x 740 with touch, and at 200 % zoom on that phone (180 CSS px). On every page the
journey visits: axe finds nothing, every control is readable in every state (e2e/contrast.py), and
nothing scrolls sideways."""

import re
import uuid
from datetime import date

import pytest
from playwright.sync_api import expect

from companion.demo.documents import make_pdf

from .conftest import axe_check, born, logout, register
from .contrast import assert_contrast
from .test_onboarding import PASSWORD, T, add_key_and_sheet, make_mediator, person_joins, settle
from .test_reflow import WIDER
from .test_webauthn import Phone

pytestmark = pytest.mark.e2e

SCREENS = {
    "phone": {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2},
    "zoomed": {"viewport": {"width": 180, "height": 370}, "device_scale_factor": 4},  # 200 % of 360 px
}


class Phones:
    """Touch phones in French, all with the same screen (one per person of the journey)."""

    def __init__(self, browser, screen):
        self.browser, self.screen, self.contexts = browser, screen, []

    def new(self):
        ctx = self.browser.new_context(**SCREENS[self.screen], has_touch=True, is_mobile=True, locale="fr-FR")
        self.contexts.append(ctx)
        return ctx


@pytest.fixture(params=sorted(SCREENS))
def phones(request, browser):
    made = Phones(browser, request.param)
    yield made
    for ctx in made.contexts:
        ctx.close()


class Visit:
    """Checks each page a journey lands on, and remembers them (a journey must reach its pages)."""

    def __init__(self):
        self.seen: list[str] = []

    def __call__(self, page):
        page.wait_for_load_state("load")
        axe_check(page)
        assert_contrast(page)
        wide = page.evaluate(WIDER)
        assert wide is None, f"{page.url} scrolls sideways: {wide}"
        self.seen.append(re.sub(r"^https?://[^/]+", "", page.url))


def test_a_patient_keeps_her_agenda_and_documents(phones, live_server):
    base, check = live_server.url, Visit()
    email = f"e2e-{uuid.uuid4().hex[:10]}@example.fr"
    page = phones.new().new_page()
    register(page, base, email)
    pid = born(live_server, email, date(1956, 3, 12))
    page.goto(f"{base}/")
    check(page)
    page.goto(f"{base}/p/{pid}/agenda")
    expect(page.get_by_role("heading", name="En bref")).to_be_visible()
    check(page)
    page.locator("[data-rule=DO_COLORECTAL]").get_by_role("button", name="C’est fait").tap()
    page.locator("[data-rule=DO_COLORECTAL].done .flash").wait_for()
    check(page)

    page.goto(f"{base}/p/{pid}/documents/upload")
    check(page)
    page.get_by_label("Fichier (PDF ou photo)").set_input_files(
        files=[{"name": "echo.pdf", "mimeType": "application/pdf", "buffer": make_pdf("Echo", ["coeur"])}])
    page.get_by_label("Nom du document").fill("Échographie du cœur")
    page.get_by_role("button", name="Ajouter le document").tap()
    page.wait_for_url(re.compile(r".*/documents/\d+$"))
    expect(page.get_by_text("Document ajouté.")).to_be_visible()
    check(page)
    page.goto(f"{base}/p/{pid}/documents")
    page.get_by_label("Rechercher par nom, origine ou type").fill("echographie")
    page.locator('form.doc-search button[type="submit"]').tap()
    expect(page.get_by_role("link", name="Échographie du cœur")).to_be_visible()  # accents do not count
    check(page)

    for path in (f"/p/{pid}/access-log", f"/p/{pid}/emergency", "/glossary"):
        page.goto(base + path)
        check(page)
    page.goto(f"{base}/account/security/recovery")
    check(page)
    page.get_by_role("button", name="Créer ma feuille de secours").tap()
    page.wait_for_selector("ol.codes")
    check(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger en fichier").click()
    sheet = open(download.value.path(), encoding="utf-8").read()
    assert page.locator("ol.codes code").first.inner_text() in sheet

    logout(page)
    check(page)
    page.get_by_role("button", name="English").tap()  # the signed-out page switches language
    expect(page.locator("html")).to_have_attribute("lang", "en")
    check(page)
    assert len(check.seen) == 13


def test_a_daughter_helps_her_father_then_her_access_ends(phones, live_server):
    base, check = live_server.url, Visit()
    father = phones.new().new_page()
    register(father, base, f"e2e-{uuid.uuid4().hex[:10]}@example.fr", name="Louis Bernard")
    father.get_by_role("link", name="Aidants").first.tap()
    father.get_by_label("Avec un code à lui lire ou à lui envoyer").check()
    father.get_by_label("Qui est-ce ? (pour vous, avec un code)").fill("Ma fille Sophie")
    father.get_by_label("Suivre l’agenda de prévention et les rappels").check()
    father.get_by_label("1 jour").check()
    father.get_by_role("button", name="Inviter", exact=True).tap()
    code = father.locator("p.code").inner_text()
    check(father)
    pid = int(re.search(r"/p/(\d+)/", father.url).group(1))

    daughter = phones.new().new_page()
    register(daughter, base, f"e2e-{uuid.uuid4().hex[:10]}@example.fr", name="Sophie Bernard")
    daughter.get_by_role("link", name="Saisir un code d’invitation").tap()
    daughter.wait_for_url(re.compile(r"/invitations/code$"))
    check(daughter)
    daughter.get_by_label("Code d’invitation").fill(code)
    daughter.get_by_role("button", name="Voir l’invitation").tap()
    expect(daughter.get_by_text("Louis Bernard vous invite à aider")).to_be_visible()
    check(daughter)
    daughter.get_by_role("button", name="Accepter").tap()
    expect(daughter.get_by_text("Vous agissez pour Louis Bernard")).to_be_visible()
    check(daughter)
    for path in ("/caregiving", f"/p/{pid}/agenda"):
        daughter.goto(base + path)
        expect(daughter.get_by_role("heading", name="En bref")).to_be_visible()
        check(daughter)

    father.goto(f"{base}/p/{pid}/caregivers")
    check(father)
    father.goto(f"{base}/p/{pid}/access-log")
    check(father)
    father.goto(f"{base}/p/{pid}/caregivers")
    father.get_by_role("link", name=re.compile("Mettre fin à l’accès")).first.tap()
    expect(father.get_by_role("button", name="Oui, mettre fin à l’accès")).to_be_visible()
    check(father)
    father.get_by_role("button", name="Oui, mettre fin à l’accès").tap()
    expect(father.get_by_text(re.compile("n’a plus accès"))).to_be_visible()
    check(father)

    daughter.reload()
    expect(daughter.get_by_role("heading", name="Votre accès a pris fin")).to_be_visible()
    check(daughter)


def test_a_mediator_helps_a_person_and_follows_the_steps(phones, live_server):
    base, check, t = live_server.url, Visit(), T["fr"]
    desk = phones.new()
    mediator = desk.new_page()
    Phone(desk, mediator)
    email = make_mediator(live_server)
    settle(mediator, base)
    mediator.goto(f"{base}/login")
    mediator.get_by_label("Adresse e-mail").fill(email)
    mediator.get_by_label("Mot de passe").fill(PASSWORD)
    mediator.get_by_role("button", name="Se connecter").tap()
    mediator.wait_for_url(re.compile(r"/account/security/keys/new"))
    check(mediator)
    add_key_and_sheet(mediator, t, "Poste accueil")
    mediator.goto(f"{base}/")  # a mediator lands on their tools
    mediator.wait_for_url(re.compile(r"/mediators/$"))
    check(mediator)
    mediator.get_by_role("button", name=t["start"]).tap()
    code = mediator.locator(".onb-digits").inner_text().replace(" ", "")
    check(mediator)

    person = phones.new().new_page()
    person_joins(person, base, code, t)
    check(person)
    # The live sentence follows the real step (it stayed on "reads the consent").
    expect(mediator.locator("#onb-state")).to_have_text(re.compile("Maintenant\u00a0: Téléphone comme clé"),
                                                        timeout=10000)
    expect(mediator.locator(".onb-digits")).to_have_count(0)  # the code, used up, is no longer shown
    check(mediator)
    person.get_by_role("button", name=t["skip"]).tap()
    expect(mediator.locator("#onb-state")).to_have_text(re.compile("Maintenant\u00a0: Feuille de secours"),
                                                        timeout=10000)
    for path in ("/mediators/activation", "/mediators/recovery"):
        mediator.goto(base + path)
        check(mediator)
