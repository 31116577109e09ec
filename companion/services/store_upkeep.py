"""Upkeep of the document store, at a cost that does not grow with it.

A file is deleted by whoever deletes its row, right after the commit (`discard`): the trash's purge, a
closure, an archive replaced or expired. Deleted before the commit, a failed commit would leave a
document that no longer opens. What can still be left behind:
- a half-written part file, when a process dies in the middle of a write (a worker killed at its
  timeout is replaced without a restart): removed at every start and every hour (`sweep_parts`); the
  part files have a folder of their own, as small as the writes in flight;
- a whole file whose row never committed (a crash between the two) or whose delete failed. Its row,
  and with it the wrapped key, is gone: the bytes open no more, they only take room. The hourly
  housekeeping looks for them in a 24th of the key space each hour (`sweep_hour`): a few folders of
  the store and their ranges of the unique index, never the whole store nor every key at once.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select

from ..models.document import Document
from ..models.export import DataExport
from ..models.types import utcnow
from .storage import LocalStorage

log = logging.getLogger("companion.store")

PREFIXES = tuple(f"{i:02x}" for i in range(256))  # a key's first two characters: its folder
ORPHAN_AGE = timedelta(hours=1)  # a younger file may belong to an upload still committing
PART_AGE = timedelta(minutes=5)  # several processes may start at once: another's write goes on


def _store():
    from .documents import storage

    return storage()


def discard(keys: Iterable[str]) -> int:
    """After the commit that deleted their rows. A file that cannot be deleted now is left to the sweep."""
    store, done = _store(), 0
    for key in keys:
        try:
            store.delete(key)
            done += 1
        except OSError:
            log.warning("a file whose row is gone could not be deleted yet; the hourly sweep will")
    return done


def sweep_parts(now: datetime | None = None) -> int:
    """At start-up and each hour: the part files of interrupted writes, when old or when their writer (a
    process of this machine) is gone. No database read: a start costs the same however many documents."""
    store = _store()
    if not isinstance(store, LocalStorage):  # an S3 PUT is whole or nothing: no part files
        return 0
    parts = store.stale_parts(older_than=((now or utcnow()) - PART_AGE).timestamp())
    for part in parts:
        part.unlink(missing_ok=True)
    return len(parts)


def hour_prefixes(hour: int) -> list[str]:
    return [p for i, p in enumerate(PREFIXES) if i % 24 == hour]


def sweep_hour(now: datetime | None = None) -> int:
    """The housekeeping's share of the hour (UTC): every folder once a day."""
    now = now or utcnow()
    return sweep(now, hour_prefixes(now.hour))


def sweep(now: datetime | None = None, prefixes: Iterable[str] = PREFIXES) -> int:
    """Delete, in these folders, the files older than ORPHAN_AGE that no row names. One folder at a time:
    its files listed, then the keys of that folder's range read from the unique indexes."""
    now = now or utcnow()
    store, cutoff, removed = _store(), (now - ORPHAN_AGE).timestamp(), 0
    for prefix in prefixes:
        found = store.keys(older_than=cutoff, prefix=prefix)
        if not found:  # no query for an empty folder (nor before `db upgrade`)
            continue
        known = _known(prefix)
        removed += discard(key for key in found if key not in known)
    if removed:
        log.info("%d orphan files removed", removed)
    return removed


def _known(prefix: str) -> set[str]:
    from ..extensions import db

    following = int(prefix, 16) + 1  # the next folder, none after "ff"
    known: set[str] = set()
    for column in (Document.storage_key, DataExport.storage_key):
        # A range, not LIKE: the unique index answers it under any collation (keys are lowercase hex).
        where = [column >= prefix] + ([column < f"{following:02x}"] if following < len(PREFIXES) else [])
        known.update(k for k in db.session.scalars(select(column).where(*where)) if k)
    return known
