"""Photos stored before their metadata was removed at upload (services/photo_metadata.py) are cleaned
once, by `flask documents clean-photos`, so the promise holds for every photo, not only new ones.

Each photo is read, stripped and, when something was removed, stored again under a new key with its
new sha256 and size. Offline copies follow by themselves: the manifest lists the sha256 as the
document's version, so a phone fetches the clean file at its next sync (sw_contract,
X-Document-Version). Whole or nothing for each photo: the new blob is written before the row changes
and the old one deleted after the commit; a blob left by a crash in between is an orphan that the
hourly sweep removes (store_upkeep). The pixels do not change (photo_metadata copies them), so nothing
the person sees does either, and nothing is written in the access log: no one read the document.
"""

import hashlib
import logging
from collections import Counter

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models.document import Document
from . import crypto, documents, photo_metadata
from .storage import new_key

log = logging.getLogger("companion.documents")
PHOTOS = (photo_metadata.JPEG, photo_metadata.PNG)


def clean(doc: Document) -> str:
    """Clean one stored photo and commit: "cleaned", "clean" (nothing to remove), "duplicate" (the
    profile already holds the clean bytes as another document), "unreadable" or "gone" (deleted meanwhile)."""
    try:
        data = documents.read_bytes(doc)
    except documents.DocumentCorrupted:
        return "unreadable"
    clean_data = photo_metadata.strip(data, doc.content_type)
    if clean_data == data:
        return "clean"
    key, old_key = new_key(), doc.storage_key
    blob, wrapped = crypto.encrypt(documents.master_key(), clean_data, key.encode())
    documents.storage().put(key, blob)
    doc.storage_key, doc.wrapped_key = key, wrapped
    doc.sha256, doc.size = hashlib.sha256(clean_data).hexdigest(), len(clean_data)
    try:
        db.session.commit()
    except (IntegrityError, StaleDataError) as exc:
        db.session.rollback()
        documents.storage().delete(key)
        return "duplicate" if isinstance(exc, IntegrityError) else "gone"
    documents.storage().delete(old_key)
    return "cleaned"


def clean_all(batch: int = 100) -> Counter:
    """Every stored photo, the trash included, in batches of ids; returns how many of each outcome."""
    outcomes: Counter = Counter()
    last = 0
    while True:
        ids = list(db.session.scalars(select(Document.id).where(Document.content_type.in_(PHOTOS),
                                                                  Document.id > last)
                                      .order_by(Document.id).limit(batch)))
        if not ids:
            return outcomes
        for doc_id in ids:
            doc = db.session.get(Document, doc_id)
            outcome = clean(doc) if doc is not None else "gone"
            if outcome in ("unreadable", "duplicate"):
                log.warning("photo %s not cleaned: %s", doc_id, outcome)
            outcomes[outcome] += 1
        last = ids[-1]
        db.session.expunge_all()  # a batch at a time in memory, however many photos are stored
