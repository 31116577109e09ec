"""Crypto-shredding on an S3-compatible bucket with versioning on (moto's real HTTP server): after a
closure the object is deleted, yet the bucket still holds its old version, as a backup would. That copy
no longer opens: the document's key, wrapped by the master key, was only in the deleted row."""

import boto3
from sqlalchemy import select

from companion.commands import closures
from companion.extensions import db
from companion.models.closure import Closure
from companion.models.document import Document
from companion.services import audit, closure, crypto, documents
from companion.services.access import OWNER_SCOPES, Access

from .cast import make_person, make_profile
from .closure_support import fill, opens_with_any_key, references
from .test_document_store_s3 import BUCKET, monkeypatch_module, s3_app, s3_endpoint  # noqa: F401 (fixtures)


def test_an_old_version_left_in_the_bucket_no_longer_opens_after_the_closure(s3_app, s3_endpoint):  # noqa: F811
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    with s3_app.test_request_context():
        owner = make_person("claire")
        lea = make_profile(owner, "Léa", "Martin")
        docs = fill(owner, lea, account_rows=False)
        db.session.commit()
        keys = {d.storage_key: d.wrapped_key for d in docs}
        assert documents.read_bytes(docs[0])  # it opens before
        row = closure.request_profile(Access(lea, "owner", OWNER_SCOPES), owner)
        db.session.commit()
        end, pid = row.closes_at, lea.id
    assert closures.job(s3_app, now=end) == 1
    with s3_app.test_request_context():
        assert db.session.scalar(select(Closure)) is None and references([pid], []) == {}
        live = {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
        for key, wrapped in keys.items():
            name = f"docs/{key[:2]}/{key}"
            assert name not in live  # deleted from the bucket...
            versions = client.list_object_versions(Bucket=BUCKET, Prefix=name).get("Versions", [])
            assert versions  # ...but its old version is still there, like a backup
            version = versions[0]["VersionId"]
            old = client.get_object(Bucket=BUCKET, Key=name, VersionId=version)["Body"].read()
            assert not opens_with_any_key(key, old)
            assert db.session.scalar(select(Document.id).where(Document.storage_key == key)) is None
            # Only the destroyed wrapped key would open it: proof that the key, not the bytes, was the lock.
            assert crypto.decrypt(documents.master_key(), old, wrapped, key.encode())
        assert audit.verify().ok
