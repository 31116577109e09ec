"""The server half of the offline sync (issue 11): the account manifest, the worker contract headers
(signed-in key, signed-out marker), the copy announcement that is logged once as a copy and not as an
opening, openings reported after being made offline, and how the access log words them."""

import re

from sqlalchemy import select

from companion.demo.documents import make_pdf
from companion.extensions import db
from companion.models.audit import AccessEvent
from companion.web import sw_contract as swc

from .cast import delegate, email_of, sign_up
from .conftest import csrf_from
from .documents_support import _empty_document_store, upload  # noqa: F401


def _doc_id(resp) -> int:
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def _events(ctx, profile_id):
    with ctx():
        rows = db.session.scalars(select(AccessEvent).where(AccessEvent.profile_id == profile_id)
                                  .order_by(AccessEvent.id)).all()
        return [(e.action, e.object_label) for e in rows]


def _owner_with_key_doc_and_carer(web, ctx):
    owner = sign_up(web, ctx)
    key = _doc_id(upload(web, owner, make_pdf("inr"), type_code="11502-2", title="Bilan INR"))
    other = _doc_id(upload(web, owner, make_pdf("dir"), type_code="89601-9", title="Directives"))
    web.logout()
    web.register(email=email_of("sophie"), name="Sophie Bernard")
    delegate(ctx, owner, "sophie", "documents:read agenda")
    return owner, key, other


def test_signed_in_answers_carry_the_account_key_and_signed_out_answers_say_so(web, ctx):
    anonymous = web.get("/login")
    assert anonymous.headers[swc.SIGNED_OUT] == "1" and swc.ACCOUNT_KEY not in anonymous.headers
    owner = sign_up(web, ctx)
    home = web.get("/")
    assert home.headers[swc.ACCOUNT_KEY] and swc.SIGNED_OUT not in home.headers
    assert home.headers[swc.OFFLINE_CACHE] == "1", "the start screen is kept for the start URL"
    web.logout()
    # The redirect to the login page of a page that needs the session is marked too.
    gone = web.get(f"/p/{owner}/agenda")
    assert gone.status_code == 302 and gone.headers[swc.SIGNED_OUT] == "1"


def test_the_account_manifest_lists_every_profile_pages_and_files_without_titles(web, ctx):
    owner, key, other = _owner_with_key_doc_and_carer(web, ctx)
    url = f"/p/{owner}/documents/{other}"
    web.post(url + "/pin", {"pinned": "1"}, from_url=url, headers={"Accept": "application/json"})
    m = web.get("/offline/manifest.json").get_json()
    assert m["pages"][:2] == ["/", "/on-this-phone"]
    assert f"/p/{owner}/agenda" in m["pages"] and f"/p/{owner}/documents" in m["pages"]
    files = {f["id"]: f for f in m["files"]}
    assert files[key]["key"] and not files[key]["pinned"]
    assert files[key]["url"] == f"/p/{owner}/documents/{key}/file"
    assert files[other]["pinned"] and files[other]["size"] > 0 and len(files[other]["sha256"]) == 64
    assert "Bilan INR" not in str(m) and m["csrf"]
    assert all(action != "document.offline_list" for action, _ in _events(ctx, owner)), "no titles, no log"


def test_a_background_copy_is_logged_once_as_a_copy_and_its_fetches_not_as_openings(web, ctx):
    owner, key, other = _owner_with_key_doc_and_carer(web, ctx)
    m = web.get("/offline/manifest.json").get_json()
    paths = [f"/p/{owner}/documents/{key}/file", f"/p/{owner}/documents/{other}/file"]
    resp = web.client.post("/offline/report", json={"copy": paths}, headers={"X-CSRFToken": m["csrf"]})
    token = resp.get_json()["token"]
    for path in paths:
        assert web.get(path, headers={swc.COPY_TOKEN: token}).status_code == 200
    log = _events(ctx, owner)
    copies = [label for action, label in log if action == "document.copied_offline"]
    assert copies == ["Bilan INR; Directives"], log
    assert not [a for a, _ in log if a == "document.open"], "a background copy is not an opening"


