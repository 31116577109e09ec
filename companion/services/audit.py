"""Writing and verifying the hash-chained access log. Only actions of the catalogue
(services/audit_actions.py) are written, with the object type the catalogue gives them."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models.audit import AccessEvent, AuditHead
from ..models.types import utcnow
from .audit_actions import ACTIONS

GENESIS = "0" * 64


def _digest(event: AccessEvent) -> str:
    payload = json.dumps([
        event.at.isoformat(timespec="microseconds"), event.actor_id, event.actor_name, event.actor_role,
        event.profile_id, event.account_id, event.action, event.object_type, event.object_id,
        event.object_label, event.prev_hash,
    ], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _head() -> AuditHead:
    # The row lock serialises appenders on PostgreSQL; SQLite has a single writer anyway.
    locked = select(AuditHead).where(AuditHead.id == 1).with_for_update()
    head = db.session.scalar(locked)
    if head is None:
        # Two first entries at once may both get here: the insert that loses does nothing.
        insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        db.session.execute(insert(AuditHead).values(id=1, last_hash=GENESIS, anchor_hash=GENESIS)
                           .on_conflict_do_nothing(index_elements=["id"]))
        head = db.session.scalar(locked)
    return head


class UnknownAction(ValueError):
    """An action missing from the catalogue, or recorded with another object type: a programming error."""


def _checked(action: str, object_type: str | None) -> str:
    entry = ACTIONS.get(action)
    if entry is None:
        raise UnknownAction(f"{action!r} is not in services/audit_actions.py")
    if object_type is not None and object_type != entry.object_type:
        raise UnknownAction(f"{action!r} names a {entry.object_type!r}, not a {object_type!r}")
    return entry.object_type


def record(*, actor=None, actor_role: str, action: str, profile_id: int | None = None,
           account_id: int | None = None, object_type: str | None = None, object_id: str | int = "",
           object_label: str = "", at: datetime | None = None) -> AccessEvent:
    """Append one event; its object type defaults to the catalogue's."""
    object_type = _checked(action, object_type)
    head = _head()
    event = AccessEvent(
        at=at or utcnow(),
        actor_id=getattr(actor, "id", None), actor_name=(getattr(actor, "display_name", "") or "")[:120],
        actor_role=actor_role, profile_id=profile_id, account_id=account_id, action=action,
        object_type=object_type, object_id=str(object_id)[:64], object_label=object_label[:200],
        prev_hash=head.last_hash,
    )
    event.hash = _digest(event)
    head.last_hash = event.hash
    db.session.add(event)
    db.session.flush()
    return event


def record_access(access, actor, action: str, *, object_type: str | None = None, object_id: str | int = "",
                  object_label: str = "") -> AccessEvent | None:
    """Log a read or change of profile data, unless the actor owns the profile."""
    if access.is_owner:
        return None
    return record(actor=actor, actor_role=access.role, action=action, profile_id=access.profile.id,
                  object_type=object_type, object_id=object_id, object_label=object_label)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""


def verify() -> Verdict:
    """Walk the chain in id order; name the first entry whose hash or link does not hold."""
    head = db.session.get(AuditHead, 1)
    expected_prev = head.anchor_hash if head else GENESIS
    checked = 0
    last = expected_prev
    for event in db.session.scalars(select(AccessEvent).order_by(AccessEvent.id)).yield_per(500):
        if event.prev_hash != expected_prev:
            return Verdict(False, checked, event.id, "link to the previous entry is broken")
        if _digest(event) != event.hash:
            return Verdict(False, checked, event.id, "content does not match its hash")
        expected_prev = last = event.hash
        checked += 1
    if head is not None and head.last_hash != last:
        return Verdict(False, checked, None, "the last entries are missing")
    return Verdict(True, checked)
