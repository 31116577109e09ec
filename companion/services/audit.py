"""Appending to the access log: one keyed hash chain per profile (or per account), never one for the site.

Why one chain per profile: a single head would make every caregiver's read anywhere wait for every other
one (issue 15). A profile's entries, and an account's own security events, each extend their own chain;
entries with neither go to the "site" chain.

Why a compare-and-swap on the head: `SELECT ... FOR UPDATE` does nothing on SQLite, and a request cannot
restart its transaction as `BEGIN IMMEDIATE` half way through. So an append reads the head, computes its
entry, then moves the head with `UPDATE audit_chains SET seq = n + 1 ... WHERE chain = :c AND seq = n`.
Exactly one writer matches n: on PostgreSQL the others wait on the row lock (the read also takes it, to
spare retries) and then match nothing; on SQLite a writer holds the database's write lock from its first
write to its commit, so a loser's UPDATE runs after the winner committed, matches nothing, and its retry
reads the new head. The unique (chain, seq) is the last guard: a fork could not even be committed.

Each entry's hash is an HMAC (services/audit_keys.py), so changing an entry and recomputing the chain
needs a key the database does not hold; signed checkpoints (services/audit_checkpoints.py) anchor the heads.
Only actions of the catalogue (services/audit_actions.py) are written, with the object type the
catalogue gives them.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models.account import User
from ..models.audit import AccessEvent, AuditChain
from ..models.types import utcnow
from . import audit_checkpoints, audit_keys
from .audit_actions import ACTIONS

if TYPE_CHECKING:  # access imports refusals, which imports this module
    from .access import Access

GENESIS = "0" * 64
RETRIES = 100


class ChainBusy(RuntimeError):
    """The head kept moving under us: only possible if something appends in a tight loop forever."""


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


def _head(chain: str) -> tuple[int, str]:
    query = select(AuditChain.seq, AuditChain.last_hash).where(AuditChain.chain == chain).with_for_update()
    row = db.session.execute(query).first()
    if row is None:
        # Two first entries at once may both get here: the insert that loses does nothing.
        insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        db.session.execute(insert(AuditChain).values(chain=chain, seq=0, last_hash=GENESIS)
                           .on_conflict_do_nothing(index_elements=["chain"]))
        row = db.session.execute(query).first()
        assert row is not None, "the insert above, or the concurrent one that beat it, made the row"
    return row.seq, row.last_hash


def _advance(chain: str, seq: int, new_hash: str) -> bool:
    moved = db.session.execute(
        update(AuditChain).where(AuditChain.chain == chain, AuditChain.seq == seq)
        .values(seq=seq + 1, last_hash=new_hash).execution_options(synchronize_session=False)
    )
    return moved.rowcount == 1  # type: ignore[attr-defined]  # an UPDATE/DELETE gives a CursorResult, typed as Result


def _append(event: AccessEvent) -> AccessEvent:
    key = audit_keys.chain_key()
    for _attempt in range(RETRIES):
        seq, prev = _head(event.chain)
        event.seq, event.prev_hash = seq + 1, prev
        event.hash = digest(key, event)
        if _advance(event.chain, seq, event.hash):
            break
    else:
        raise ChainBusy(event.chain)
    db.session.add(event)
    db.session.flush()
    every = current_app.config.get("AUDIT_CHECKPOINT_EVERY") or 0
    if every and event.seq % every == 0:
        audit_checkpoints.write("periodic")
    return event


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
           object_label: str = "", at: datetime | None = None) -> AccessEvent:
    """Append one event; its object type defaults to the catalogue's."""
    object_type = _checked(action, object_type)
    return _append(AccessEvent(
        at=(at or utcnow()).astimezone(UTC),  # as the database gives it back, so the HMAC matches
        actor_id=getattr(actor, "id", None), actor_name=(getattr(actor, "display_name", "") or "")[:120],
        actor_role=actor_role, profile_id=profile_id, account_id=account_id, action=action,
        object_type=object_type, object_id=str(object_id)[:64], object_label=object_label[:200],
        chain=chain_of(profile_id, account_id),
    ))


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
