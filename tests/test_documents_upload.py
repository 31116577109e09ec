"""Uploading documents: sniffing, dedupe (which never reveals a hidden or deleted document), encryption
at rest, integrity, and every bad input refused cleanly (right status, plain message, nothing
half-written on disk or in the database)."""

import hashlib
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from companion.extensions import db
from companion.models.document import Document
from companion.services import documents

from .cast import sign_up
from .documents_support import (  # noqa: F401
    EXE,
    PDF,
    _empty_document_store,
    as_caregiver,
    doc_id,
    image,
    png_bomb,
    upload,
)


def _blobs(app) -> list[Path]:
    root = Path(app.config["INSTANCE_DIR"]) / "documents"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _count(ctx) -> int:
    with ctx():
        return db.session.scalar(select(func.count()).select_from(Document))


@pytest.fixture
def owner(web, ctx):
    return sign_up(web, ctx)


def test_a_pdf_upload_is_listed_and_opens_with_the_same_bytes(web, ctx, owner):
    resp = upload(web, owner, PDF, title="Bilan de mars", source="Laboratoire Bio Loire")
    assert resp.status_code == 302
    doc_url = resp.headers["Location"]
    page = web.get(f"/p/{owner}/documents").get_data(as_text=True)
    assert "Bilan de mars" in page and "Laboratoire Bio Loire" in page
    body = web.get(doc_url + "/file")
    assert body.status_code == 200 and body.mimetype == "application/pdf"
    assert body.get_data() == PDF
    download = web.get(doc_url + "/download")
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.get_data() == PDF


def test_json_upload_answers_with_the_document_url(web, owner):
    resp = upload(web, owner, image("PNG"), filename="photo.png", json=True)
    assert resp.status_code == 201
    assert resp.get_json()["url"].startswith(f"/p/{owner}/documents/")


@pytest.mark.parametrize("fmt,mime", [("JPEG", "image/jpeg"), ("PNG", "image/png")])
def test_images_are_recognised_from_their_bytes_not_their_name(web, ctx, owner, fmt, mime):
    upload(web, owner, image(fmt), filename="misleading.pdf")
    with ctx():
        assert db.session.scalar(select(Document.content_type)) == mime


def test_the_same_file_twice_is_recognised(web, ctx, owner, app):
    upload(web, owner, PDF)
    again = upload(web, owner, PDF, title="Autre nom")
    assert again.status_code == 302
    assert _count(ctx) == 1 and len(_blobs(app)) == 1
    shown = web.get(again.headers["Location"]).get_data(as_text=True)
    assert "Ce fichier est déjà dans les documents" in shown


def _state(ctx, document_id):
    with ctx():
        doc = db.session.get(Document, document_id)
        return doc.hidden_at is not None, doc.deleted_at is not None


def test_uploading_the_same_bytes_never_reveals_a_hidden_document(web, ctx, owner):
    doc = doc_id(upload(web, owner, PDF, title="Compte rendu privé"))
    web.post(f"/p/{owner}/documents/{doc}/hide", {"hidden": "1"}, from_url=f"/p/{owner}/documents/{doc}")
    as_caregiver(web, ctx, owner, "documents:read documents:write")
    for as_json in (False, True):
        resp = upload(web, owner, PDF, json=as_json)
        body = resp.get_data(as_text=True)
        assert resp.status_code == 409 and "Location" not in resp.headers
        assert "Compte rendu privé" not in body and f"/documents/{doc}" not in body
    assert _state(ctx, doc) == (True, False)


def test_a_caregiver_cannot_bring_a_document_back_from_the_trash_by_uploading_it(web, ctx, owner):
    doc = doc_id(upload(web, owner, PDF, title="Ordonnance supprimée"))
    web.post(f"/p/{owner}/documents/{doc}/delete", {}, from_url=f"/p/{owner}/documents/{doc}/delete")
    as_caregiver(web, ctx, owner, "documents:read documents:write", see_hidden=True)
    resp = upload(web, owner, PDF, json=True)
    assert resp.status_code == 409 and "url" not in resp.get_json()
    assert "Ordonnance supprimée" not in resp.get_data(as_text=True)
    assert _state(ctx, doc) == (False, True)


