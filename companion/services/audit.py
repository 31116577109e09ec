"""Appending to the access log: one keyed hash chain per profile (or per account), never one for the site.

Why one chain per profile: a single head would make every caregiver's read anywhere wait for every other
one (issue 15). A profile's entries, and an account's own security events, each extend their own chain;
entries with neither go to the "site" chain.

Why entries are written at the commit (`_write_kept`), not where they are recorded: a request holds a
head from its claim to its commit, and one that then changed a row, or claimed another head, deadlocked
with a request holding that row and wanting the head. Written last, after the flush, the heads in one
order, a request never waits on a head while holding one another request wants.

Why the head is claimed by an UPDATE: `UPDATE audit_chains SET seq = seq + 1 ... RETURNING seq, last_hash`
takes the chain's row and reads it in one round trip. Exactly one writer holds a chain's head at a time:
on PostgreSQL the others wait on the row lock and, once the holder commits, add one to the seq it wrote
and read the hash it left; on SQLite a writer holds the database's write lock from its first write to
its commit (reads run outside a transaction there), so the next claim runs after the holder committed.
The entry and the head's new hash are then written together: one statement on PostgreSQL (a data-
modifying WITH), two on SQLite. A caregiver's page view pays two round trips for its line in the log,
not three. The unique (chain, seq) is the last guard: a fork could not even be committed.

Each entry's hash is an HMAC (services/audit_keys.py), so changing an entry and recomputing the chain
needs a key the database does not hold; signed checkpoints (services/audit_checkpoints.py) anchor the heads.
Only actions of the catalogue (services/audit_actions.py) are written, with the object type the
catalogue gives them.
"""

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

from flask import current_app
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..extensions import db
from ..models.account import User
from ..models.audit import AccessEvent, AuditChain
from ..models.types import utcnow
from . import audit_checkpoints, audit_keys
from .audit_actions import ACTIONS

if TYPE_CHECKING:  # access imports refusals, which imports this module
    from .access import Access

GENESIS = "0" * 64
KEPT = "audit_kept"  # Session.info: the transaction's entries, written at its commit


def chain_of(profile_id: int | None, account_id: int | None) -> str:
    if profile_id is not None:
        return f"p:{profile_id}"
    if account_id is not None:
        return f"a:{account_id}"
    return "site"


