"""Idempotency receipts for writes the offline outbox may send again (and again at the same instant).

A write carrying a key claims it first, through the unique (account, key) constraint, in the same
transaction as its effect: the effect and the claim commit together or not at all. A second request
with that key finds the claim and gets the stored answer instead of applying the write again. A
refused or failed write rolls its claim back with everything else, so the key stays free."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models.outbox import IdempotencyReceipt
from ..models.types import utcnow

KEEP = timedelta(days=30)
# The outbox sends a change only this long after it was made (js/outbox.js, sw/40-outbox.js): later, its
# receipt may be gone, and a change whose first send reached the server, answer lost, would apply twice.
# Two days short of KEEP, for a phone's clock that is a little off.
SEND_WITHIN = KEEP - timedelta(days=2)
IN_FLIGHT = timedelta(seconds=60)  # a claim without an answer yet: the first request is still running


@dataclass(frozen=True)
class Stored:
    """What a replay gets: "mismatch" (same key, another request), "in_flight" (claimed, effect
    committed, answer not stored yet), or "answer" (status, content type and body)."""

    outcome: str
    status: int = 0
    content_type: str = ""
    body: str = ""


def lookup(user_id: int, key: str) -> IdempotencyReceipt | None:
    return db.session.scalar(select(IdempotencyReceipt).where(
        IdempotencyReceipt.user_id == user_id, IdempotencyReceipt.key == key))


def _verdict(row: IdempotencyReceipt, request_hash: str, now: datetime) -> Stored:
    if row.request_hash and row.request_hash != request_hash:
        return Stored("mismatch")
    if row.status == 0:
        # A committed claim means its effect committed with it; only the answer is missing.
        return Stored("in_flight" if now - row.created_at < IN_FLIGHT else "applied")
    return Stored("answer", row.status, row.content_type, row.body)


def claim(user_id: int, key: str, request_hash: str, action: str = "",
          now: datetime | None = None) -> Stored | None:
    """None: the key is ours, apply the write (this must be the transaction's first write: a lost
    claim rolls the transaction back; no savepoint, pysqlite would commit the claim on releasing it).
    Otherwise what the earlier request with this key decided."""
    now = now or utcnow()
    row = lookup(user_id, key)
    if row is not None:
        return _verdict(row, request_hash, now)
    db.session.add(IdempotencyReceipt(user_id=user_id, key=key[:64], request_hash=request_hash,
                                      action=action[:80], status=0, content_type="", body="",
                                      created_at=now))
    try:
        db.session.flush()
    except IntegrityError:  # the same key at the same instant: the other request won
        db.session.rollback()
        row = lookup(user_id, key)
        if row is None:  # it won, then failed and freed the key: let the client send again
            return Stored("in_flight")
        return _verdict(row, request_hash, now)
    return None


def settle(user_id: int, key: str, status: int, content_type: str, body: str) -> bool:
    """Store the answer with the claim. False when the claim is gone (the write rolled back)."""
    result = db.session.execute(update(IdempotencyReceipt).where(
        IdempotencyReceipt.user_id == user_id, IdempotencyReceipt.key == key,
        IdempotencyReceipt.status == 0).values(status=status, content_type=content_type[:100], body=body))
    return bool(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE/DELETE gives a CursorResult, typed as Result


def prune(now: datetime) -> None:
    """Old receipts are of no use: the outbox gives up long before."""
    db.session.execute(delete(IdempotencyReceipt).where(IdempotencyReceipt.created_at < now - KEEP))
