"""Browsing, editing, hiding, trash (and its purge, files after rows), pins and the offline manifest;
search (its words never in a URL) and the year filter; caregivers and the access log (reads on the
edit, delete and trash pages included); CDA import; views that do not import each other."""

import ast
import io
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from companion.commands.housekeeping import run_once
from companion.demo.documents import make_pdf
from companion.extensions import db
from companion.models.account import User
from companion.models.audit import AccessEvent
from companion.models.document import Document
from companion.models.profile import Profile
from companion.models.types import utcnow
from companion.services import document_list, documents, store_upkeep
from companion.services.access import find_access
from companion.services.audit_actions import phrase_for

from .cast import sign_up
from .conftest import csrf_from
from .documents_support import (  # noqa: F401
    CDA_EXAMPLE,
    PDF,
    _empty_document_store,
    as_caregiver,
    cda,
    delegate,
    doc_id,
    upload,
)


@pytest.fixture
def owner(web, ctx):
    return sign_up(web, ctx)


def _logged(ctx, owner) -> set:
    with ctx():
        events = db.session.scalars(select(AccessEvent).where(AccessEvent.profile_id == owner))
        return {(e.action, e.object_label) for e in events}


def _views(ctx, owner) -> list:
    with ctx():
        return list(db.session.scalars(select(AccessEvent.object_label).where(
            AccessEvent.profile_id == owner, AccessEvent.action == "document.view")))


def test_search_by_title_source_and_type_and_filters(web, owner):
    upload(web, owner, make_pdf("A"), title="Bilan de mars", source="Labo Loire", type_code="11502-2",
           care_date="2025-03-02")
    upload(web, owner, make_pdf("B"), title="Radio du genou", source="Clinique du Parc", type_code="18748-4",
           care_date="2026-01-10")
    base = f"/p/{owner}/documents"
    def search(q):
        return web.post(base, {"q": q}, from_url=base).get_data(as_text=True)

    assert "Radio du genou" not in search("mars")
    assert "Bilan de mars" in search("loire")
    by_type = search("imagerie")  # the type's label
    assert "Radio du genou" in by_type and "Bilan de mars" not in by_type
    assert "Bilan de mars" not in web.get(base + "?class=31").get_data(as_text=True)
    assert "Radio du genou" not in web.get(base + "?year=2025").get_data(as_text=True)
    assert "Bilan de mars" in web.get(base + "?type=11502-2").get_data(as_text=True)
    listing = web.get(base).get_data(as_text=True)
    assert listing.index("Comptes rendus") < listing.index("Radios et imagerie")  # grouped by category
    assert "2025" in listing and "2026" in listing


def test_the_list_paginates(web, ctx, owner):
    for i in range(23):
        upload(web, owner, make_pdf(f"doc {i}"), title=f"Document {i:02d}")
    page1 = web.get(f"/p/{owner}/documents").get_data(as_text=True)
    nxt = re.search(r'rel="next" href="([^"]+)"', page1).group(1).replace("&amp;", "&")
    page2 = web.get(nxt).get_data(as_text=True)
    assert page1.count('class="muted">') >= 20 and "23 documents" in page1
    assert 'rel="prev"' in page2 and 'rel="next"' not in page2
    assert page2.count("/documents/") < page1.count("/documents/")


def test_rename_retype_hide_delete_restore_and_purge(web, app, ctx, owner):
    doc = doc_id(upload(web, owner, PDF, title="Ancien nom"))
    url = f"/p/{owner}/documents/{doc}"
    web.post(url + "/edit", {"title": "Nouveau nom", "type_code": "57833-6", "care_date": "",
                             "source": "Dr X"})
    page = web.get(url).get_data(as_text=True)
    assert "Nouveau nom" in page and "Ordonnance" in page
    assert "Nom officiel\u00a0: Prescription de produits de santé" in page
    bad = web.post(url + "/edit", {"title": "x", "type_code": "NOPE"}, from_url=url + "/edit")
    assert bad.status_code == 400
    web.post(url + "/hide", {"hidden": "1"}, from_url=url)
    with ctx():
        assert db.session.get(Document, doc).hidden_at is not None
    assert "Oui, supprimer" in web.get(url + "/delete").get_data(as_text=True)
    web.post(url + "/delete", {}, from_url=url + "/delete")
    assert web.get(url).status_code == 404
    assert "Nouveau nom" in web.get(f"/p/{owner}/documents/trash").get_data(as_text=True)
    web.post(url + "/restore", {}, from_url=f"/p/{owner}/documents/trash")
    assert web.get(url).status_code == 200
    web.post(url + "/delete", {}, from_url=url + "/delete")
    with ctx():
        db.session.get(Document, doc).deleted_at = utcnow() - timedelta(days=31)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["documents", "purge-trash"])
    assert result.exit_code == 0, result.output
    with ctx():
        assert db.session.get(Document, doc) is None