def test_a_caregiver_uploading_a_file_they_can_see_is_sent_to_it(web, ctx, owner):
    doc = doc_id(upload(web, owner, PDF, title="Bilan partagé"))
    as_caregiver(web, ctx, owner, "documents:read documents:write")
    assert doc_id(upload(web, owner, PDF)) == doc


def test_stored_bytes_are_encrypted_and_do_not_contain_the_pdf(web, app, owner):
    upload(web, owner, PDF)
    [blob] = _blobs(app)
    raw = blob.read_bytes()
    assert b"%PDF" not in raw and b"Hemoglobine" not in raw
    assert blob.name not in ("scan.pdf",) and "scan" not in str(blob)


def test_a_tampered_blob_is_an_error_never_silent(web, app, ctx, owner):
    doc_url = upload(web, owner, PDF).headers["Location"]
    [blob] = _blobs(app)
    raw = bytearray(blob.read_bytes())
    raw[-5] ^= 0x01
    blob.write_bytes(bytes(raw))
    resp = web.get(doc_url + "/file")
    assert resp.status_code == 500
    assert "%PDF" not in resp.get_data(as_text=True)
    assert "n’a pas pu être lu de façon sûre" in resp.get_data(as_text=True)


def test_a_sha256_mismatch_is_detected_even_when_decryption_works(web, app, ctx, owner):
    upload(web, owner, PDF)
    with app.test_request_context():
        doc = db.session.scalar(select(Document))
        doc.sha256 = hashlib.sha256(b"other").hexdigest()
        db.session.commit()
        with pytest.raises(documents.DocumentCorrupted):
            documents.read_bytes(db.session.scalar(select(Document)))


