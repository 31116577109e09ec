"""A daughter is invited by her father, accepts, acts for him with the banner, opens his agenda;
he reads it in his access log and revokes; her next page load is refused. Pages pass axe."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import PHONE, axe_check, register

pytestmark = pytest.mark.e2e


def _profile_url(page) -> str:
    return page.get_by_role("link", name=re.compile("Louis Bernard")).first.get_attribute("href")


def test_a_daughter_helps_her_father_until_he_ends_it(page, browser, live_server, unique_email):
    base = live_server.url
    father_email, daughter_email = unique_email, unique_email.replace("e2e-", "e2e-fille-")
    # An e-mail invitation goes only to an existing account: the daughter registers first.
    daughter_ctx = browser.new_context(viewport=PHONE, locale="fr-FR")
    daughter = daughter_ctx.new_page()
    register(daughter, base, daughter_email, name="Sophie Bernard")
    register(page, base, father_email, name="Louis Bernard")
    profile_path = _profile_url(page)
    page.get_by_role("link", name="Aidants").first.click()
    page.get_by_label("Son adresse e-mail").fill(daughter_email)
    page.get_by_label("Voir les documents", exact=True).check()
    page.get_by_label("Suivre l’agenda de prévention et les rappels").check()
    page.get_by_label("6 mois").check()
    page.get_by_role("button", name="Inviter", exact=True).click()
    expect(page.get_by_text("Invitation envoyée")).to_be_visible()
    axe_check(page)

    daughter.goto(f"{base}/")
    invitation = "Louis Bernard vous invite à aider pour le profil de Louis Bernard"
    expect(daughter.get_by_text(invitation)).to_be_visible()
    axe_check(daughter)
    daughter.get_by_role("button", name="Accepter").click()
    daughter.wait_for_url(f"{base}{profile_path}")
    banner = daughter.get_by_role("note").filter(has_text="Vous agissez pour Louis Bernard")
    expect(banner).to_be_visible()
    axe_check(daughter)
    daughter.get_by_role("link", name="Agenda de prévention").first.click()
    daughter.wait_for_url(f"{base}{profile_path}agenda")
    # Still named on each of his pages, in one line after the first (issue 14).
    expect(daughter.get_by_role("note").filter(has_text="Pour Louis Bernard")).to_be_visible()

    page.goto(f"{base}{profile_path}access-log")
    expect(page.get_by_text("Sophie Bernard (aidant) a ouvert le profil")).to_be_visible()
    expect(page.get_by_text("Sophie Bernard (aidant) a accepté l’invitation à aider")).to_be_visible()
    agenda_line = re.compile(r"Sophie Bernard \(aidant\) a consulté l.agenda de prévention")
    expect(page.get_by_text(agenda_line)).to_be_visible()
    axe_check(page)
    page.goto(f"{base}{profile_path}caregivers")
    page.get_by_text("Changer la date de fin", exact=True).click()  # open the form, then check the page
    page.get_by_text("Modifier ce que cette personne peut faire", exact=True).click()
    axe_check(page)
    page.get_by_role("link", name="Mettre fin à l’accès de Sophie Bernard").click()
    axe_check(page)  # the question asked first (issue 14)
    page.get_by_role("button", name="Oui, mettre fin à l’accès").click()
    expect(page.get_by_text("C’est fait : Sophie Bernard n’a plus accès.")).to_be_visible()

    resp = daughter.reload()
    assert resp.status == 404
    # A saved link tells her, and only her, that her access ended (issue 14).
    expect(daughter.get_by_role("heading", name="Votre accès a pris fin")).to_be_visible()
    expect(daughter.get_by_text("Vous agissez pour")).to_be_hidden()
    daughter_ctx.close()


def test_an_invitation_by_code_read_aloud(page, browser, live_server, unique_email):
    base = live_server.url
    register(page, base, unique_email, name="Claire Martin")
    page.get_by_role("link", name="Aidants").first.click()
    page.get_by_label("Avec un code à lui lire ou à lui envoyer").check()
    page.get_by_label("Qui est-ce ? (pour vous, avec un code)").fill("Ma voisine Marie")
    page.get_by_label("Suivre l’agenda de prévention et les rappels").check()
    page.get_by_label("1 jour").check()
    page.get_by_role("button", name="Inviter", exact=True).click()
    expect(page.locator("p.code")).to_be_visible()
    code = page.locator("p.code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    axe_check(page)

    other_ctx = browser.new_context(viewport=PHONE, locale="fr-FR")
    marie = other_ctx.new_page()
    register(marie, base, unique_email.replace("e2e-", "e2e-voisine-"), name="Marie Voisine")
    marie.get_by_role("link", name="Saisir un code d’invitation").click()
    axe_check(marie)
    marie.get_by_label("Code d’invitation").fill(code.lower())
    marie.get_by_role("button", name="Voir l’invitation").click()
    expect(marie.get_by_text("Claire Martin vous invite à aider")).to_be_visible()
    axe_check(marie)
    marie.get_by_role("button", name="Accepter").click()
    expect(marie.get_by_text("Vous agissez pour Claire Martin")).to_be_visible()
    other_ctx.close()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_profile_caregiver_and_log_pages_are_accessible(page, live_server, unique_email, lang):
    base = live_server.url
    register(page, base, unique_email, name="Anna Petit")
    if lang == "en":
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    profile_path = page.get_by_role("link", name="Anna Petit").first.get_attribute("href")
    axe_check(page)
    for path in [profile_path, f"{profile_path}edit", f"{profile_path}caregivers",
                 f"{profile_path}access-log", "/profiles/new", "/caregiving", "/invitations/code"]:
        page.goto(base + path)
        axe_check(page)
    # A child's profile and its co-owner page.
    page.goto(base + "/profiles/new")
    page.locator("#first_name").fill("Léo")
    page.locator("#birth_date").fill("2020-02-03")
    page.locator("#sex-1").check()
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/p/\d+/$"))
    child_path = re.sub(r"^https?://[^/]+", "", page.url)
    axe_check(page)
    page.goto(f"{base}{child_path}owners")
    axe_check(page)
    # Errors shown on a form are accessible too.
    page.goto(f"{base}{profile_path}caregivers")
    page.locator("form.stack button[type=submit]").last.click()
    expect(page.locator(".error-summary, .error").first).to_be_visible()
    axe_check(page)
