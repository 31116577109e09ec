""""Download everything" (GDPR article 20): asking for a profile's archive, its state, reading it back by
byte ranges, and the cleanup after 7 days. The archive itself is made by services/export_archive.py,
on the task queue.

One export at a time per profile: a running export holds the profile's id in the unique column
`running_for`, so a second request at the same instant loses on the constraint (on SQLite and
PostgreSQL alike) and is shown the running one."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models.account import User
from ..models.audit import AccessEvent
from ..models.document import Document
from ..models.export import RUNNING, DataExport
from ..models.types import utcnow
from ..texts import lazy_gettext as _l
from . import ServiceError, audit, crypto, documents, store_upkeep
from .access import Access, AccessDenied

log = logging.getLogger("companion.exports")
LIFETIME = timedelta(days=7)
# A build still not finished after this long lost its worker (a crash, a restart): it is marked failed,
# so the person may ask again.
STUCK = timedelta(hours=2)
# The estimate: each document as stored plus its place in the ZIP, and the other files.
PER_FILE, PER_LOG_ENTRY, FIXED = 200, 160, 40_000
TEXT_PARTS = 4  # the summary (IPS), the calendar, the access log, the README


def _owner(access: Access) -> None:
    if not access.allows("manage"):
        raise AccessDenied(None, access.profile.id, "manage", access.role)


def estimate(access: Access) -> int:
    """The archive's size before it is made, in bytes (the documents dominate; they are not compressed)."""
    _owner(access)
    count, total = db.session.execute(select(func.count(), func.coalesce(func.sum(Document.size), 0))
                                      .where(*documents.visible_clause(access))).one()
    entries = db.session.scalar(select(func.count()).select_from(AccessEvent)
                                .where(AccessEvent.profile_id == access.profile.id)) or 0
    return int(total) + count * PER_FILE + entries * PER_LOG_ENTRY + FIXED


def parts_of(access: Access) -> int:
    count = db.session.scalar(select(func.count()).select_from(Document)
                              .where(*documents.visible_clause(access))) or 0
    return count + TEXT_PARTS


def current(access: Access, now: datetime | None = None) -> DataExport | None:
    """The profile's export the page shows: the newest not yet expired."""
    _owner(access)
    return db.session.scalar(select(DataExport).where(
        DataExport.profile_id == access.profile.id, DataExport.expires_at > (now or utcnow()))
        .order_by(DataExport.id.desc()).limit(1))


def get_ready(access: Access, export_id: int, now: datetime | None = None) -> DataExport:
    _owner(access)
    row = db.session.scalar(select(DataExport).where(
        DataExport.id == export_id, DataExport.profile_id == access.profile.id,
        DataExport.status == "ready", DataExport.expires_at > (now or utcnow())))
    if row is None or not _stored(row):
        raise ServiceError(_l("This archive is no longer available: it is kept 7 days. You can make a new "
                              "one."), 404)
    return row


def _stored(row: DataExport) -> bool:
    """Its file is there (checked before answering: a file lost on disk is a clear 404, not a download
    that breaks after its headers were sent)."""
    try:
        head = documents.storage().read_range(row.storage_key or "", 0, len(crypto.SEGMENTED_MAGIC))
    except (OSError, ValueError):
        log.error("export %s: its file is missing", row.id)
        return False
    return head == crypto.SEGMENTED_MAGIC


@dataclass
class Requested:
    export: DataExport
    started: bool  # False: one was already running, this is it
    leftover_keys: list[str]  # files of the replaced archives: delete them once committed


def request(access: Access, actor: User, locale: str, now: datetime | None = None) -> Requested:
    """Ask for a new archive. Must be the transaction's first write (a lost race rolls it back)."""
    _owner(access)
    now = now or utcnow()
    pid = access.profile.id
    running = db.session.scalar(select(DataExport).where(DataExport.running_for == pid))
    if running is not None:
        return Requested(running, False, [])
    row = DataExport(profile_id=pid, requested_by_id=actor.id, status="queued", running_for=pid,
                     locale=locale if locale in ("fr", "en") else "fr", estimated_size=estimate(access),
                     parts_done=0, parts_total=parts_of(access), created_at=now, expires_at=now + LIFETIME)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:  # the same request from another tab or device at the same instant: it won
        db.session.rollback()
        running = db.session.scalar(select(DataExport).where(DataExport.running_for == pid))
        if running is None:  # it won, then finished already: show that one
            raise ServiceError(_l("An archive was just made. Please reload the page."), 409) from None
        return Requested(running, False, [])
    older = list(db.session.scalars(select(DataExport).where(DataExport.profile_id == pid,
                                                             DataExport.id != row.id)))
    keys = [o.storage_key for o in older if o.storage_key]
    for o in older:
        db.session.delete(o)
    audit.record(actor=actor, actor_role=access.role, action="export.requested", profile_id=pid,
                 object_id=row.id)
    db.session.flush()
    return Requested(row, True, keys)


def record_download(access: Access, actor: User, row: DataExport) -> None:
    """Written when a download starts from the first byte (its resumptions are the same download)."""
    audit.record(actor=actor, actor_role=access.role, action="export.downloaded",
                 profile_id=access.profile.id, object_id=row.id)


class ArchiveReader:
    """The stored archive as a read-only, seekable file: each read opens only the segments it covers
    (crypto.SEGMENT bytes each), so a resumed download costs what it sends, not the whole archive."""

    def __init__(self, row: DataExport):
        assert row.size is not None and row.storage_key and row.wrapped_key, "only a ready export is read"
        self.size, self.key = row.size, row.storage_key
        self.data_key = crypto.unwrap(documents.master_key(), row.wrapped_key)
        self.store = documents.storage()  # read while the response streams, after the app context
        self.pos, self.cached = 0, (-1, b"")
        self.last = (self.size - 1) // crypto.SEGMENT

    def _segment(self, index: int) -> bytes:
        if self.cached[0] != index:
            start, length = crypto.segment_span(index, self.size)
            sealed = self.store.read_range(self.key, start, length)
            self.cached = (index, crypto.open_segment(self.data_key, self.key.encode(), index,
                                                      index == self.last, sealed))
        return self.cached[1]

    def read(self, n: int = -1) -> bytes:
        if self.pos >= self.size:
            return b""
        n = self.size - self.pos if n is None or n < 0 else min(n, self.size - self.pos)
        out = bytearray()
        while len(out) < n:
            index, offset = divmod(self.pos, crypto.SEGMENT)
            piece = self._segment(index)[offset:offset + n - len(out)]
            out += piece
            self.pos += len(piece)
        return bytes(out)

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.pos, 2: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def tell(self) -> int:
        return self.pos

    def close(self) -> None:
        self.cached = (-1, b"")


def sweep(now: datetime | None = None) -> int:
    """The hourly cleanup: archives past their 7 days lose their file and their row; a build stuck
    for hours is marked failed. Returns how many archives were removed."""
    now = now or utcnow()
    db.session.execute(update(DataExport).where(
        DataExport.status.in_(RUNNING), DataExport.created_at < now - STUCK)
        .values(status="failed", running_for=None, finished_at=now))
    gone = list(db.session.scalars(select(DataExport).where(DataExport.expires_at <= now)))
    keys = [g.storage_key for g in gone if g.storage_key]
    if gone:
        db.session.execute(delete(DataExport).where(DataExport.id.in_([g.id for g in gone])))
    db.session.commit()
    store_upkeep.discard(keys)
    return len(gone)
