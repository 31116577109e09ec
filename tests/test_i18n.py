"""Both languages on every page, and catalogs with nothing left untranslated."""

import re

import pytest
from babel.messages.pofile import read_po

from companion.i18n import TRANSLATIONS

from .pages import page_urls

EMAIL = "anna@example.fr"


def _catalog(lang):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_catalogs_have_no_untranslated_or_fuzzy_entry(lang):
    problems = []
    for msg in _catalog(lang):
        if not msg.id:
            continue
        strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
        if msg.fuzzy or not all(strings):
            problems.append(msg.id)
    assert problems == [], f"untranslated or fuzzy {lang} entries: {problems}"


def test_the_catalogs_are_up_to_date_with_the_code():
    """Every string in the code is in the catalog (run `flask translate update` after adding strings)."""
    from babel.messages.extract import extract_from_dir

    from companion.config import PROJECT_ROOT

    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = {
        (msgid if isinstance(msgid, str) else msgid[0])
        for _f, _l, msgid, *_ in extract_from_dir(
            PROJECT_ROOT / "companion", method_map,
            keywords={"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
                      "lazy_ngettext": (1, 2)},
        )
    }
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog("fr") if m.id}
    assert sorted(found - known) == []


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _long_pairs():
    """English sentences whose French differs, for spotting text left in the wrong language."""
    pairs = []
    for msg in _catalog("fr"):
        if isinstance(msg.id, str) and msg.string and msg.string != msg.id and "%(" not in msg.id:
            if len(msg.id) >= 20 and len(msg.string) >= 20:
                pairs.append((msg.id, msg.string))
    return pairs


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_every_page_renders_in_french_and_in_english(app, client, web, signed_in):
    if signed_in:
        web.register(email=EMAIL)
    urls = page_urls(app, client, EMAIL if signed_in else None)
    assert "/login" in urls and "/" in urls
    pairs = _long_pairs()
    for lang in ("fr", "en"):
        # A one-time message queued by a redirect of the previous pass is shown once, in its language.
        client.get("/login")
        client.set_cookie("lang", lang, domain="localhost")
        if signed_in:
            web.post("/language", {"lang": lang, "next": "/"}, from_url="/")
        for url in urls:
            if url.startswith("/offline/"):
                continue
            resp = client.get(url)
            assert resp.status_code < 500, (url, lang)
            if resp.status_code != 200 or resp.mimetype != "text/html":
                continue
            html = resp.get_data(as_text=True)
            assert f'<html lang="{lang}" dir="ltr">' in html, (url, lang)
            text = " ".join(_visible_text(html).split())
            wrong = [fr if lang == "en" else en for en, fr in pairs if (fr if lang == "en" else en) in text]
            assert wrong == [], f"{url} in {lang} shows text of the other language: {wrong[:3]}"


def test_the_form_library_s_own_messages_follow_the_language_page_after_page(client, web):
    """WTForms' built-in messages (a length limit here) come from its catalog, kept per language for the
    worker's life (web/request.py): each answer is in the language asked, in any order, never the one
    read first."""
    too_long = "A" * 121
    said = {"fr": "Le champ ne peut pas contenir plus de 120 caractères.",
            "en": "Field cannot be longer than 120 characters."}
    for lang in ("fr", "en", "fr", "en"):
        client.set_cookie("lang", lang, domain="localhost")
        html = web.post("/register", {"email": "long@example.fr", "password": "une phrase facile",
                                      "display_name": too_long}).get_data(as_text=True)
        other = "en" if lang == "fr" else "fr"
        assert said[lang] in html and said[other] not in html, lang


def test_the_outbox_texts_follow_the_language_page_after_page(client, web):
    """The offline outbox's texts (data attributes of every signed-in page, made once per language and
    kept: views/main.py outbox_texts) are in the language of each answer, in any order."""
    web.register(email=EMAIL)
    said = {"fr": 'data-waiting="En attente d’envoi"', "en": 'data-waiting="Waiting to be sent"'}
    for lang in ("en", "fr", "en", "fr"):
        web.post("/language", {"lang": lang, "next": "/"}, from_url="/")
        html = client.get("/").get_data(as_text=True)
        other = "en" if lang == "fr" else "fr"
        assert said[lang] in html and said[other] not in html, lang
        too_big = "Without network, only files up to 10\u00a0MB" if lang == "en" else "Sans réseau, seuls les"
        assert f'data-too-big="{too_big}' in html, lang


def test_on_a_narrow_screen_a_number_keeps_its_unit_and_french_punctuation_its_word(web, ctx):
    """Set when the catalogs are compiled (i18n.typeset): "10" never ends a line whose next one starts
    with "Mo", nor "Ce fichier est trop gros" one whose next starts with ":". The page the person reads,
    and every compiled French string."""
    from babel.messages.mofile import read_mo

    from .cast import sign_up

    pid = sign_up(web, ctx)
    page = web.get(f"/p/{pid}/documents/upload").get_data(as_text=True)
    assert "jusqu’à 10\u00a0Mo." in page and "10 Mo" not in page
    assert "10\u00a0Mo au plus" in web.get("/settings/data").get_data(as_text=True)
    with (TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
        compiled = read_mo(fh)
    breakable = []
    for msg in compiled:
        for text in (msg.string if isinstance(msg.string, (tuple, list)) else [msg.string]) if msg.id else ():
            if re.search(r" [:;?!»]|« |(\d|\)s|\)d) (Mo|Ko|Go|jours?|mois|ans?)\b", text):
                breakable.append(text)
    assert breakable == []
    with (TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
        assert read_mo(fh)["At most 10 MB"].string == "At most 10\u00a0MB"
