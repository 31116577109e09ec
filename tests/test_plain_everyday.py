"""Everyday use by an older person (issue 14), the findings left after the first round: each checked
as she would notice it."""

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import unquote

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from companion.extensions import db
from companion.models.credential import RecoveryCode
from companion.models.document import Document
from companion.models.profile import Profile
from companion.models.types import utcnow
from companion.services import accounts, recovery

from .cast import mediator_browser, sign_up
from .conftest import csrf_from
from .documents_support import PDF, _empty_document_store, cda, doc_id, upload  # noqa: F401


def test_the_language_switch_works_on_the_signed_out_page(web):
    web.register()
    page = web.logout().get_data(as_text=True)
    back_to = re.search(r'name="next" value="([^"]*)"', page).group(1)
    resp = web.client.post("/language", data={"csrf_token": csrf_from(page), "lang": "en", "next": back_to})
    landed = web.get(resp.headers["Location"])
    # It sent her back to /logout, which answers only POST: a "not possible here" page.
    assert landed.status_code == 200, back_to
    assert '<html lang="en"' in landed.get_data(as_text=True)


def _import(web, pid, data, confirm=False):
    form = {"file": (io.BytesIO(data), "doc.xml")}
    if confirm:
        form["confirm_identity"] = "y"
    return web.post(f"/p/{pid}/documents/import", form, content_type="multipart/form-data")


def test_a_cda_around_a_stored_pdf_gives_that_document_its_description(web, ctx):
    pid = sign_up(web, ctx)
    doc = doc_id(upload(web, pid, PDF))  # the bare PDF, sent first: "Autre", no date, no author
    resp = _import(web, pid, cda(), confirm=True)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/documents/{doc}")
    with ctx():
        stored = db.session.get(Document, doc)
        assert (stored.type_code, stored.title) == ("57833-6", "Ordonnance & suivi")
        assert stored.care_date == date(2026, 3, 2) and "LEFEVRE" in stored.source
    page = web.get(resp.headers["Location"]).get_data(as_text=True)
    assert "il a maintenant le type, le nom, la date et l’auteur" in page


def test_the_ins_warning_says_the_profile_has_none_and_asks_no_second_upload(web, ctx):
    pid = sign_up(web, ctx)
    form = web.get(f"/p/{pid}/documents/import").get_data(as_text=True)
    # The profile has no INS: the box is there before the file is chosen, with a word on what INS is.
    assert "Ce profil n’a pas de numéro de patient (INS)" in form and 'name="confirm_identity"' in form
    assert "/glossary#ins" in form
    page = _import(web, pid, cda()).get_data(as_text=True)
    assert "Le profil de Anna Petit n’a pas de numéro de patient (INS)" in page
    assert "manque" not in page and "Choisissez de nouveau le fichier" not in page
    with ctx():
        db.session.get(Profile, pid).ins = "279035121518989"
        db.session.commit()
    page = _import(web, pid, cda(ins="")).get_data(as_text=True)
    assert "Ce fichier n’a pas de numéro de patient (INS)" in page


def test_the_mediators_live_sentence_follows_the_real_step(app):
    from .test_onboarding_flow import consent_and_create, join, start_session

    mediator, _ = mediator_browser(app)
    code, sid = start_session(mediator)
    status_url = f"/mediators/sessions/{sid}/status.json"
    assert mediator.get(status_url).get_json()["state"] == "En attente de la personne."
    person = join(app, code)
    assert "lit l’accord" in mediator.get(status_url).get_json()["state"]
    consent_and_create(person)
    # The table moved on to the key: the sentence says so (it stayed on "reading the consent").
    state = mediator.get(status_url).get_json()["state"]
    assert "lit l’accord" not in state and "Téléphone comme clé" in state, state
    person.post("/onboarding/step/key", {"answer": "skip"}, from_url="/onboarding/step/key")
    assert "Feuille de secours" in mediator.get(status_url).get_json()["state"]
    page = mediator.get(f"/mediators/sessions/{sid}").get_data(as_text=True)
    assert "Maintenant\u00a0: Feuille de secours" in page


