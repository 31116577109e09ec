"""The second document store: an S3-compatible bucket (AWS S3, MinIO, Garage, Scaleway, OVH...), chosen by
COMPANION_DOCUMENT_STORE=s3://bucket/prefix, with COMPANION_S3_ENDPOINT_URL for a store other than AWS.
Credentials come the way every S3 client takes them (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a
profile, an instance role). The blobs are the same encrypted bytes as on disk: the bucket never sees a
plaintext or a filename.

A PUT of one object is whole or nothing on S3, so there are no half-written parts to sweep; a blob
uploaded before its row was committed is an orphan like on disk, swept by age (`keys(older_than)`)."""

import tempfile
from collections.abc import Iterable
from urllib.parse import urlsplit

from .storage import KEY_RE, Storage, _folder


class S3Storage(Storage):
    def __init__(self, url: str, *, endpoint_url: str | None = None, region: str | None = None):
        import boto3  # only a deployment that chose S3 loads it

        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError("the document store must look like s3://bucket or s3://bucket/prefix")
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/") + "/" if parts.path.strip("/") else ""
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region or None)

    def _name(self, key: str) -> str:
        if not KEY_RE.match(key):
            raise ValueError("bad storage key")
        return f"{self.prefix}{key[:2]}/{key}"

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data)

    def put_stream(self, key: str, chunks: Iterable[bytes]) -> None:
        """A large blob (an export archive) goes through a temporary file and boto3's multipart upload,
        never whole in memory; S3 shows the object only once every part arrived."""
        with tempfile.TemporaryFile() as spool:
            for chunk in chunks:
                spool.write(chunk)
            spool.seek(0)
            self.client.upload_fileobj(spool, self.bucket, self._name(key))

    def get(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(key) from None  # as on disk: the caller's OSError
        return answer["Body"].read()

    def read_range(self, key: str, start: int, length: int) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key),
                                            Range=f"bytes={start}-{start + length - 1}")
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(key) from None
        return answer["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))  # absent: no error on S3

    def keys(self, older_than: float | None = None, prefix: str | None = None) -> list[str]:
        found = []
        where = self.prefix if prefix is None else f"{self.prefix}{_folder(prefix)}/"
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=where):
            for obj in page.get("Contents", []):
                key = obj["Key"].rsplit("/", 1)[-1]
                if KEY_RE.match(key) and (older_than is None or obj["LastModified"].timestamp() < older_than):
                    found.append(key)
        return sorted(found)