def test_uploading_a_file_that_is_in_the_trash_brings_it_back(web, ctx, owner):
    doc = doc_id(upload(web, owner, PDF))
    web.post(f"/p/{owner}/documents/{doc}/delete", {}, from_url=f"/p/{owner}/documents/{doc}/delete")
    again = upload(web, owner, PDF)
    assert doc_id(again) == doc and web.get(f"/p/{owner}/documents/{doc}").status_code == 200


def test_pin_then_the_manifest_lists_it_with_its_page(web, ctx, owner):
    doc = doc_id(upload(web, owner, PDF, type_code="89601-9"))
    url = f"/p/{owner}/documents/{doc}"
    page = web.get(url)
    assert "X-Offline-Cache" not in page.headers
    resp = web.post(url + "/pin", {"pinned": "1"}, from_url=url, headers={"Accept": "application/json"})
    assert resp.get_json()["pinned"] is True
    manifest = web.get(f"/p/{owner}/documents/offline.json").get_json()
    [entry] = manifest["documents"]
    assert entry["page"] == url and entry["file"] == url + "/file" and entry["pinned"]
    assert web.get(url).headers["X-Offline-Cache"] == "1"
    assert web.get(f"/p/{owner}/documents").headers["X-Offline-Cache"] == "1"
    web.post(url + "/pin", {"pinned": "0"}, from_url=url)
    assert web.get(f"/p/{owner}/documents/offline.json").get_json()["documents"] == []


def test_key_documents_are_in_the_manifest_unless_data_saver(web, ctx, owner):
    upload(web, owner, make_pdf("old"), type_code="11502-2", care_date="2024-01-01", title="Ancien bilan")
    recent = doc_id(upload(web, owner, make_pdf("new"), type_code="11502-2", care_date="2026-01-01"))
    upload(web, owner, make_pdf("c"), type_code="89601-9")  # not a key type
    manifest = web.get(f"/p/{owner}/documents/offline.json").get_json()
    assert [d["id"] for d in manifest["documents"]] == [recent] and manifest["documents"][0]["key"]
    web.post("/settings/data", {"data_saver": "y"})
    manifest = web.get(f"/p/{owner}/documents/offline.json").get_json()
    assert manifest["data_saver"] is True and manifest["documents"] == []


def test_on_a_shared_computer_pinning_is_off(web, ctx, owner):
    doc = doc_id(upload(web, owner, PDF, type_code="11502-2"))
    web.logout()
    web.login(shared_computer="y")
    url = f"/p/{owner}/documents/{doc}"
    assert "Keep on this phone" not in web.get(url).get_data(as_text=True)
    assert web.post(url + "/pin", {"pinned": "1"}, from_url=url).status_code == 403
    assert web.get(f"/p/{owner}/documents/offline.json").get_json()["documents"] == []


def test_caregivers_read_or_write_by_scope_hidden_stays_hidden_and_all_is_logged(web, ctx, owner):
    shown = doc_id(upload(web, owner, make_pdf("shown"), title="Visible report"))
    hidden = doc_id(upload(web, owner, make_pdf("hidden"), title="Private report"))
    web.post(f"/p/{owner}/documents/{hidden}/hide", {"hidden": "1"},
             from_url=f"/p/{owner}/documents/{hidden}")
    as_caregiver(web, ctx, owner, "documents:read")
    listing = web.get(f"/p/{owner}/documents").get_data(as_text=True)
    assert "Visible report" in listing and "Private report" not in listing
    assert web.get(f"/p/{owner}/documents/{hidden}").status_code == 404
    assert web.get(f"/p/{owner}/documents/{hidden}/file").status_code == 404
    assert web.get(f"/p/{owner}/documents/{shown}/file").status_code == 200
    assert web.get(f"/p/{owner}/documents/upload").status_code == 404  # no write scope
    with ctx():
        events = db.session.scalars(select(AccessEvent).where(AccessEvent.profile_id == owner)).all()
        labelled = {(e.action, e.object_label) for e in events}
    assert ("document.open", "Visible report") in labelled and ("document.list", "") in labelled
    assert all(label != "Private report" for _a, label in labelled if _a != "access.refused")


