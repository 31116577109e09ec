"""Sending due reminders exactly once: claims with fencing tokens, leases renewed while a batch works,
retries until the message is no longer useful.

What is guaranteed, and why:
- A reminder is claimed by one statement that raises its `fence` by one and sets a lease. Every later
  write of that batch (renewing the lease, marking sent or retried) names the (id, fence) pair it
  claimed, so once another run has taken the row over (fence + 1) the old batch's writes match nothing.
- Before each step of at most STEP messages the batch renews its lease on those rows; only the rows
  the renewal still finds are sent. A run can only take a row over once its lease has expired, so a
  batch slowed by a push service (seconds per answer, longer than the whole lease) keeps its rows as
  long as it is alive and making progress; a batch that stalled lets them go and then sends nothing.
- The window between "check" and "send" is closed by a local deadline: after renewing, a message may
  only start its POST until `lease - (HTTP timeout + SKEW)` has passed on this machine's monotonic
  clock, so every POST that starts also ends before the lease can expire anywhere (clocks of the
  workers agreeing within SKEW). A message that missed the deadline is left for the next step.
- The window between "send" and "mark" cannot be closed from our side: the push service does not
  know our fence. If the process dies after the push service accepted a message and before the
  result is committed (at most one step), the next run sends that message again: delivery is exactly
  once except after such a crash, where it is at least once. Those repeats carry the same `Topic`, so
  a message still waiting at the push service (phone off) is replaced, not doubled.
"""

import logging
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple, cast

from sqlalchemy import Table, and_, bindparam, func, or_, select, update

from ..extensions import db
from ..models.agenda import Reminder
from ..models.types import utcnow
from . import delivery_rows as rows
from . import push

log = logging.getLogger("companion.delivery")

LEASE = timedelta(minutes=5)
CHUNK = 200  # reminders one claim takes: one task of the queue
MAX_CHUNKS_PER_ROUND = 500  # 100,000 reminders a minute; the rest waits for the next round
STEP = 100  # messages between two lease renewals and result commits (two per chunk)
SKEW = timedelta(seconds=5)  # how far the workers' clocks may disagree
# Retries: exponential from RETRY_BASE, capped, with jitter so devices that failed together do not all
# come back at the same second; a push service's Retry-After is a floor.
RETRY_BASE, RETRY_CAP = timedelta(minutes=2), timedelta(hours=1)


class Claim(NamedTuple):
    id: int
    fence: int


@dataclass
class Clock:
    """The batch's time: the `now` it was started with plus the real time spent since, so leases
    and retries stay right in a long batch and tests can still start it at any simulated time."""

    start: datetime = field(default_factory=utcnow)
    t0: float = field(default_factory=time.monotonic)

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.t0)


def ready(now: datetime):
    return and_(Reminder.sent_at.is_(None), Reminder.failed_at.is_(None), Reminder.scheduled_at <= now,
                or_(Reminder.next_attempt_at.is_(None), Reminder.next_attempt_at <= now), idle(now))


def idle(now: datetime):
    """Not being sent now: never claimed, or its lease ran out."""
    return or_(Reminder.claimed_until.is_(None), Reminder.claimed_until < now)


def replaceable(now: datetime):
    """An unsent row planning may delete and make again: not being sent (its answers would be recorded
    against a row gone, and the whole step's lost), and never tried (some devices may have it already:
    made again under the same key, it would reach them a second time)."""
    return and_(Reminder.sent_at.is_(None), Reminder.attempts == 0, idle(now))


def due_count(now: datetime, up_to: int = MAX_CHUNKS_PER_ROUND * CHUNK) -> int:
    """How many reminders a round should hand out (the queue splits them into chunks), counted up to
    what one round hands out at most: read in the claim's order, they are a range of
    ix_reminders_waiting, not every reminder ever sent."""
    waiting = select(Reminder.id).where(ready(now)).order_by(Reminder.scheduled_at).limit(up_to).subquery()
    return db.session.scalar(select(func.count()).select_from(waiting)) or 0


def claim(now: datetime, limit: int = CHUNK) -> list[Claim]:
    """Lease up to `limit` due reminders and commit, so no other run sends them; each claimed row's
    fence goes up by one. PostgreSQL: the rows are locked first (skipping rows another claim holds),
    then updated by id in the same transaction; one UPDATE with the locking sub-select inside may run
    that sub-select once per row and take every due row, not a chunk. SQLite has one writer at a time
    and its UPDATE re-checks readiness as it writes."""
    rows.batch_only()
    free = select(Reminder.id).where(ready(now)).order_by(Reminder.scheduled_at).limit(limit)
    if db.engine.dialect.name == "postgresql":
        chosen = rows.among(Reminder.id, db.session.scalars(free.with_for_update(skip_locked=True)))
    else:
        chosen = Reminder.id.in_(free.scalar_subquery())
    taken = db.session.execute(
        update(Reminder).where(chosen, ready(now))
        .values(claimed_until=now + LEASE, claim_token=secrets.token_hex(8), fence=Reminder.fence + 1)
        .returning(Reminder.id, Reminder.fence),
        execution_options={"synchronize_session": False}).all()
    db.session.commit()
    return sorted(Claim(*row) for row in taken)


