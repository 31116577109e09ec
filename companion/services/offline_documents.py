"""Documents kept on a device for offline use: pins (per account and device) and key documents
(the most recent of each key type), listed in a manifest the service worker follows."""

import os
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import Integer, bindparam, select, union_all

from ..extensions import db
from ..models.account import User
from ..models.document import Document, DocumentPin
from ..models.types import utcnow
from ..pg_plans import PLAN_ONCE
from ..texts import lazy_gettext as _l
from . import ServiceError
from .access import Access
from .documents import record_read, visible_clause, visible_where

DEFAULT_KEY_TYPES = ("11502-2", "57833-6", "11490-0", "60591-5", "11369-6", "EXPPAT_3")


def key_types() -> tuple[str, ...]:
    """DOCUMENTS_KEY_TYPES in the app config, or COMPANION_KEY_DOCUMENT_TYPES="11502-2,57833-6"."""
    configured = (current_app.config.get("DOCUMENTS_KEY_TYPES")
                  or os.environ.get("COMPANION_KEY_DOCUMENT_TYPES", ""))
    if isinstance(configured, str):
        configured = [c.strip() for c in configured.split(",") if c.strip()]
    return tuple(configured or DEFAULT_KEY_TYPES)


def pinned_ids(access: Access, user: User, device_id: str) -> set[int]:
    if not device_id:
        return set()
    return set(db.session.scalars(
        select(DocumentPin.document_id).join(Document, Document.id == DocumentPin.document_id)
        .where(*visible_clause(access), DocumentPin.user_id == user.id, DocumentPin.device_id == device_id)
    ))


def set_pinned(access: Access, actor: User, doc: Document, device_id: str, pinned: bool, *,
               shared_device: bool, now: datetime | None = None) -> None:
    if shared_device:
        raise ServiceError(_l("On a shared computer, nothing is kept for offline use."), 403)
    if not device_id:
        raise ServiceError(_l("This device could not be recognised. Please reload the page."), 400)
    pin = db.session.scalar(select(DocumentPin).where(
        DocumentPin.document_id == doc.id, DocumentPin.user_id == actor.id,
        DocumentPin.device_id == device_id))
    if pinned and pin is None:
        db.session.add(DocumentPin(document_id=doc.id, user_id=actor.id, device_id=device_id,
                                   created_at=now or utcnow()))
        record_read(access, actor, doc, "document.pin")
    elif not pinned and pin is not None:
        db.session.delete(pin)
        record_read(access, actor, doc, "document.unpin")
    db.session.flush()


@lru_cache(maxsize=16)
def _latest_statement(codes: tuple[str, ...], see_hidden: bool):
    """For each type, the latest dated and the latest undated document, each one step of the index
    ix_documents_profile_type_date (a plain `NULLS LAST` order would sort every row on PostgreSQL).
    Built once per (types, hidden or not) with the profile as a bound value: every list, document page
    and manifest asks, and building a union of a dozen selects costs more than running it."""
    columns = (Document.id, Document.type_code, Document.care_date)
    profile = bindparam("profile_id", type_=Integer)
    candidates = []
    for code in codes:
        of_type = [*visible_where(profile, see_hidden), Document.type_code == code]
        dated = (select(*columns).where(*of_type, Document.care_date.is_not(None))
                 .order_by(Document.care_date.desc(), Document.id.desc()).limit(1))
        # Ordered by the date too, though it is empty: only then does PostgreSQL walk the index (its
        # IS NULL is no equality for ordering). By id alone it walked the whole table's primary key
        # backwards: 80 ms for a profile with thousands of undated documents.
        undated = (select(*columns).where(*of_type, Document.care_date.is_(None))
                   .order_by(Document.care_date.desc(), Document.id.desc()).limit(1))
        candidates += [dated.subquery().select(), undated.subquery().select()]
    # Its plan is kept (pg_plans): every candidate is one step of the same index for any profile, so the
    # plan made for no profile in particular is the right one (tests/test_plans_at_scale.py).
    return union_all(*candidates).execution_options(**PLAN_ONCE)