def test_caregiver_with_see_hidden_and_write_can_upload_and_is_logged(web, ctx, owner):
    hidden = doc_id(upload(web, owner, make_pdf("h"), title="Private report"))
    web.post(f"/p/{owner}/documents/{hidden}/hide", {"hidden": "1"},
             from_url=f"/p/{owner}/documents/{hidden}")
    as_caregiver(web, ctx, owner, "documents:read documents:write", see_hidden=True)
    assert web.get(f"/p/{owner}/documents/{hidden}").status_code == 200
    assert upload(web, owner, PDF, title="Added by carer").status_code == 302
    with ctx():
        actions = {(e.action, e.object_label) for e in db.session.scalars(select(AccessEvent))}
    assert ("document.add", "Added by carer") in actions and ("document.view", "Private report") in actions


def test_only_the_owner_hides_or_shows_a_document_again_not_a_caregiver_who_sees_hidden_ones(web, ctx, owner):
    """Hiding is the owner's choice: a caregiver allowed to see hidden documents and to write could
    otherwise show one to every other caregiver again, or hide one from them."""
    hidden = doc_id(upload(web, owner, make_pdf("h"), title="Private report"))
    shown = doc_id(upload(web, owner, make_pdf("s"), title="Visible report"))
    web.post(f"/p/{owner}/documents/{hidden}/hide", {"hidden": "1"},
             from_url=f"/p/{owner}/documents/{hidden}")
    as_caregiver(web, ctx, owner, "documents:read documents:write", see_hidden=True)
    page = web.get(f"/p/{owner}/documents/{hidden}")
    assert page.status_code == 200 and "/hide" not in page.get_data(as_text=True)  # no button offered
    assert web.post(f"/p/{owner}/documents/{hidden}/hide", {"hidden": "0"},
                    from_url=f"/p/{owner}/documents/{hidden}").status_code == 404
    assert web.post(f"/p/{owner}/documents/{shown}/hide", {"hidden": "1"},
                    from_url=f"/p/{owner}/documents/{shown}").status_code == 404
    with ctx():
        assert db.session.get(Document, hidden).hidden_at is not None
        assert db.session.get(Document, shown).hidden_at is None
    assert ("access.refused", "") in {(a, "") for a, _label in _logged(ctx, owner)}


def test_a_caregivers_look_at_the_edit_delete_and_trash_pages_is_in_the_owners_log(web, ctx, owner):
    doc = doc_id(upload(web, owner, make_pdf("a"), title="Bilan rénal"))
    gone = doc_id(upload(web, owner, make_pdf("b"), title="Vieille ordonnance"))
    web.post(f"/p/{owner}/documents/{gone}/delete", {}, from_url=f"/p/{owner}/documents/{gone}/delete")
    as_caregiver(web, ctx, owner, "documents:read documents:write")
    assert "Bilan rénal" in web.get(f"/p/{owner}/documents/{doc}/edit").get_data(as_text=True)
    assert _views(ctx, owner) == ["Bilan rénal"]
    assert "Bilan rénal" in web.get(f"/p/{owner}/documents/{doc}/delete").get_data(as_text=True)
    assert _views(ctx, owner) == ["Bilan rénal", "Bilan rénal"]
    assert "Vieille ordonnance" in web.get(f"/p/{owner}/documents/trash").get_data(as_text=True)
    assert ("document.trash_list", "") in _logged(ctx, owner)


def test_the_trash_list_has_a_plain_words_phrase(app):
    with app.test_request_context():
        assert "corbeille" in str(phrase_for("document.trash_list"))  # French by default


def test_a_stranger_gets_404_on_every_document_url(web, ctx, owner):
    doc = doc_id(upload(web, owner, PDF))
    web.logout()
    sign_up(web, ctx, "nadia")
    for suffix in ("", "/upload", f"/{doc}", f"/{doc}/file", f"/{doc}/download", "/offline.json"):
        assert web.get(f"/p/{owner}/documents{suffix}").status_code == 404, suffix