BAD = [
    ("empty", b"", "scan.pdf", 400, ["empty", "vide"]),
    ("truncated pdf", PDF[: len(PDF) // 2], "scan.pdf", 422, ["incomplete", "incomplet"]),
    ("renamed executable", EXE, "rapport.pdf", 415, ["not a PDF", "n’est pas", "n'est pas"]),
    ("text file", b"hello, this is not a document", "note.pdf", 415, ["not a PDF", "n’est pas", "n'est pas"]),
    ("image bomb", png_bomb(), "photo.png", 422, ["too large", "trop grande"]),
    ("truncated jpeg", image("JPEG", (200, 200))[:300], "photo.jpg", 422, ["damaged", "abîmée"]),
]


@pytest.mark.parametrize("name,data,filename,status,words", BAD, ids=[b[0] for b in BAD])
def test_bad_files_are_refused_with_a_clear_message_and_leave_nothing(web, app, ctx, owner, name, data,
                                                                       filename, status, words):
    resp = upload(web, owner, data, filename=filename)
    assert resp.status_code == status, name
    html = resp.get_data(as_text=True)
    assert any(w in html for w in words), html[-2000:]
    assert _count(ctx) == 0 and _blobs(app) == []
    json = upload(web, owner, data, filename=filename, json=True)
    assert json.status_code == status and json.get_json()["message"]


def test_a_file_over_the_limit_is_refused_with_413_before_reading_it(web, app, ctx, owner):
    big = b"%PDF-1.4\n" + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    resp = upload(web, owner, big)
    assert resp.status_code == 413
    assert _count(ctx) == 0 and _blobs(app) == []


def test_a_file_just_over_the_document_limit_is_refused_413(web, app, ctx, owner):
    limit = app.config["MAX_UPLOAD_BYTES"]
    body = b"%PDF-1.4\n" + b"0" * (limit - 20) + b"\n%%EOF\n" + b"1" * 20
    resp = upload(web, owner, body, json=True)
    assert resp.status_code == 413 and "10\u00a0Mo" in resp.get_json()["message"]
    assert _count(ctx) == 0 and _blobs(app) == []


def test_a_path_traversal_filename_never_reaches_the_disk(web, app, ctx, owner):
    resp = upload(web, owner, PDF, filename="../../../etc/passwd.pdf")
    assert resp.status_code == 302
    root = Path(app.config["INSTANCE_DIR"])
    assert not (root.parent / "etc").exists()
    assert all("passwd" not in str(p) for p in root.rglob("*"))


def test_html_in_a_title_is_escaped_everywhere(web, owner):
    title = '<script>alert(1)</script><b onmouseover="x">'
    doc_url = upload(web, owner, PDF, title=title).headers["Location"]
    for url in (doc_url, f"/p/{owner}/documents", doc_url + "/edit", doc_url + "/delete"):
        html = web.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "&lt;script&gt;" in html, url


def test_a_failed_commit_removes_the_blob(web, app, ctx, owner, monkeypatch):
    original = db.session.commit

    def boom():
        # Only the commit that would save the new document fails.
        if any(isinstance(o, Document) for o in db.session.identity_map.values()):
            db.session.rollback()
            raise RuntimeError("database went away")
        return original()

    monkeypatch.setattr(db.session, "commit", boom)
    resp = upload(web, owner, PDF)
    monkeypatch.setattr(db.session, "commit", original)
    assert resp.status_code == 500
    assert _count(ctx) == 0 and _blobs(app) == []


def test_a_crash_while_writing_leaves_no_half_file(web, app, ctx, owner, monkeypatch):
    import os

    def cut(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", cut)
    resp = upload(web, owner, PDF)
    monkeypatch.undo()
    assert resp.status_code == 500
    assert _count(ctx) == 0 and _blobs(app) == []


def test_missing_file_is_a_form_error_not_a_crash(web, owner):
    resp = web.post(f"/p/{owner}/documents/upload", {"type_code": "11502-2"},
                    content_type="multipart/form-data")
    assert resp.status_code == 400


def test_upload_without_csrf_is_refused(client, web, ctx, owner):
    resp = client.post(f"/p/{owner}/documents/upload", data={"file": (io.BytesIO(PDF), "a.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and _count(ctx) == 0


def _raw_upload(web, owner, data: bytes, *, cut: bool):
    """Send the multipart body by hand; with `cut`, only half of it arrives (a tunnel on the way)."""
    from werkzeug.test import EnvironBuilder

    token = web.token(f"/p/{owner}/documents/upload")
    cookie = "; ".join(f"{c.key}={c.value}" for c in web.client._cookies.values())
    environ = EnvironBuilder(path=f"/p/{owner}/documents/upload", method="POST", headers={"Cookie": cookie},
                             data={"csrf_token": token, "type_code": "11502-2",
                                   "file": (io.BytesIO(data), "scan.pdf")}).get_environ()
    body = environ["wsgi.input"].read()
    environ["wsgi.input"] = io.BytesIO(body[: len(body) // 2] if cut else body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return web.client.open(environ)


def test_a_connection_cut_mid_upload_leaves_nothing(web, app, ctx, owner):
    from companion.demo.documents import make_pdf

    assert _raw_upload(web, owner, make_pdf("whole"), cut=False).status_code == 302  # the same request, whole
    assert _raw_upload(web, owner, PDF, cut=True).status_code == 400
    assert _count(ctx) == 1 and len(_blobs(app)) == 1


def test_pins_belong_to_one_device_of_one_account(app, web, ctx, owner):
    doc_url = upload(web, owner, PDF, type_code="89601-9").headers["Location"]
    web.post(doc_url + "/pin", {"pinned": "1"}, from_url=doc_url)
    assert len(web.get(f"/p/{owner}/documents/offline.json").get_json()["documents"]) == 1
    from .conftest import Browser
    other_phone = Browser(app.test_client())
    other_phone.login()
    assert other_phone.get(f"/p/{owner}/documents/offline.json").get_json()["documents"] == []
    assert "Sur ce téléphone" not in other_phone.get(f"/p/{owner}/documents").get_data(as_text=True)
    assert "Sur ce téléphone" in web.get(f"/p/{owner}/documents").get_data(as_text=True)