def test_a_copy_token_cannot_hide_the_opening_of_another_document(web, ctx):
    owner, key, other = _owner_with_key_doc_and_carer(web, ctx)
    m = web.get("/offline/manifest.json").get_json()
    token = web.client.post("/offline/report", json={"copy": [f"/p/{owner}/documents/{key}/file"]},
                     headers={"X-CSRFToken": m["csrf"]}).get_json()["token"]
    web.get(f"/p/{owner}/documents/{other}/file", headers={swc.COPY_TOKEN: token})
    web.get(f"/p/{owner}/documents/{key}/file", headers={swc.COPY_TOKEN: "forged." + token[7:]})
    log = _events(ctx, owner)
    assert ("document.open", "Directives") in log and ("document.open", "Bilan INR") in log, log


def test_every_document_a_copy_token_fetches_is_named_in_the_owners_log(web, ctx):
    """Many copies at once: their titles overflow one entry. A caregiver who put a sensitive document after
    eight decoys must not fetch it, with the token, under a title cut off at the end of the entry."""
    owner = sign_up(web, ctx)
    docs = [_doc_id(upload(web, owner, make_pdf(f"d{i}"), title=f"Ordonnance de la pharmacie numéro {i:02d}"))
            for i in range(8)]
    docs.append(_doc_id(upload(web, owner, make_pdf("vih"), title="Sérologie VIH")))
    web.logout()
    web.register(email=email_of("sophie"), name="Sophie Bernard")
    delegate(ctx, owner, "sophie", "documents:read")
    csrf = web.get("/offline/manifest.json").get_json()["csrf"]
    paths = [f"/p/{owner}/documents/{d}/file" for d in docs]
    answer = web.client.post("/offline/report", json={"copy": paths}, headers={"X-CSRFToken": csrf})
    token = answer.get_json()["token"]
    for path in paths:
        assert web.get(path, headers={swc.COPY_TOKEN: token}).status_code == 200
    copies = [label for action, label in _events(ctx, owner) if action == "document.copied_offline"]
    named = [title for label in copies for title in label.split("; ")]
    assert sorted(named) == sorted([f"Ordonnance de la pharmacie numéro {i:02d}" for i in range(8)]
                                   + ["Sérologie VIH"]), copies
    assert len(copies) > 1  # the titles did not fit in one entry: none was cut to make them


def test_openings_made_offline_are_reported_with_their_time(web, ctx):
    owner, key, _other = _owner_with_key_doc_and_carer(web, ctx)
    m = web.get("/offline/manifest.json").get_json()
    at = 1_780_000_000_000  # 2026-05-28
    opened = [{"url": f"/p/{owner}/documents/{key}/file", "at": at}]
    web.client.post("/offline/report", json={"opened": opened}, headers={"X-CSRFToken": m["csrf"]})
    [(action, label)] = [e for e in _events(ctx, owner) if e[0] == "document.open_offline"]
    assert label.startswith("Bilan INR (") and "28" in label


def test_the_access_log_words_a_copy_and_an_offline_opening_plainly_in_both_languages(web, ctx):
    owner, key, _other = _owner_with_key_doc_and_carer(web, ctx)
    m = web.get("/offline/manifest.json").get_json()
    path = f"/p/{owner}/documents/{key}/file"
    body = {"copy": [path], "opened": [{"url": path, "at": 1_780_000_000_000}]}
    web.client.post("/offline/report", json=body, headers={"X-CSRFToken": m["csrf"]})
    web.logout()
    web.login()
    page = web.get(f"/p/{owner}/access-log").get_data(as_text=True)
    assert "a copié des documents sur son téléphone pour les avoir sans réseau (sans les ouvrir)" in page
    assert "a ouvert un document sans réseau" in page and "a ouvert un document\u00a0»" not in page
    token = csrf_from(page)
    web.client.post("/language", data={"lang": "en", "next": "/", "csrf_token": token})
    csv = web.get(f"/p/{owner}/access-log.csv").get_data(as_text=True)
    assert "copied documents to their phone for offline use (not opened)" in csv and "Bilan INR" in csv
    assert "opened a document without network" in csv


def test_nothing_is_copied_or_reported_from_a_shared_computer(web, ctx):
    owner = sign_up(web, ctx)
    key = _doc_id(upload(web, owner, make_pdf("inr"), type_code="11502-2"))
    web.logout()
    web.login(shared_computer="y")
    m = web.get("/offline/manifest.json").get_json()
    assert m["files"] == [] and m["pages"] == [] and m["shared_device"]
    resp = web.client.post("/offline/report", json={"copy": [f"/p/{owner}/documents/{key}/file"]},
                    headers={"X-CSRFToken": m["csrf"]})
    assert resp.status_code == 403


