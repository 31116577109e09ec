"""Photos stored before their metadata was removed at upload (services/photo_metadata.py) are cleaned
once, by `flask documents clean-photos`, so the promise holds for every photo, not only new ones.

Each photo is read, stripped and, when something was removed, stored again under a new key with its
new sha256 and size. Offline copies follow by themselves: the manifest lists the sha256 as the
document's version, so a phone fetches the clean file at its next sync (sw_contract,
X-Document-Version; a caregiver's phone that copies it again writes that copy in the owner's log, as
any copy). Whole or nothing for each photo: the new blob is written before the row changes and the old
one deleted after the commit, as a trash purge does; a blob left by a crash in between is an orphan
that the hourly sweep removes (store_upkeep). The pixels do not change (photo_metadata copies them).

A photo whose clean bytes are already another document of the profile (the same photo added again
since the upgrade) is left as it is and named in the log: the unique sha256 per profile forbids a
second copy, and merging two documents (pins, the counter's prescription, titles) is the person's call.
"""

import hashlib
import logging
from collections import Counter

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models.document import Document
from . import ServiceError, documents, photo_metadata, store_upkeep

log = logging.getLogger("companion.documents")
PHOTOS = (photo_metadata.JPEG, photo_metadata.PNG)


def clean(doc: Document) -> str:
    """Clean one stored photo and commit: "cleaned", "clean" (nothing to remove), "duplicate" (the
    profile already holds the clean bytes as another document), "unreadable" or "gone" (deleted meanwhile)."""
    try:
        data = documents.read_bytes(doc)
        clean_data = photo_metadata.strip(data, doc.content_type)
    except ServiceError:  # a stored file that fails its check, or a picture no decoder can draw
        return "unreadable"
    if clean_data == data:
        return "clean"
    old_key = doc.storage_key
    key, blob, wrapped = documents.seal(clean_data)
    documents.storage().put(key, blob)
    doc.storage_key, doc.wrapped_key = key, wrapped
    doc.sha256, doc.size = hashlib.sha256(clean_data).hexdigest(), len(clean_data)
    try:
        db.session.commit()
    except (IntegrityError, StaleDataError) as exc:
        db.session.rollback()
        store_upkeep.discard([key])
        return "duplicate" if isinstance(exc, IntegrityError) else "gone"
    store_upkeep.discard([old_key])
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
