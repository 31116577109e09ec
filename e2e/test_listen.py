"""The "Listen" button (issue 14): on every page people read (agenda, a document, the access log, the
caregiver pages, the emergency card, the glossary), hidden while the browser has no voice, shown when
one arrives, reading the page's words, and saying so in words when speaking fails."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from companion.demo.documents import make_pdf

from .conftest import born, register

pytestmark = pytest.mark.e2e

# The browser's voices and speech, as a phone with (or without) a French voice has them.
FAKE_SPEECH = """(mode) => {
  window.__said = [];
  window.__voices = mode === 'none' || mode === 'later' ? [] : [{ lang: 'fr-FR', name: 'Amélie' }];
  const s = window.speechSynthesis;
  Object.defineProperty(s, 'getVoices', { value: () => window.__voices, configurable: true });
  Object.defineProperty(s, 'speak', { value: (u) => { window.__said.push(u.text);
    setTimeout(() => mode === 'fail' ? u.onerror({ error: 'synthesis-failed' }) : u.onstart({}), 20); } });
}"""


def _speech(context, mode):
    context.add_init_script(f"({FAKE_SPEECH})({mode!r})")


def _pages(page, live_server, email):
    base = live_server.url
    register(page, base, email)
    pid = born(live_server, email, date(1956, 3, 12))
    page.goto(f"{base}/p/{pid}/documents/upload")
    page.get_by_label("Fichier (PDF ou photo)").set_input_files(
        files=[{"name": "o.pdf", "mimeType": "application/pdf", "buffer": make_pdf("Ordonnance", ["x"])}])
    page.get_by_label("Nom du document").fill("Ordonnance du Dr Martin")
    page.get_by_role("button", name="Ajouter le document").click()
    page.wait_for_url(re.compile(r".*/documents/\d+$"))
    doc = re.sub(r"^https?://[^/]+", "", page.url)
    return [f"/p/{pid}/agenda", doc, f"/p/{pid}/", f"/p/{pid}/documents", f"/p/{pid}/access-log",
            f"/p/{pid}/caregivers", "/caregiving",
            f"/p/{pid}/emergency", "/glossary"]


def test_listen_reads_each_reading_page_when_the_phone_has_a_voice(page, context, live_server, unique_email):
    _speech(context, "voice")
    for path in _pages(page, live_server, unique_email):
        page.goto(live_server.url + path)
        listen = page.locator(".listen button")
        expect(listen).to_be_visible()
        listen.click()
        said = page.evaluate("window.__said")
        heading = page.locator("h1").inner_text()
        assert said and heading in said[-1], (path, said)
        assert "Écouter" not in said[-1]  # the controls are not read out
        expect(page.locator(".listen-failed")).to_have_text("")


def test_listen_is_hidden_without_a_voice_and_shows_when_one_arrives(page, context, live_server,
                                                                    unique_email):
    _speech(context, "later")
    base = live_server.url
    register(page, base, unique_email)
    page.goto(f"{base}/glossary")
    expect(page.locator(".listen")).to_be_hidden()
    page.evaluate("""() => { window.__voices = [{ lang: 'fr-FR', name: 'Amélie' }];
        speechSynthesis.dispatchEvent(new Event('voiceschanged')); }""")
    expect(page.locator(".listen button")).to_be_visible()


def test_a_failed_reading_says_so_in_words(page, context, live_server, unique_email):
    _speech(context, "fail")
    page.goto(f"{live_server.url}/glossary")
    page.locator(".listen button").click()
    failed = page.get_by_role("status").filter(has_text="La lecture à voix haute n’a pas marché")
    expect(failed).to_be_visible()


def test_without_any_fake_the_button_follows_the_real_browser(page, live_server):
    page.goto(f"{live_server.url}/glossary")
    has_voice = page.evaluate("speechSynthesis.getVoices().length > 0")
    page.wait_for_timeout(500)  # voices may arrive just after the load
    has_voice = has_voice or page.evaluate("speechSynthesis.getVoices().length > 0")
    assert page.locator(".listen").is_visible() == has_voice