def _import(web, owner, data, confirm=False):
    form = {"file": (io.BytesIO(data), "doc.xml")}
    if confirm:
        form["confirm_identity"] = "y"
    return web.post(f"/p/{owner}/documents/import", form, content_type="multipart/form-data")


def test_the_official_cda_example_imports_with_its_header(web, ctx, owner):
    data = CDA_EXAMPLE.read_bytes()
    first = _import(web, owner, data)
    assert first.status_code == 409  # profile has no INS: warn and ask
    assert "INS" in first.get_data(as_text=True)
    resp = _import(web, owner, data, confirm=True)
    assert resp.status_code == 302
    with ctx():
        doc = db.session.scalar(select(Document))
        expected = ("11502-2", "Compte rendu d'examens biologiques", "cda")
        assert (doc.type_code, doc.title, doc.origin) == expected
        assert doc.care_date.isoformat() == "2021-01-04" and "CAMPARINI" in doc.source
    assert web.get(resp.headers["Location"] + "/file").get_data().startswith(b"%PDF")


def test_cda_with_matching_ins_imports_directly_and_a_different_one_asks(web, ctx, owner):
    with ctx():
        db.session.get(Profile, owner).ins = "279035121518989"
        db.session.commit()
    assert _import(web, owner, cda()).status_code == 302
    other = _import(web, owner, cda(ins="253072A07300443").replace(b"Ordonnance", b"Autre"))
    assert other.status_code == 409 and "INS" in other.get_data(as_text=True)


XXE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
LAUGHS = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
BAD_CDA = [
    ("xxe", cda(doctype=XXE).replace(b"Ordonnance &amp;", b"&xxe;"), 422),
    ("billion laughs", cda(doctype=LAUGHS).replace(b"Ordonnance &amp;", b"&lol2;"), 422),
    ("malformed", b"<ClinicalDocument xmlns='urn:hl7-org:v3'><title>", 422),
    ("not cda", b"<html><body>hi</body></html>", 422),
    ("no pdf", cda(media="text/plain"), 422),
    ("broken base64", cda(body_b64="@@@not-base64@@@"), 422),
    ("exe inside", cda(body_b64="TVqQAAMAAAAEAAAA//8AALgAAAA="), 422),
]


@pytest.mark.parametrize("name,data,status", BAD_CDA, ids=[b[0] for b in BAD_CDA])
def test_bad_cda_files_are_refused_cleanly(web, app, ctx, owner, name, data, status):
    resp = _import(web, owner, data, confirm=True)
    assert resp.status_code == status, name
    assert "root:" not in resp.get_data(as_text=True)
    with ctx():
        assert db.session.scalar(select(Document)) is None
    from pathlib import Path
    assert [p for p in (Path(app.config["INSTANCE_DIR"]) / "documents").rglob("*") if p.is_file()] == []


def test_data_settings_page_saves_the_choice(web, ctx, owner):
    assert web.get("/settings/data").status_code == 200
    web.post("/settings/data", {"data_saver": "y"})
    with ctx():
        assert db.session.scalar(select(User.data_saver)) is True


def test_the_monthly_cap_is_saved_and_given_to_each_device(web, ctx, owner):
    assert web.get("/offline/manifest.json").get_json()["monthly_cap"] == 50 * 1024 * 1024  # the default
    page = web.get("/settings/data").get_data(as_text=True)
    assert "Téléchargements automatiques sur chaque téléphone, par mois" in page
    assert "10\u00a0Mo au plus" in page
    web.post("/settings/data", {"monthly_cap_mb": "10"})
    with ctx():
        assert db.session.scalar(select(User.monthly_cap_mb)) == 10
    assert web.get("/offline/manifest.json").get_json()["monthly_cap"] == 10 * 1024 * 1024
    web.post("/settings/data", {"monthly_cap_mb": "0"})
    assert web.get("/offline/manifest.json").get_json()["monthly_cap"] == 0  # no limit
    # A value that is not offered is refused, and the saved one stays.
    refused = web.post("/settings/data", {"monthly_cap_mb": "7"})
    assert refused.status_code == 422 and "pas un choix valide" in refused.get_data(as_text=True)
    with ctx():
        assert db.session.scalar(select(User.monthly_cap_mb)) == 0


