"""`flask documents clean-photos`: photos stored before metadata was removed at upload are stored again
without it, under a new version the phones fetch; the old file is gone; a second run changes nothing."""

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from companion.extensions import db
from companion.models.document import Document
from companion.services import photo_metadata

from .cast import sign_up
from .documents_support import _empty_document_store, doc_id, image, phone_jpeg, upload  # noqa: F401


@pytest.fixture
def owner(web, ctx):
    return sign_up(web, ctx)


def _stored_as_before(web, owner, data: bytes, monkeypatch) -> int:
    """Upload as the code before the change did: the file kept whole."""
    with monkeypatch.context() as m:
        m.setattr(photo_metadata, "strip", lambda data, content_type: data)
        return doc_id(upload(web, owner, data, filename="IMG.jpg", type_code="57833-6"))


def _blobs(app) -> set[Path]:
    return {p for p in (Path(app.config["INSTANCE_DIR"]) / "documents").rglob("*") if p.is_file()}


def _version(web, doc: int) -> str:
    files = web.get("/offline/manifest.json").get_json()["files"]
    return next(f["sha256"] for f in files if f["id"] == doc)


def _clean(app) -> str:
    result = app.test_cli_runner().invoke(args=["documents", "clean-photos"])
    assert result.exit_code == 0, result.output
    return result.output


def test_an_old_photo_is_stored_again_without_its_metadata_and_phones_see_a_new_version(
        app, web, owner, monkeypatch):
    sent = phone_jpeg()
    doc = _stored_as_before(web, owner, sent, monkeypatch)
    plain = doc_id(upload(web, owner, image("PNG"), filename="scan.png"))
    web.post(f"/p/{owner}/documents/{doc}/pin", {"pinned": "1"}, from_url=f"/p/{owner}/documents/{doc}",
             headers={"Accept": "application/json"})
    before, blobs_before = _version(web, doc), _blobs(app)
    assert b"Pixel 9" in web.get(f"/p/{owner}/documents/{doc}/download").data  # the old code kept it

    assert _clean(app).startswith("1 photos cleaned, 1 already clean, 0 kept")
    kept = web.get(f"/p/{owner}/documents/{doc}/download").data
    assert b"Pixel 9" not in kept and b"GPS" not in kept
    assert Image.open(io.BytesIO(kept)).tobytes() == Image.open(io.BytesIO(sent)).tobytes()
    assert _version(web, doc) != before  # the phone's copy is fetched again at its next sync
    blobs_after = _blobs(app)
    assert len(blobs_after) == len(blobs_before) == 2 and blobs_after != blobs_before  # old file gone
    with app.app_context():
        assert db.session.get(Document, doc).size == len(kept)
    assert _clean(app).startswith("0 photos cleaned, 2 already clean")
    assert _version(web, plain) and _blobs(app) == blobs_after


def test_a_photo_whose_clean_copy_is_already_a_document_is_left_and_nothing_is_lost(
        app, web, ctx, owner, monkeypatch):
    old = _stored_as_before(web, owner, phone_jpeg(), monkeypatch)
    new = doc_id(upload(web, owner, phone_jpeg(), filename="again.jpg"))  # stripped at upload
    assert old != new
    blobs = _blobs(app)
    assert "1 kept (the clean photo is already another document)" in _clean(app)
    assert _blobs(app) == blobs  # the new blob written for it was removed again
    with ctx():
        rows = db.session.scalars(select(Document).order_by(Document.id)).all()
        assert [r.id for r in rows] == [old, new]
    assert web.get(f"/p/{owner}/documents/{old}/download").status_code == 200


def test_a_stored_photo_nothing_can_draw_is_reported_and_the_others_are_still_cleaned(app, web, owner,
                                                                                       monkeypatch):
    data = image("JPEG")
    broken = _stored_as_before(web, owner, data[:10] + data[11:], monkeypatch)
    good = _stored_as_before(web, owner, phone_jpeg(), monkeypatch)
    assert "1 photos cleaned, 0 already clean, 0 kept (the clean photo is already another document), " \
           "1 unreadable" in _clean(app)
    assert b"Pixel 9" not in web.get(f"/p/{owner}/documents/{good}/download").data
    assert web.get(f"/p/{owner}/documents/{broken}/download").status_code == 200  # kept as it was
