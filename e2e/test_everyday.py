"""Everyday use by an older person on a 360 px phone (issue 14): every button and link readable in
every state (contrast computed in the browser, not only axe's verdict)."""

from datetime import date

import pytest

from .conftest import born, register
from .contrast import assert_contrast

pytestmark = pytest.mark.e2e


def add_reminder(page, base, pid, title="Dentiste"):
    page.goto(f"{base}/p/{pid}/agenda/reminders/new")
    page.get_by_label("Nom").fill(title)
    page.get_by_role("button", name="Enregistrer le rappel").click()
    page.wait_for_url(f"{base}/p/{pid}/agenda#reminder-*")


def test_every_button_and_link_is_readable_in_every_state(page, live_server, unique_email):
    base = live_server.url
    register(page, base, unique_email)
    pid = born(live_server, unique_email, date(1956, 3, 12))
    add_reminder(page, base, pid)
    page.locator("[data-rule=DO_COLORECTAL]").get_by_role("button", name="C’est fait").click()
    page.locator("[data-rule=DO_COLORECTAL].done").wait_for()
    # "Supprimer" (a reminder) and "Annuler" (undo "C'est fait") were white on a white card.
    assert page.get_by_role("button", name="Supprimer").is_visible()
    assert page.locator("[data-rule=DO_COLORECTAL]").get_by_role("button", name="Annuler").is_visible()
    for path in [f"/p/{pid}/agenda", "/", "/security/", f"/p/{pid}/documents", f"/p/{pid}/caregivers"]:
        page.goto(base + path)
        assert_contrast(page)


def _in_view(page, selector: str) -> bool:
    for _ in range(20):  # the scroll to the fragment follows the load
        if page.evaluate("""(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
                return r.top >= 0 && r.bottom <= innerHeight; }""", selector):
            return True
        page.wait_for_timeout(100)
    return False


def test_after_c_est_fait_the_message_and_the_item_are_on_screen(page, live_server, unique_email):
    base = live_server.url
    register(page, base, unique_email)
    pid = born(live_server, unique_email, date(1956, 3, 12))
    page.goto(f"{base}/p/{pid}/agenda")
    page.locator("[data-rule=DO_COLORECTAL]").get_by_role("button", name="C’est fait").click()
    page.locator("[data-rule=DO_COLORECTAL].done .flash").wait_for()
    assert _in_view(page, "[data-rule=DO_COLORECTAL] .flash")
    # The address it opened at stays in the browser's history: it names no prevention item.
    assert "#item-" in page.url and "COLORECTAL" not in page.url.upper(), page.url
    add_reminder(page, base, pid)
    page.locator("[id^=reminder-] .flash").wait_for()
    assert _in_view(page, "[id^=reminder-] .flash")


def test_the_upload_progress_shows_only_while_sending(page, live_server, unique_email):
    base = live_server.url
    register(page, base, unique_email)
    pid = born(live_server, unique_email, date(1956, 3, 12))
    page.goto(f"{base}/p/{pid}/documents/upload")
    assert not page.locator("#upload-progress").is_visible()
    assert not page.get_by_text("Envoi en cours").is_visible()
