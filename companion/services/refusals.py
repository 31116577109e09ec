"""Refused requests are counted, not logged one by one, so they can never push real reads out of sight.

One chained entry per (account, profile, hour): the hour's first refusal writes it; the ones after only
add to a counter kept beside the chain (`audit_refusals`). Why a separate counter: the log is append-only
and every entry's HMAC covers what it says, so an entry cannot carry a count that keeps changing. Why at
the first refusal rather than when the hour closes: the owner sees an attempt while it is happening, and
nothing has to run exactly at the end of each hour. What the chain proves is that refusals happened and
when; the count beside it is what the owner reads ("1,000 times in that hour"), not part of the proof.
"""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models.account import User
from ..models.audit import RefusalCount
from ..models.types import utcnow
from . import audit


def hour_of(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _claim_hour(actor_id: int, profile_id: int, hour: datetime) -> bool:
    """True for the hour's first refusal (this call created the counter), False when it already existed."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # RETURNING rather than rowcount: through the ORM, psycopg reports no rowcount for this insert.
    created = db.session.execute(
        insert(RefusalCount).values(actor_id=actor_id, profile_id=profile_id, hour=hour, count=1)
        .on_conflict_do_nothing(index_elements=["actor_id", "profile_id", "hour"]).returning(RefusalCount.id)
    )
    return created.first() is not None


def note(actor: User, role: str, profile_id: int, scope: str, now: datetime | None = None, *,
         known: bool = True) -> None:
    """Count one refusal of `actor` on the profile; the hour's first one also goes into the chain (with
    no profile when the id names none: `known` is False)."""
    hour = hour_of(now or utcnow())
    where = (RefusalCount.actor_id == actor.id, RefusalCount.profile_id == profile_id,
             RefusalCount.hour == hour)
    add_one = update(RefusalCount).where(*where).values(count=RefusalCount.count + 1) \
        .execution_options(synchronize_session=False)
    # Most refusals come in bursts: the hour's counter usually exists, and one UPDATE is all it costs.
    if db.session.execute(add_one).rowcount == 1:  # type: ignore[attr-defined]  # an UPDATE/DELETE gives a CursorResult, typed as Result
        return
    if _claim_hour(actor.id, profile_id, hour):
        audit.record(actor=actor, actor_role=role, action="access.refused",
                     profile_id=profile_id if known else None, object_type="scope", object_id=scope, at=now,
                     then=lambda event: db.session.execute(
                         update(RefusalCount).where(*where).values(event_id=event.id)
                         .execution_options(synchronize_session=False)))
    else:  # another request created it in between
        db.session.execute(add_one)


def counts(event_ids: list[int]) -> dict[int, int]:
    """How many refusals each of these "refused" entries stands for."""
    if not event_ids:
        return {}
    rows = db.session.execute(select(RefusalCount.event_id, RefusalCount.count)
                              .where(RefusalCount.event_id.in_(event_ids)))
    return {event_id: count for event_id, count in rows if event_id is not None}  # in event_ids: never None