def test_the_recovery_sheet_downloads_as_a_text_file_with_every_code(web, ctx):
    web.register()
    sheet = web.post("/account/security/recovery", {}, from_url="/account/security/recovery")
    html = sheet.get_data(as_text=True)
    codes = re.findall(r"<code>([A-Z0-9-]{11})</code>", html)
    link = re.search(r'<a class="button secondary" href="data:text/plain;charset=utf-8,([^"]+)" '
                     r'download="([^"]+)">Télécharger en fichier</a>', html)
    assert link, "no download link on the sheet"
    text = unquote(link.group(1))
    assert link.group(2).endswith(".txt") and "anna@example.fr" in text
    assert all(c in text for c in codes) and len(codes) == 10
    used = set("".join(codes).replace("-", ""))
    for pair in ("S5", "Z2", "B8", "O0", "I1"):  # one of each look-alike pair at most
        assert not set(pair) <= used, pair


def test_on_a_shared_computer_the_recovery_sheet_is_for_paper_only(web):
    """A file of the codes would stay in the shared computer's Downloads for the next person."""
    web.register()
    web.logout()
    web.login(shared_computer="y")
    sheet = web.post("/account/security/recovery", {}, from_url="/account/security/recovery")
    html = sheet.get_data(as_text=True)
    assert len(re.findall(r"<code>([A-Z0-9-]{11})</code>", html)) == 10  # shown, to print or write down
    assert "Télécharger en fichier" not in html and "data:text/plain" not in html and "download=" not in html
    assert "sur un ordinateur partagé, ne gardez aucun fichier" in html


def test_an_old_code_with_look_alike_characters_still_works(app, ctx):
    with app.test_request_context():
        user = accounts.register("old@example.fr", "une phrase facile", "Odile Ancien")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=recovery._hash(user, "S5Z2B8OI10"),
                                    created_at=utcnow()))
        db.session.commit()
        assert recovery.use(user, "s5z2b-8oi10")


def _found(web, pid, words):
    base = f"/p/{pid}/documents"
    return web.post(base, {"q": words}, from_url=base).get_data(as_text=True)


def test_search_ignores_accents_and_case(web, ctx):
    pid = sign_up(web, ctx)
    upload(web, pid, PDF, title="Échographie du cœur", source="Hôpital Nord")
    upload(web, pid, PDF + b"2", title="Ferritine 50_%")
    for words in ("echographie", "ÉCHOGRAPHIE", "coeur", "hopital nord", "Echo"):
        assert "Échographie du cœur" in _found(web, pid, words), words
    assert "Échographie du cœur" not in _found(web, pid, "gastro")
    # % and _ are letters like any other, not wildcards.
    assert "Ferritine" in _found(web, pid, "50_%") and "Ferritine" not in _found(web, pid, "5%")


def test_the_migration_fills_the_search_column_of_existing_documents(app, ctx, web):
    pid = sign_up(web, ctx)
    doc = doc_id(upload(web, pid, PDF, title="Radiographie ÉPAULE"))
    with ctx():
        db.session.execute(text("UPDATE documents SET search_text = ''"))
        db.session.commit()
        db.session.remove()
        downgrade(revision="0019")
        upgrade()
        assert db.session.get(Document, doc).search_text.strip() == "radiographie epaule"


