"""Where I live, on the account page, in a real Chromium: a parent in New Caledonia picks her place from
the list, in plain words, in French or English; the page says it is saved, keeps her choice, and has no
accessibility violation."""

import pytest
from sqlalchemy import select

from companion.extensions import db
from companion.models.account import User

from .conftest import axe_check, register

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_person_overseas_chooses_where_she_lives(page, live_server, unique_email, lang):
    base = live_server.url
    register(page, base, unique_email)
    page.goto(f"{base}/account/security/")
    if lang == "en":
        page.get_by_role("button", name="English").click()
    words = {"fr": ("Où je vis", "Nouvelle-Calédonie", "les dates et les heures suivent maintenant"),
             "en": ("Where I live", "New Caledonia", "dates and times now follow the time")}[lang]
    place = page.get_by_label(words[0])
    place.select_option(label=words[1])
    page.locator("form", has=place).get_by_role("button").click()
    page.get_by_text(words[2]).wait_for()
    assert page.get_by_label(words[0]).input_value() == "Pacific/Noumea"
    axe_check(page)
    with live_server.app.app_context():
        assert db.session.scalar(select(User.timezone).where(User.email == unique_email)) == "Pacific/Noumea"


def test_an_account_opened_in_noumea_starts_on_noumea_time(browser, live_server, unique_email):
    """The phone's own zone is read at registration: she never has to find the setting."""
    context = browser.new_context(locale="fr-FR", timezone_id="Pacific/Noumea")
    try:
        register(context.new_page(), live_server.url, unique_email)
    finally:
        context.close()
    with live_server.app.app_context():
        assert db.session.scalar(select(User.timezone).where(User.email == unique_email)) == "Pacific/Noumea"
