"""Health documents: add (upload or CDA import), read with integrity check, edit, hide, trash (the list
and its pages: services/document_list.py).

Write order: the row is flushed first (the unique sha256 per profile catches duplicates), then the
encrypted blob is written atomically; the caller commits, and removes the blob if the commit fails
(`discard_blob`). A crash between the two leaves an orphan blob, never half a document; the hourly
housekeeping sweeps orphans (services/store_upkeep.py)."""

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, literal, select, tuple_
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models.account import User
from ..models.document import Document
from ..models.types import utcnow
from ..texts import lazy_gettext as _l
from . import ServiceError, audit, crypto, document_types, document_view, photo_metadata, sniff, store_upkeep
from .access import Access
from .dates import local_today
from .storage import LocalStorage, Storage, new_key

log = logging.getLogger("companion.documents")
TRASH_DAYS = 30


class DocumentCorrupted(ServiceError):
    status = 500

    def __init__(self):
        super().__init__(_l("This document could not be read safely: its content does not match what was "
                            "stored. Nothing was changed. Please contact us."), 500)


def storage() -> Storage:
    ext = current_app.extensions
    if "companion_storage" not in ext:
        cfg = current_app.config
        store: Storage
        if cfg.get("DOCUMENT_STORE", "").startswith("s3://"):
            from .storage_s3 import S3Storage

            store = S3Storage(cfg["DOCUMENT_STORE"], endpoint_url=cfg.get("S3_ENDPOINT_URL"),
                              region=cfg.get("S3_REGION"))
        else:
            store = LocalStorage(cfg.get("DOCUMENTS_DIR") or f"{cfg['INSTANCE_DIR']}/documents")
        ext["companion_storage"] = store
    return ext["companion_storage"]


def master_key() -> bytes:
    ext = current_app.extensions
    if "companion_master_key" not in ext:
        ext["companion_master_key"] = crypto.load_master_key(current_app.config["INSTANCE_DIR"],
                                                             current_app.config["ENV_NAME"])
    return ext["companion_master_key"]


EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def download_name(title: str, content_type: str) -> str:
    """The file name a document is saved under (a download, the export archive). Letters of every
    language stay (sent as UTF-8 with an ASCII fallback); only what a file system or a header refuses
    is replaced."""
    name = re.sub(r"[^\w.,()' -]+", "_", title)[:80].strip(" ._") or "document"
    return f"{name}.{EXTENSIONS.get(content_type, 'bin')}"


def clean_title(raw: str | None) -> str:
    """One line of plain text: control characters and surrounding spaces removed (HTML is escaped later).
    A lone no-break space stays: it keeps "Preuve" and its ":" on one line (i18n.typeset)."""
    text = "".join(" " if unicodedata.category(c).startswith("C") else c for c in (raw or ""))
    return re.sub(r"\s{2,}|[^\S\u00a0\u202f]", " ", text).strip()[:200]


@dataclass
class Added:
    document: Document
    created: bool  # False: the same file was already there
    described: bool = False  # the same file, now with the description a CDA brought