def _latest_of_each_key_type(access: Access) -> dict[str, int]:
    """The id of the most recent visible document of each key type (by care date, undated ones last,
    then the newest), in one statement whose cost does not grow with the profile's documents."""
    codes = key_types()
    latest: dict[str, int] = {}
    if not codes:
        return latest
    rows = db.session.execute(_latest_statement(codes, access.see_hidden), {"profile_id": access.profile.id})
    for doc_id, code, care_date in rows.all():
        if code not in latest or care_date is not None:  # a dated one comes before an undated one
            latest[code] = doc_id
    return latest


def key_documents(access: Access) -> list[Document]:
    """The most recent visible document of each key type (see _latest_of_each_key_type)."""
    latest = _latest_of_each_key_type(access)
    if not latest:
        return []
    return list(db.session.scalars(select(Document).where(Document.id.in_(latest.values()))
                                   .order_by(Document.id)))


def key_ids(access: Access, user: User) -> set[int]:
    """Key documents kept automatically (none with data saver on)."""
    return set() if user.data_saver else set(_latest_of_each_key_type(access).values())


def manifest(access: Access, user: User, device_id: str, *, shared_device: bool, urls) -> dict:
    """What this device should keep for this profile. `urls(doc)` gives (page, file) paths."""
    if shared_device:
        return {"documents": [], "shared_device": True, "data_saver": bool(user.data_saver)}
    pinned = pinned_ids(access, user, device_id)
    entries: dict[int, dict] = {}
    if pinned:
        query = select(Document).where(*visible_clause(access), Document.id.in_(pinned))
        for doc in db.session.scalars(query):
            entries[doc.id] = _entry(doc, urls, pinned=True)
    if not user.data_saver:
        for doc in key_documents(access):
            entries.setdefault(doc.id, _entry(doc, urls, pinned=False))
    return {"documents": sorted(entries.values(), key=lambda e: e["id"]), "shared_device": False,
            "data_saver": bool(user.data_saver)}


def _entry(doc: Document, urls, *, pinned: bool) -> dict:
    page, file = urls(doc)
    return {"id": doc.id, "page": page, "file": file, "size": doc.size,
            "sha256": doc.sha256, "pinned": pinned, "key": not pinned}


def account_manifest(accesses, user: User, device_id: str, *, shared_device: bool, urls) -> dict:
    """Everything this device should hold for this account, across every profile it reaches: the pages
    (agenda, document list, pinned and key document pages) and the files (pinned and key documents)
    with their sha256 (the version: a document's bytes never change) and size. `urls` gives the paths:
    urls.agenda(access), urls.documents(access), urls.doc(access, doc) -> (page, file).
    No titles: the worker needs none, and nothing here is a look at a document (no log entry)."""
    pages: list[str] = []
    files: list[dict[str, Any]] = []
    data = {"pages": pages, "files": files, "data_saver": bool(user.data_saver),
            "monthly_cap": user.monthly_cap_mb * 1024 * 1024, "shared_device": shared_device}
    if shared_device:
        return data
    for access in accesses:
        if access.allows("agenda") and urls.agenda:
            pages.append(urls.agenda(access))
        if not access.allows("documents:read"):
            continue
        pages.append(urls.documents(access))
        pinned = pinned_ids(access, user, device_id)
        docs: dict[int, tuple[Document, bool]] = {}
        if pinned:
            for doc in db.session.scalars(select(Document).where(*visible_clause(access),
                                                                 Document.id.in_(pinned))):
                docs[doc.id] = (doc, True)
        for doc in key_documents(access):  # listed with data saver on too: the worker skips them
            docs.setdefault(doc.id, (doc, False))
        for doc_id in sorted(docs):
            doc, is_pinned = docs[doc_id]
            page, file = urls.doc(access, doc)
            pages.append(page)
            files.append({"id": doc.id, "profile": access.profile.id, "page": page, "url": file,
                                  "size": doc.size, "sha256": doc.sha256, "pinned": is_pinned,
                                  "key": not is_pinned})
    return data