def test_the_sweep_removes_orphan_blobs_but_not_live_ones(web, app, ctx, owner):
    upload(web, owner, PDF)
    with app.test_request_context():
        store = documents.storage()
        store.put("0" * 32, b"orphan")
        old = (utcnow() - timedelta(hours=2)).timestamp()
        for key in store.keys():
            os.utime(store._path(key), (old, old))
        assert store_upkeep.sweep() == 1 and len(store.keys()) == 1


def test_key_types_are_configurable(app, web, ctx, owner, monkeypatch):
    cert = doc_id(upload(web, owner, make_pdf("c"), type_code="89601-9"))
    upload(web, owner, make_pdf("lab"), type_code="11502-2")
    monkeypatch.setitem(app.config, "DOCUMENTS_KEY_TYPES", "89601-9")
    manifest = web.get(f"/p/{owner}/documents/offline.json").get_json()
    assert [d["id"] for d in manifest["documents"]] == [cert]


def test_a_cda_file_over_the_limit_is_refused_413(app, web, ctx, owner):
    big = cda(body_b64="QUFB" * (app.config["MAX_UPLOAD_BYTES"] // 4 + 10))
    resp = _import(web, owner, big, confirm=True)
    assert resp.status_code == 413 and "10\u00a0Mo" in resp.get_data(as_text=True)
    with ctx():
        assert db.session.scalar(select(Document)) is None


def test_the_account_manifest_lists_only_profiles_whose_documents_may_be_kept(web, ctx, owner):
    web.logout()
    sign_up(web, ctx, "sophie")
    mine = web.get("/documents/offline.json").get_json()["profiles"]
    assert owner not in mine and len(mine) == 1
    delegate(ctx, owner, "sophie", "documents:read")
    assert owner in web.get("/documents/offline.json").get_json()["profiles"]
    with ctx():
        from companion.models.delegation import Delegation
        db.session.scalar(select(Delegation)).revoked_at = utcnow()
        db.session.commit()
    assert owner not in web.get("/documents/offline.json").get_json()["profiles"]


@pytest.mark.parametrize("year", ["10000", "0", "1899", "2101", "99999999999999999999", "abc"])
def test_a_year_out_of_range_shows_all_documents_with_a_plain_message(web, owner, year):
    upload(web, owner, PDF, title="Bilan annuel", care_date="2025-03-02")
    resp = web.get(f"/p/{owner}/documents?year={year}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Bilan annuel" in page
    assert "1900" in page and "2100" in page


def test_a_year_in_range_still_filters(web, owner):
    upload(web, owner, PDF, title="Bilan annuel", care_date="2025-03-02")
    assert "Bilan annuel" not in web.get(f"/p/{owner}/documents?year=2024").get_data(as_text=True)
    assert "Bilan annuel" in web.get(f"/p/{owner}/documents?year=2025").get_data(as_text=True)


def test_the_service_ignores_a_year_it_cannot_turn_into_a_date(app, web, ctx, owner):
    upload(web, owner, PDF)
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == "anna@example.fr"))
        listing = document_list.search(find_access(user, owner), document_list.Filters(year=10000))
        assert listing.total == 1


def _old_trashed_document(app, ctx, web, owner) -> int:
    doc = doc_id(upload(web, owner, PDF, title="Ancien bilan"))
    with ctx():
        row = db.session.get(Document, doc)
        row.deleted_at = utcnow() - timedelta(days=31)
        db.session.commit()
    with app.test_request_context():
        store = documents.storage()
        old = (utcnow() - timedelta(days=31)).timestamp()
        for key in store.keys():
            os.utime(store._path(key), (old, old))
    return doc


def _readable(app, doc) -> bool:
    with app.test_request_context():
        row = db.session.get(Document, doc)
        return row is not None and documents.read_bytes(row) == PDF


def test_a_purge_whose_commit_fails_leaves_the_document_readable(app, ctx, web, owner, monkeypatch):
    doc = _old_trashed_document(app, ctx, web, owner)

    def failing_commit():
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", failing_commit)
    result = app.test_cli_runner().invoke(args=["documents", "purge-trash"])
    monkeypatch.undo()
    assert result.exit_code != 0
    with ctx():
        db.session.rollback()
    assert _readable(app, doc)
    web.post(f"/p/{owner}/documents/{doc}/restore", {}, from_url=f"/p/{owner}/documents/trash")
    assert web.get(f"/p/{owner}/documents/{doc}/file").get_data() == PDF


def test_the_purge_command_removes_the_file_once_the_rows_are_gone(app, ctx, web, owner):
    doc = _old_trashed_document(app, ctx, web, owner)
    result = app.test_cli_runner().invoke(args=["documents", "purge-trash"])
    assert result.exit_code == 0 and "1 documents purged, 0 orphan" in result.output  # its own file went
    with app.test_request_context():
        assert db.session.get(Document, doc) is None and documents.storage().keys() == []


def test_hourly_housekeeping_purges_the_rows_then_at_once_their_files(app, ctx, web, owner, monkeypatch):
    doc = _old_trashed_document(app, ctx, web, owner)
    deleted_while_open: list[bool] = []
    with app.test_request_context():
        store = documents.storage()
        delete = store.delete

        def watched(key):  # a file deleted while its row could still come back would be lost
            with app.app_context():
                deleted_while_open.append(db.session.get(Document, doc) is not None)
            delete(key)

        monkeypatch.setattr(store, "delete", watched)
    with app.app_context():
        assert run_once()["documents_purged"] == 1
        assert db.session.get(Document, doc) is None
    with app.test_request_context():
        assert documents.storage().keys() == [] and deleted_while_open == [False]


def test_a_search_keeps_its_words_out_of_the_url_and_works_without_javascript(web, ctx, owner):
    upload(web, owner, make_pdf("a"), title="Sérologie VIH", source="Labo Loire")
    upload(web, owner, make_pdf("b"), title="Radio du genou")
    base = f"/p/{owner}/documents"
    listing = web.get(base).get_data(as_text=True)
    assert 'method="post"' in listing and f'action="{base}"' in listing  # the plain HTML form
    resp = web.client.post(base, data={"q": "VIH", "csrf_token": csrf_from(listing)})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Location" not in resp.headers  # rendered here, no redirect
    assert "Sérologie VIH" in page and "Radio du genou" not in page
    assert resp.request.url.endswith(base) and "VIH" not in resp.request.url
    assert "no-store" in resp.headers["Cache-Control"]
    # A search word in the URL is not a search: the URL never carries one.
    assert "Radio du genou" in web.get(base + "?q=VIH").get_data(as_text=True)
    assert "VIH" not in str(_logged(ctx, owner))


def test_a_search_without_its_token_is_refused(web, owner):
    upload(web, owner, make_pdf("a"), title="Sérologie VIH")
    resp = web.client.post(f"/p/{owner}/documents", data={"q": "VIH"})
    assert resp.status_code == 400 and "Sérologie VIH" not in resp.get_data(as_text=True)


def test_pages_of_a_search_stay_in_the_search_with_no_words_in_links(web, owner):
    # Not "Analyse": the everyday name of the lab-report type (issue 14) would match every upload.
    for i in range(23):
        upload(web, owner, make_pdf(f"doc {i}"), title=f"Courrier {i:02d}")
    upload(web, owner, make_pdf("other"), title="Radio du genou")
    base = f"/p/{owner}/documents"
    page1 = web.post(base, {"q": "Courrier"}, from_url=base).get_data(as_text=True)
    assert "23 documents" in page1 and "Page suivante" in page1 and "Page précédente" not in page1
    after = re.search(r'name="after" value="(\d+)"', page1).group(1)
    assert "q=" not in page1
    page2 = web.post(base, {"q": "Courrier", "after": after}, from_url=base).get_data(as_text=True)
    assert "Page précédente" in page2 and "Page suivante" not in page2
    assert "Radio du genou" not in page2 and "Courrier" in page2


def test_a_caregivers_search_is_in_the_owners_log_without_the_words(web, ctx, owner):
    upload(web, owner, make_pdf("a"), title="Sérologie VIH")
    as_caregiver(web, ctx, owner, "documents:read")
    base = f"/p/{owner}/documents"
    assert "Sérologie VIH" in web.post(base, {"q": "VIH"}, from_url=base).get_data(as_text=True)
    logged = _logged(ctx, owner)
    assert ("document.search", "") in logged and "VIH" not in str(logged)


def _imports(module: str) -> set:
    views = Path(__file__).resolve().parent.parent / "companion" / "views"
    tree = ast.parse((views / f"{module}.py").read_text())
    return {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and not node.module
        for alias in node.names}


def test_the_documents_views_do_not_import_each_other():
    assert "browse" not in _imports("documents/manage")
    assert "manage" not in _imports("documents/browse")