def add(access: Access, actor: User | None, data: bytes, *, title: str = "", type_code: str = "",
        care_date: date | None = None, source: str = "", origin: str = "upload",
        now: datetime | None = None) -> Added:
    now = now or utcnow()
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if len(data) > limit:
        raise ServiceError(_l("This file is too big: the limit is %(mb)s MB.", mb=limit // (1024 * 1024)),
                           413, field="file")
    content_type = sniff.detect(data)
    data = photo_metadata.strip(data, content_type)  # before the digest: the same photo sent twice is one
    digest = hashlib.sha256(data).hexdigest()
    existing = db.session.scalar(select(Document).where(Document.profile_id == access.profile.id,
                                                        Document.sha256 == digest))
    if existing is not None:
        same = _same_file(access, actor, existing)
        if origin == "cda" and actor is not None:
            # A CDA around a PDF already stored brings what the bare file lacked: its type, title, date
            # and author. Dropping them would lose the very reason the person imported the CDA.
            update(access, actor, same, title=clean_title(title) or same.title,
                   type_code=type_code if document_types.get(type_code) else same.type_code,
                   care_date=care_date or same.care_date, source=source or same.source, now=now)
            return Added(same, False, described=True)
        return Added(same, False)
    doc_type = document_types.get(type_code) or document_types.get(document_types.OTHER)
    assert doc_type is not None, "the catalogue always has the OTHER type"
    day = care_date or local_today(actor, now)  # the uploader's day, not the server's (UTC)
    title = clean_title(title) or document_types.default_title(doc_type, day,
                                                               getattr(actor, "locale", None) or "fr")
    key, blob, wrapped = seal(data)
    doc = Document(profile_id=access.profile.id, type_code=doc_type.code, class_code=doc_type.class_code,
                   title=title, care_date=care_date, source=clean_title(source), size=len(data),
                   sha256=digest,
                   content_type=content_type, storage_key=key, wrapped_key=wrapped, origin=origin,
                   added_by_id=actor.id if actor else None, created_at=now)
    db.session.add(doc)
    try:
        db.session.flush()
    except IntegrityError:  # the same file sent twice at once: the other upload won
        raise ServiceError(_l("This file is already in the documents."), 409, field="file") from None
    if actor is not None:  # without an account (a clinician through a share), the caller logs it
        audit.record_access(access, actor, "document.add", object_type="document", object_id=doc.id,
                            object_label=doc.title)
    storage().put(key, blob)  # last: nothing after it can fail and leave the blob behind
    return Added(doc, True)


def seal(data: bytes) -> tuple[str, bytes, str]:
    """A new storage key, the blob to store under it and the document's wrapped key (the key is the
    associated data, so a blob moved under another key does not open: read_bytes)."""
    key = new_key()
    blob, wrapped = crypto.encrypt(master_key(), data, key.encode())
    return key, blob, wrapped


def _same_file(access: Access, actor: User | None, existing: Document) -> Document:
    """The same bytes are already stored. Point to them only if this access may see them; only an
    owner takes a document out of the trash this way. Anything else is refused without naming or
    linking the document (the sha256 is unique per profile, so no second copy can be stored)."""
    hidden_from_actor = existing.hidden_at is not None and not access.see_hidden
    if hidden_from_actor or (existing.deleted_at is not None and not access.is_owner):
        raise ServiceError(_l("This file cannot be added to these documents. Please ask the person who "
                              "owns this profile."), 409, field="file")
    if existing.deleted_at is not None and actor is not None:  # back from the trash, not a second copy
        restore(access, actor, existing)
    return existing


def discard_blob(doc: Document) -> None:
    """After a failed commit: the row is gone, so the blob must go too."""
    storage().delete(doc.storage_key)


def read_bytes(doc: Document) -> bytes:
    """The plaintext, checked against its sha256: a mismatch is an error, never silent."""
    try:
        data = crypto.decrypt(master_key(), storage().get(doc.storage_key), doc.wrapped_key,
                              doc.storage_key.encode())
    except (OSError, crypto.CryptoError):
        log.error("document %s could not be decrypted", doc.id)
        raise DocumentCorrupted() from None
    if hashlib.sha256(data).hexdigest() != doc.sha256:
        log.error("document %s failed its sha256 check", doc.id)
        raise DocumentCorrupted()
    return data


def open_view(doc: Document) -> document_view.View:
    """What "Open" shows: the stored file without anything in it that could act (document_view)."""
    return document_view.view_of(read_bytes(doc), doc.content_type)


def visible_clause(access: Access):
    return visible_where(access.profile.id, access.see_hidden)


def visible_where(profile_id, see_hidden: bool) -> list:
    """What a reader sees of a profile's documents; `profile_id` may be a bound parameter, for a
    statement built once and run for every profile."""
    clauses = [Document.profile_id == profile_id, Document.deleted_at.is_(None)]
    if not see_hidden:
        clauses.append(Document.hidden_at.is_(None))
    return clauses


def newest(access: Access, count: int, type_codes: list[str] | None = None) -> list[Document]:
    """The reader's `count` newest documents (by care date, the undated last), for the forms that offer a
    choice of them: read in that order from an index (ix_documents_newest), not sorted from every row."""
    where = visible_clause(access)
    if type_codes is not None:
        where.append(Document.type_code.in_(type_codes))
    return list(db.session.scalars(select(Document).where(*where).order_by(
        Document.care_date.desc().nulls_last(), Document.id.desc()).limit(count)))


def get(access: Access, doc_id: int, *, trash: bool = False) -> Document:
    """A document of this profile that this access may see; a 404 otherwise."""
    clauses = [Document.profile_id == access.profile.id, Document.id == doc_id]
    clauses.append(Document.deleted_at.is_not(None) if trash else Document.deleted_at.is_(None))
    if not access.see_hidden:
        clauses.append(Document.hidden_at.is_(None))
    doc = db.session.scalar(select(Document).where(*clauses))
    if doc is None:
        raise ServiceError(_l("This document does not exist or is not yours to see."), 404)
    return doc


def record_read(access: Access, actor: User, doc: Document, action: str) -> None:
    audit.record_access(access, actor, action, object_type="document", object_id=doc.id,
                        object_label=doc.title)


def record_search(access: Access, actor: User) -> None:
    """A caregiver's search is a look at the list; the words searched stay out of the log."""
    audit.record_access(access, actor, "document.search", object_type="document")


def update(access: Access, actor: User, doc: Document, *, title: str, type_code: str, care_date: date | None,
           source: str, now: datetime | None = None, base_title: str | None = None) -> None:
    """`base_title`: the name the person saw. If someone renamed the document since (another device,
    a caregiver) and this change names it otherwise, refuse with 409 and the current name."""
    doc_type = document_types.get(type_code)
    if doc_type is None:
        raise ServiceError(_l("Please choose a type from the list."), 400, field="type_code")
    title = clean_title(title)
    if not title:
        raise ServiceError(_l("Please give the document a name."), 400, field="title")
    if base_title and clean_title(base_title) != doc.title and title != doc.title:
        raise ServiceError(_l("This document was already renamed to “%(title)s” on another device.",
                              title=doc.title), 409, field="title",
                           details={"kind": "renamed", "current": doc.title})
    changes = [a for a, new in (("document.rename", title != doc.title),
                                ("document.retype", doc_type.code != doc.type_code)) if new]
    doc.title, doc.type_code, doc.class_code = title, doc_type.code, doc_type.class_code
    doc.care_date, doc.source, doc.updated_at = care_date, clean_title(source), now or utcnow()
    db.session.flush()
    for action in changes or ["document.edit"]:
        record_read(access, actor, doc, action)


def set_hidden(access: Access, actor: User, doc: Document, hidden: bool, now: datetime | None = None) -> None:
    doc.hidden_at = (now or utcnow()) if hidden else None
    db.session.flush()
    record_read(access, actor, doc, "document.hide" if hidden else "document.unhide")


def trash(access: Access, actor: User, doc: Document, now: datetime | None = None) -> None:
    doc.deleted_at = now or utcnow()
    db.session.flush()
    record_read(access, actor, doc, "document.delete")


def restore(access: Access, actor: User, doc: Document) -> None:
    # Conditional: the housekeeping job may have emptied it from the trash since the page loaded it (a
    # plain flush of the change then failed on a row that is gone: a server error).
    trashed_row = (Document.id == doc.id, Document.deleted_at.is_not(None))
    back = db.session.execute(sql_update(Document).where(*trashed_row).values(deleted_at=None)
                              .execution_options(synchronize_session=False))
    moved = back.rowcount == 1  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
    if not moved and db.session.scalar(select(Document.id).where(Document.id == doc.id)) is None:
        raise ServiceError(_l("This document was deleted for good after %(days)s days in the trash. It "
                              "cannot come back.", days=TRASH_DAYS), status=410)
    set_committed_value(doc, "deleted_at", None)  # or brought back just now by another tab: back all the same
    record_read(access, actor, doc, "document.restore")


TRASH_PAGE = 50


def trashed(access: Access, after: int | None = None,
            size: int = TRASH_PAGE) -> tuple[list[Document], int | None]:
    """A page of the trash, most recently deleted first, and the id to ask the next page `after` (None
    on the last page). Keyset: the page after a document starts where it stands (its deletion time,
    then its id), so any page costs the same however full the trash is."""
    where = [Document.profile_id == access.profile.id, Document.deleted_at.is_not(None)]
    if not access.see_hidden:
        where.append(Document.hidden_at.is_(None))
    if after is not None:
        mark = select(Document.deleted_at).where(*where, Document.id == after).scalar_subquery()
        # As one row comparison, the place is where the index range starts, not a filter read up to.
        where.append(tuple_(Document.deleted_at, Document.id) < tuple_(mark, literal(after)))
    docs = list(db.session.scalars(select(Document).where(*where)
                                   .order_by(Document.deleted_at.desc(), Document.id.desc()).limit(size + 1)))
    return docs[:size], (docs[size - 1].id if len(docs) > size else None)


def purge_trash(now: datetime | None = None, days: int = TRASH_DAYS) -> int:
    """Delete the documents in the trash for more than `days`: their rows committed, then their files
    (services/store_upkeep.py). Returns how many documents were purged."""
    now = now or utcnow()
    # One statement that decides row by row as it deletes: a document brought back from the trash while
    # the job runs (restored, or uploaded again) is no longer old trash and stays. Found first and deleted
    # by id, it went, with its file.
    keys = list(db.session.scalars(delete(Document).where(Document.deleted_at < now - timedelta(days=days))
                                   .returning(Document.storage_key)))
    db.session.commit()
    store_upkeep.discard(keys)
    return len(keys)