def test_one_date_format_per_kind_in_both_languages(app):
    from flask_babel import force_locale

    from companion.services import dates

    when = datetime(2026, 3, 12, 13, 30, tzinfo=UTC)  # 14:30 in Paris
    with app.test_request_context():
        with force_locale("fr"):
            assert dates.day(when.date()) == "12\u00a0mars\u00a02026"
            assert dates.moment(when) == "12\u00a0mars\u00a02026 à 14:30"
        with force_locale("en"):
            assert dates.day(when.date()) == "March\u00a012,\u00a02026"
            assert dates.moment(when) == "March\u00a012,\u00a02026 at 2:30\u202fPM"
    # No page or module picks its own format any more: "12/03/2026 14:30" beside "12 mars 2026".
    root = Path(__file__).resolve().parent.parent / "companion"
    for html in (root / "templates").rglob("*.html"):
        assert not re.search(r"\|\s*(date|datetime)\s*\(", html.read_text()), html
    for py in root.rglob("*.py"):
        # A signed proof (proof_pdf.py) states its time to the second with its zone, in the proof's language.
        if py.name not in ("dates.py", "proof_pdf.py"):
            own_format = (r"\bformat_(datetime|time)\(|flask_babel import.*format_date"
                          r"|babel\.dates import[^\n]*format_(datetime|time)")  # an alias hid one once
            assert not re.search(own_format, py.read_text()), py
        # A day written with Babel directly (no request: a proof, a document's title) is the long one.
        short_day = r"(format_date|babel_date)\([^)]*[\"'](short|medium|full)[\"']"
        assert not re.search(short_day, py.read_text()), py


def test_french_uses_typographic_apostrophes():
    from babel.messages.pofile import read_po

    po = Path(__file__).resolve().parent.parent / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    straight = [m.id for m in catalog if m.id and any(
        re.search(r"\w'\w", s) for s in (m.string if isinstance(m.string, tuple) else (m.string,)))]
    assert straight == [], straight  # "l'agenda" beside "l’accord" on the same page


def test_vaccine_notes_exist_in_both_languages(app):
    from companion.prevention import load_rules

    for rule in load_rules().values():
        assert bool(rule.note("fr")) == bool(rule.note("en")), rule.id


def test_the_jargon_the_issue_lists_is_gone(web):
    from babel.messages.pofile import read_po

    from companion.prevention import load_rules

    po = Path(__file__).resolve().parent.parent / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fh:
        french = " ".join(s for m in read_po(fh, locale="fr") if m.id
                          for s in (m.string if isinstance(m.string, tuple) else (m.string,))).lower()
    for word in ("octet", "frise", "titulaire", "entités", "document essentiel", "documents essentiels"):
        assert word not in french, word
    for rule_id in ("NRS_HEXA_1", "NRS_HEXA_2", "NRS_HEXA_R"):
        rule = load_rules()[rule_id]
        assert rule.label("fr").startswith("Vaccin 6 en 1") and "diphtérie" in rule.note("fr")
    web.register()
    page = web.get("/settings/data").get_data(as_text=True)
    assert "lettre de sortie, synthèse" not in page and "/glossary#key-document" in page


def test_the_signed_out_page_stays_in_the_persons_language(app, ctx):
    from .conftest import Browser

    browser = Browser(app.test_client())
    browser.register()
    with ctx():
        db.session.query(accounts.User).filter_by(email="anna@example.fr").one().locale = "en"
        db.session.commit()  # chosen on another phone: this browser holds no language cookie
    browser.client.delete_cookie("lang")
    headers = {"Accept-Language": "fr-FR,fr;q=0.9"}
    page = browser.client.post("/logout", data={"csrf_token": browser.token("/")}, headers=headers)
    assert '<html lang="en"' in page.get_data(as_text=True)
    assert '<html lang="en"' in browser.client.get("/login", headers=headers).get_data(as_text=True)


def test_the_glossary_explains_the_words_that_must_stay_in_both_languages(client):
    page = client.get("/glossary", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    for anchor in ("ins", "dmp", "cda", "key-document", "caregiver", "access-log", "vaccines"):
        assert f'id="{anchor}"' in page, anchor
    assert "Votre numéro national de santé" in page and "DTCaP\u00a0: diphtérie" in page
    page = client.get("/glossary", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Your national health number" in page and '<html lang="en"' in page