def digest(key: bytes, event) -> str:
    """The entry's HMAC over everything it says, its place in its chain and the previous entry's hash."""
    payload = json.dumps([
        "v2", event.chain, event.seq, event.at.isoformat(timespec="microseconds"), event.actor_id,
        event.actor_name, event.actor_role, event.profile_id, event.account_id, event.action,
        event.object_type, event.object_id, event.object_label, event.prev_hash,
    ], separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def _claim(chain: str, count: int) -> tuple[int, str]:
    """Move the chain's head `count` steps (0: only hold it) and hold it until the commit: the first
    entry's seq and the hash before it."""
    connection = db.session.connection()
    row = connection.execute(_statements().claim, {"head": chain, "count": count}).first()
    if row is None:
        # Two first entries at once may both get here: the insert that loses does nothing.
        insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
        connection.execute(insert(AuditChain).values(chain=chain, seq=0, last_hash=GENESIS)
                           .on_conflict_do_nothing(index_elements=["chain"]))
        row = connection.execute(_statements().claim, {"head": chain, "count": count}).first()
        assert row is not None, "the insert above, or the concurrent one that beat it, made the row"
    return row.seq - count + 1, row.last_hash


@cache
def _statements() -> SimpleNamespace:
    """Built once: a page view's log line runs them with its values as parameters (nothing to coerce
    or compile again). Run on the session's connection: neither touches a mapped object."""
    table, chains = cast(Table, AccessEvent.__table__), cast(Table, AuditChain.__table__)
    columns = [c for c in table.columns if c.key != "id"]
    entry = insert(table).values({c.key: bindparam(f"e_{c.key}", type_=c.type) for c in columns}) \
        .returning(table.c.id)
    head = update(chains).where(chains.c.chain == bindparam("head")).values(last_hash=bindparam("new_hash"))
    written = entry.cte("entry")
    return SimpleNamespace(
        columns=[c.key for c in columns], entry=entry, head=head,
        entry_and_head=head.returning(select(written.c.id).scalar_subquery()),
        claim=update(chains).where(chains.c.chain == bindparam("head"))
        .values(seq=chains.c.seq + bindparam("count")).returning(chains.c.seq, chains.c.last_hash))


def _write(event: AccessEvent) -> int:
    """Insert the entry and leave its hash on the head; returns the entry's id."""
    stmts, connection = _statements(), db.session.connection()
    values = {f"e_{key}": getattr(event, key) for key in stmts.columns}
    head = {"head": event.chain, "new_hash": event.hash}
    if connection.dialect.name == "postgresql":
        return connection.execute(stmts.entry_and_head, values | head).scalar_one()
    entry_id = connection.execute(stmts.entry, values).scalar_one()
    connection.execute(stmts.head, head)
    return entry_id


def _append(event: AccessEvent, then: Callable[[AccessEvent], object] | None = None) -> AccessEvent:
    """Keep the entry for the commit (`_write_kept`). Its text is hashed once now, so one that cannot be
    hashed fails here, in the code that logs it, and nothing can fail between a head moving and its
    entry written. `then(event)`: run once the entry is written (its id known), in the same transaction."""
    event.seq, event.prev_hash = 0, GENESIS
    digest(audit_keys.chain_key(), event)
    db.session.connection()  # begins the transaction if none has: its end (commit or not) takes the entry
    db.session.info.setdefault(KEPT, []).append((event, then))
    return event


@sa_event.listens_for(Session, "before_commit")
def _write_kept(session: Session) -> None:
    """Write the transaction's entries last, once every row it changed is flushed, the heads in the order
    of their names. A request that held a head while it went on to change a row (or another head) would
    deadlock with one holding that row and wanting the head (issue 15's review found six such pairs: a
    caregiver leaving while a health professional opens her share, two people ending each other's
    access...). Heads are held only for the commit, so a profile's other requests wait less too."""
    if not session.info.get(KEPT):
        return
    session.flush()
    kept, key = session.info.pop(KEPT), audit_keys.chain_key()
    chains = sorted({event.chain for event, _then in kept})
    if len(chains) > 1:
        for chain in chains:  # every head held, in this order, before any is moved
            _claim(chain, 0)
    every = current_app.config.get("AUDIT_CHECKPOINT_EVERY") or 0
    for event, then in kept:  # in the order they happened: their ids say it where their times are equal
        event.seq, event.prev_hash = _claim(event.chain, 1)
        event.hash = digest(key, event)
        event.id = _write(event)
        if then is not None:
            then(event)
        if every and event.seq % every == 0:
            audit_checkpoints.write("periodic")


@sa_event.listens_for(Session, "after_transaction_end")
def _drop_kept(session: Session, transaction) -> None:
    """A transaction rolled back or closed leaves no entry (as it leaves no row), and none waits for the
    next one's commit. (A committed one's entries were written, and taken, at its commit.)"""
    if transaction.parent is None:
        session.info.pop(KEPT, None)


class UnknownAction(ValueError):
    """An action missing from the catalogue, or recorded with another object type: a programming error."""


def _checked(action: str, object_type: str | None) -> str:
    entry = ACTIONS.get(action)
    if entry is None:
        raise UnknownAction(f"{action!r} is not in services/audit_actions.py")
    if object_type is not None and object_type != entry.object_type:
        raise UnknownAction(f"{action!r} names a {entry.object_type!r}, not a {object_type!r}")
    return entry.object_type


def record(*, actor: User | None = None, actor_role: str, action: str, profile_id: int | None = None,
           account_id: int | None = None, object_type: str | None = None, object_id: str | int = "",
           object_label: str = "", at: datetime | None = None,
           then: Callable[[AccessEvent], object] | None = None) -> AccessEvent:
    """Append one event at the commit (its seq, hash and id are set then); its object type defaults to
    the catalogue's. `then(event)`: what needs its id, run once it is written."""
    object_type = _checked(action, object_type)
    return _append(AccessEvent(
        at=(at or utcnow()).astimezone(UTC),  # as the database gives it back, so the HMAC matches
        actor_id=getattr(actor, "id", None), actor_name=(getattr(actor, "display_name", "") or "")[:120],
        actor_role=actor_role, profile_id=profile_id, account_id=account_id, action=action,
        object_type=object_type, object_id=str(object_id)[:64], object_label=object_label[:200],
        chain=chain_of(profile_id, account_id),
    ), then)


def record_access(access: "Access", actor: User, action: str, *, object_type: str | None = None,
                  object_id: str | int = "", object_label: str = "") -> AccessEvent | None:
    """Log a read or change of profile data, unless the actor owns the profile."""
    if access.is_owner:
        return None
    return record(actor=actor, actor_role=access.role, action=action, profile_id=access.profile.id,
                  object_type=object_type, object_id=object_id, object_label=object_label)


def verify(checkpoint_lines=()):
    """Kept here so callers of `audit.verify()` need not know the checking lives in audit_verify."""
    from .audit_verify import verify as _verify

    return _verify(checkpoint_lines)
