"""The S3-compatible document store, against a real S3 HTTP server on loopback (moto's server mode,
started here): a document uploaded through the site lands in the bucket encrypted, opens, and once its
row is gone its blob is swept like on disk. Its own app on SQLite (the database plays no part here)."""

import socket
import tempfile
import urllib.request
from datetime import timedelta

import boto3
import pytest
from flask_migrate import upgrade
from moto.server import ThreadedMotoServer

from companion.extensions import db
from companion.models.types import utcnow
from companion.services import documents, store_upkeep
from companion.services.storage_s3 import S3Storage

from .cast import sign_up
from .conftest import Browser, make_app
from .documents_support import PDF, doc_id, upload

BUCKET = "companion-documents"


@pytest.fixture(scope="module")
def s3_endpoint(monkeypatch_module):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto keeps its buckets in the process, across servers: another module's server (the closure's,
    # which turns versioning on) must leave nothing behind.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10)
    boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-3").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    yield endpoint
    server.stop()


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    for name, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"),
                        ("AWS_DEFAULT_REGION", "eu-west-3")):
        mp.setenv(name, value)
    yield mp
    mp.undo()


@pytest.fixture(scope="module")
def s3_app(s3_endpoint):
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app("sqlite", tmp, DOCUMENT_STORE=f"s3://{BUCKET}/docs", S3_ENDPOINT_URL=s3_endpoint,
                       S3_REGION="eu-west-3")
        with app.app_context():
            upgrade()
        yield app
        with app.app_context():
            db.engine.dispose()


def _objects(endpoint: str) -> dict[str, bytes]:
    client = boto3.client("s3", endpoint_url=endpoint)
    listing = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listing}


def test_a_document_is_kept_encrypted_in_the_bucket_and_opens(s3_app, s3_endpoint):
    web = Browser(s3_app.test_client())
    pid = sign_up(web, s3_app.app_context)
    resp = upload(web, pid, PDF, title="Bilan sanguin")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    stored = _objects(s3_endpoint)
    assert len(stored) == 1
    name, blob = next(iter(stored.items()))
    assert name.startswith("docs/") and b"Hemoglobine" not in blob and PDF not in blob
    download = web.get(f"/p/{pid}/documents/{doc_id(resp)}/download")
    assert download.status_code == 200 and download.get_data() == PDF


def test_a_blob_without_a_document_is_swept_after_an_hour(s3_app, s3_endpoint):
    with s3_app.app_context():
        store = documents.storage()
        assert isinstance(store, S3Storage)
        store.put("ab" * 16, b"left by an upload whose row was never committed")
        assert "ab" * 16 in store.keys()
        assert store_upkeep.sweep(utcnow() + timedelta(hours=2)) >= 1
        assert "ab" * 16 not in store.keys()
        store.delete("ab" * 16)  # absent: no error
        with pytest.raises(FileNotFoundError):
            store.get("ab" * 16)


def test_an_export_archive_is_stored_in_the_bucket_and_read_back_by_ranges(s3_app, s3_endpoint):
    """The archive goes into the bucket in segments; a range reads only its own bytes (S3 ranged GETs)."""
    from sqlalchemy import select

    from companion.models.account import User
    from companion.services import crypto, export_archive, exports
    from companion.services.access import find_access

    from .export_support import noise_png

    web = Browser(s3_app.test_client())
    pid = sign_up(web, s3_app.app_context, "claire")
    assert upload(web, pid, noise_png(), filename="photo.png", title="Photo").status_code == 302
    with s3_app.app_context():
        user = db.session.scalar(select(User).where(User.email == "claire@example.fr"))
        asked = exports.request(find_access(user, pid), user, "fr")
        db.session.commit()
        assert export_archive.build(asked.export.id)
        key = db.session.get(type(asked.export), asked.export.id).storage_key
    assert any(name.endswith(key) for name in _objects(s3_endpoint))
    link = f"/p/{pid}/export/{asked.export.id}/archive.zip"
    full = web.get(link)
    assert full.status_code == 200 and len(full.data) > crypto.SEGMENT
    seam = crypto.SEGMENT - 3
    part = web.get(link, headers={"Range": f"bytes={seam}-{seam + 9}"})
    assert part.status_code == 206 and part.data == full.data[seam:seam + 10]