def renew(claims: list[Claim], now: datetime) -> set[int]:
    """Extend the lease of the rows still ours (same fence, unsent); commit; return them. A lease that
    ran out but was not taken over is still ours: a claim and this renewal are each one atomic UPDATE,
    so whichever comes second sees the other's write (a raised fence, or an unexpired lease)."""
    if not claims:
        return set()
    table = cast(Table, Reminder.__table__)  # Core statements: the ORM adds nothing to these
    ids = db.session.scalars(
        table.update().where(rows.claimed(table, claims), table.c.sent_at.is_(None))
        .values(claimed_until=now + LEASE).returning(table.c.id)).all()
    db.session.commit()
    return set(ids)


def backoff(attempts: int, asked: float | None = None) -> timedelta:
    """Wait before attempt `attempts + 1`: doubling, capped, jittered to half; at least `asked`."""
    base = min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)
    wait = base * random.uniform(0.5, 1.0)
    return max(wait, timedelta(seconds=asked or 0))


def send_due(sender, now: datetime | None = None, limit: int = CHUNK, chunks: int | None = None) -> dict:
    """Claim due reminders chunk by chunk, send each to every device of its account, mark it.
    `chunks`: how many claims to make at most (a queue task takes one); None: until none is due."""
    rows.batch_only()
    clock = Clock(now or utcnow())
    counts = {"sent": 0, "retry": 0, "failed": 0}
    while chunks is None or chunks > 0:
        claims = claim(clock(), limit)
        if not claims:
            break
        _send_chunk(sender, sender.threads, claims, clock, counts)
        chunks = None if chunks is None else chunks - 1
    return counts


def _send_chunk(sender, pool, claims: list[Claim], clock: Clock, counts: dict) -> None:
    chunk = rows.Chunk.load(claims, clock())
    db.session.commit()  # end the read: on SQLite a read-then-write transaction can fail to upgrade
    for start in range(0, len(claims), STEP):
        step = claims[start:start + STEP]
        ours = renew(step, clock())
        deadline = time.monotonic() + (LEASE - SKEW).total_seconds() - sender.timeout
        work = [m for c in step if c.id in ours for m in chunk.messages(c)]
        outcomes = list(pool.map(_post, [sender] * len(work), work, [deadline] * len(work)))
        _settle(chunk, [c for c in step if c.id in ours], work, outcomes, clock(), counts)


def _post(sender, message, deadline: float):
    if time.monotonic() > deadline:  # too late to be sure the lease outlives the POST
        return None
    try:
        return sender.send(message.sub, message.body, message.kind, message.topic)
    except Exception as exc:  # one device's failure is that message's, never the step's (its answers kept)
        log.exception("push: one message failed")
        return push.Outcome(0, "retry", type(exc).__name__)


def _settle(chunk, claims: list[Claim], work: list, outcomes: list, now: datetime, counts: dict) -> None:
    """Record every answer, then mark each reminder under its fence: sent when every device has it,
    retried later while its message is still useful, failed once it no longer is."""
    rows.record(chunk, work, outcomes)
    marks: dict[str, list] = {"sent": [], "retry": [], "failed": []}  # claims, or the retry rows' parameters
    for c in claims:
        reminder = chunk.reminders[c.id]
        answers = [o for m, o in zip(work, outcomes, strict=True) if m.reminder_id == c.id]
        result = chunk.verdict(reminder, answers)
        if result == "skip":
            continue
        if result == "retry":
            asked = max((o.retry_after or 0 for o in answers if o is not None), default=0)
            when = now + backoff(reminder.attempts + 1, asked)
            if when > reminder.scheduled_at + rows.useful_for(reminder.kind):
                result = "failed"
            else:
                marks["retry"].append({"rid": c.id, "f": c.fence, "a": reminder.attempts + 1, "n": when})
                counts["retry"] += 1
                continue
        marks[result].append(c)
        counts[result] += 1
    _mark(marks, now)
    db.session.commit()


def _mark(marks: dict, now: datetime) -> None:
    table = cast(Table, Reminder.__table__)  # a mapped class's __table__ is a Table (typed FromClause)
    for result in ("sent", "failed"):
        if marks[result]:
            db.session.execute(
                table.update().where(rows.claimed(table, marks[result]), table.c.sent_at.is_(None))
                .values({f"{result}_at": now, "claimed_until": None}))
    if marks["retry"]:
        db.session.execute(
            table.update().where(table.c.id == bindparam("rid"), table.c.fence == bindparam("f"))
            .values(attempts=bindparam("a"), next_attempt_at=bindparam("n"), claimed_until=None),
            marks["retry"])