def test_the_worker_is_built_with_the_saved_copy_delay_of_the_configuration(app, client):
    body = client.get("/sw.js").get_data(as_text=True)
    assert f"const COPY_AFTER_MS={app.config['OFFLINE_COPY_AFTER_MS']};" in body
    assert f"const GRANT_MS={swc.DEVICE_GRANT_DAYS * 86400 * 1000};" in body
    assert "PAGE_TIMEOUT_MS" not in body, "the 6 s network-first wait is gone"
    for header in (swc.ACCOUNT_KEY, swc.SIGNED_OUT, swc.WIPE, swc.SHARED_DEVICE, swc.PROFILE_ACCESS,
                   swc.OFFLINE_CACHE, swc.COPY_TOKEN, swc.DOCUMENT_SHA256, swc.DOCUMENT_VERSION):
        assert f'"{header}"' in body, f"the worker does not read {header}"
    app.config["OFFLINE_COPY_AFTER_MS"] = 250
    app.extensions.pop("companion_worker")  # built once per process: as a restart with that setting
    try:
        assert "const COPY_AFTER_MS=250;" in client.get("/sw.js").get_data(as_text=True)
    finally:
        app.config["OFFLINE_COPY_AFTER_MS"] = 1000
        app.extensions.pop("companion_worker")


def test_the_outbox_learns_the_session_in_a_few_bytes_for_every_role(app, web, client):
    """What the outbox asks before sending (js/outbox.js, sw/40-outbox.js): the form token and account key
    as JSON, never cached, {} once signed out. A mediator gets it too: from the home page, which sends a
    mediator elsewhere, the outbox saw no session and dropped a logout made without network."""
    from .cast import mediator_browser

    resp = client.get("/outbox/session")
    assert resp.status_code == 200 and resp.get_json() == {} and resp.headers["Cache-Control"] == "no-store"
    web.register(email="anna@example.fr")
    resp = web.client.get("/outbox/session")
    body = resp.get_json()
    # The signed form carries its time to the second: two requests astride a second differ there, so the
    # session's token (the part before the first dot) is what must match the one the pages carry.
    page_token = csrf_from(web.client.get("/").get_data(as_text=True))
    assert body["account"] == resp.headers[swc.ACCOUNT_KEY]
    assert body["token"].split(".")[0] == page_token.split(".")[0]
    assert len(resp.data) < 300  # not a page: a weak line pays a few bytes
    mediator, _ = mediator_browser(app)
    resp = mediator.client.get("/outbox/session")
    assert mediator.client.get("/").status_code == 302  # the home page would not tell
    assert resp.status_code == 200 and resp.get_json()["token"] and resp.get_json()["account"]
    web.logout()
    assert web.client.get("/outbox/session").get_json() == {}


def test_a_change_waits_to_be_sent_no_longer_than_the_server_keeps_its_receipt(web):
    """Past its receipt's life, a replayed change whose first answer was lost would apply twice: the
    page tells the outbox how long a change may wait, from the receipts' own rule."""
    from companion.services import receipts

    web.register()
    html = web.get("/").get_data(as_text=True)
    within = int(re.search(r'data-within="(\d+)"', html).group(1))
    assert within == receipts.SEND_WITHIN.total_seconds() * 1000
    assert receipts.SEND_WITHIN < receipts.KEEP


def test_the_offline_page_the_worker_keeps_for_everyone_names_no_account(web, ctx):
    """The worker fetches it once per version and shows it to whoever is signed in later. Made for the
    account signed in when it was fetched, its logout would queue that account's logout for the next one,
    who would be told "logged out" while their session lived on."""
    sign_up(web, ctx)
    for lang, words in (("fr", "Vous êtes hors connexion"), ("en", "You are offline")):
        resp = web.get(f"/offline/{lang}")
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200 and words in html
        assert "data-logout" not in html and 'id="outbox"' not in html and "data-account" not in html
        assert "outbox" not in " ".join(re.findall(r"<script[^>]*>", html))
        assert swc.SIGNED_OUT not in resp.headers and swc.ACCOUNT_KEY not in resp.headers  # the same for all
        assert "Cookie" not in resp.headers.get("Vary", "") and "Set-Cookie" not in resp.headers
    assert "data-logout" in web.get("/").get_data(as_text=True)  # still signed in
