"""Reminder planning and the send-due batch.

Planning writes one Reminder row per (account, item, due time, lead time) with
`INSERT ... ON CONFLICT (key) DO NOTHING`, so two planners running together never fail on the unique
key; it looks only at the profiles whose data, managers' settings or rules changed, or whose window
moved on (services/plan_marks.py). Sending is services/delivery.py: claims with fencing tokens.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Protocol

from flask_babel import force_locale
from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models.account import User
from ..models.agenda import PersonalReminder, Reminder, ReminderPreference
from ..models.profile import Profile
from ..models.push import PushDelivery, PushSubscription
from ..models.types import utcnow
from ..texts import gettext as _
from . import access as access_service
from . import agenda_store, digest, plan_marks
from .delivery import LEASE, Claim, backoff, claim, replaceable, send_due  # noqa: F401  (entry points)
from .delivery_rows import batch_only

log = logging.getLogger("companion.reminders")

HORIZON = timedelta(days=31)
BATCHING = ("daily", "each")  # one message a day (services/digest.py), or one per reminder
PREVENTION_HOUR = time(9, 0)


def preferences(user_id: int) -> ReminderPreference:
    pref = db.session.scalar(select(ReminderPreference).where(ReminderPreference.user_id == user_id))
    if pref is None:
        pref = ReminderPreference(user_id=user_id, muted_profiles="", quiet_start=21 * 60, quiet_end=8 * 60,
                                  prevention_leads="20160 0", appointment_leads="1440 120", batching="daily")
        db.session.add(pref)
        db.session.flush()
    return pref


def save_preferences(user_id: int, profile_ids: list[int], wanted: set[int], quiet_start: int,
                     quiet_end: int, prevention_leads: list[int], appointment_leads: list[int],
                     batching: str | None = None) -> None:
    """Keep what the person chose: profiles not ticked are muted (only among `profile_ids`, the ones
    they manage), quiet hours in minutes of the day, leads in minutes. Unsent reminders are planned
    again by the next batch with the new choices."""
    pref = preferences(user_id)
    pref.muted_profiles = " ".join(str(pid) for pid in profile_ids if pid not in wanted)
    pref.quiet_start, pref.quiet_end = quiet_start % 1440, quiet_end % 1440
    pref.prevention_leads = " ".join(str(m) for m in prevention_leads)
    pref.appointment_leads = " ".join(str(m) for m in appointment_leads)
    if batching in BATCHING:
        pref.batching = batching
    forget_unsent(user_id)
    db.session.flush()


def _planning_preferences(user_id: int) -> ReminderPreference:
    """The account's choices, or the defaults without writing them: two planners creating the same
    default row at once would collide on its unique key."""
    pref = db.session.scalar(select(ReminderPreference).where(ReminderPreference.user_id == user_id))
    return pref or ReminderPreference(user_id=user_id, muted_profiles="", quiet_start=21 * 60,
                                      quiet_end=8 * 60, prevention_leads="20160 0",
                                      appointment_leads="1440 120", batching="daily")


def leads(text: str) -> list[int]:
    return sorted({int(x) for x in (text or "").split() if x.isdigit()}, reverse=True)


def recipients(profile_id: int, now: datetime) -> list[int]:
    """Everyone who manages the profile: owners, and caregivers holding the agenda scope."""
    ids = (access_service.owner_ids(profile_id, "agenda")
           + access_service.caregiver_ids(profile_id, "agenda", now))
    return sorted(set(ids))


def outside_quiet(when: datetime, due: datetime, pref: ReminderPreference, tz) -> datetime:
    """Move a reminder out of quiet hours: to their end, or to their start if that would be too late."""
    local = when.astimezone(tz)
    minute = local.hour * 60 + local.minute
    start, end = pref.quiet_start, pref.quiet_end
    quiet = (start <= minute or minute < end) if start > end else (start <= minute < end)
    if not quiet or start == end:
        return when
    day = local.date() if minute < end or start < end else local.date() + timedelta(days=1)
    after = datetime.combine(day, time(end // 60, end % 60), tzinfo=tz)
    if after <= due:
        return after
    before_day = day - timedelta(days=1) if start > end else day
    evening = datetime.combine(before_day, time(start // 60, start % 60), tzinfo=tz) - timedelta(minutes=1)
    return min(when, evening)


@dataclass
class Plan:
    """Reminders wanted for one account: (key, kind, item_ref, due_at, scheduled_at)."""

    rows: list = field(default_factory=list)


def _prevention(plan, user: User, pref, profile: Profile, now: datetime) -> None:
    tz = agenda_store.zone(user.timezone)
    today = now.astimezone(tz).date()
    for item in agenda_store.items_for(profile, today):
        day = item.remind_on
        if day is None or day > today + HORIZON or (day < today and not item.actionable):
            continue
        # Already due: one reminder, today, or tomorrow morning once today's hour is long past (planned
        # in the evening); the key holds the due date, so it is not repeated daily.
        due = datetime.combine(max(day, today), PREVENTION_HOUR, tzinfo=tz)
        if due < now - digest.STALE:
            due = datetime.combine(today + timedelta(days=1), PREVENTION_HOUR, tzinfo=tz)
        for lead in leads(pref.prevention_leads) if day >= today else [0]:
            plan.rows.append((f"u{user.id}:p{profile.id}:{item.id}:{day.isoformat()}:{lead}", "prevention",
                              item.id, due, outside_quiet(due - timedelta(minutes=lead), due, pref, tz)))


def _personal(plan, user: User, pref, profile: Profile, now: datetime) -> None:
    tz = agenda_store.zone(user.timezone)
    rems = db.session.scalars(select(PersonalReminder).where(
        PersonalReminder.profile_id == profile.id, PersonalReminder.deleted_at.is_(None)))
    for rem in rems:
        for at in agenda_store.occurrences(rem, now, now + HORIZON, limit=62):
            minutes = leads(pref.appointment_leads) if rem.kind == "appointment" else [0]
            for lead in minutes:
                key = f"u{user.id}:p{profile.id}:p{rem.id}:{at.astimezone(UTC).isoformat()}:{lead}"
                plan.rows.append((key, rem.kind, f"p{rem.id}", at,
                                  outside_quiet(at - timedelta(minutes=lead), at, pref, tz)))


def schedule(now: datetime | None = None) -> int:
    """Plan the reminders due within the horizon for the profiles that need it (see plan_marks) and
    whose managers have a device subscribed. Returns how many rows were added."""
    now = now or utcnow()
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_(select(PushSubscription.user_id))))}
    if not users:
        return 0
    plan, planned, daily = Plan(), [], set()
    linked = plan_marks.profiles_of_users(list(users))
    query = select(Profile).where(Profile.id.in_(linked), plan_marks.stale(now)).order_by(Profile.id)
    for profile in db.session.scalars(query):
        planned.append(profile.id)
        for uid in recipients(profile.id, now):
            user = users.get(uid)
            if user is None:
                continue
            pref = _planning_preferences(uid)
            if pref.batching != "each":
                daily.add(uid)  # planned below, across every person this account looks after
                continue
            if str(profile.id) in pref.muted_profiles.split():
                continue
            _prevention(plan, user, pref, profile, now)
            _personal(plan, user, pref, profile, now)
    added = _insert(plan, now) + _plan_digests(users, sorted(daily), now)
    plan_marks.mark(db.session, planned, now)
    return added


def _items(plan, user: User, pref, profile: Profile, now: datetime) -> None:
    _prevention(plan, user, pref, profile, now)
    _personal(plan, user, pref, profile, now)


def _plan_digests(users: dict, user_ids: list[int], now: datetime) -> int:
    """One row per account and day for those who chose one message a day (services/digest.py)."""
    values = []
    for uid in user_ids:
        digest.forget_unsent(uid, now)
        values += digest.plan_user(users[uid], _planning_preferences(uid), now, _items)
    if not values:
        return 0
    table = Reminder.__table__
    return len(db.session.execute(upsert(table).values(values).on_conflict_do_nothing(index_elements=["key"])
                                  .returning(table.c.id)).all())


def upsert(table):
    """The dialect's INSERT, which has ON CONFLICT on both PostgreSQL and SQLite."""
    return (postgresql if db.engine.dialect.name == "postgresql" else sqlite).insert(table)


def _insert(plan: Plan, now: datetime) -> int:
    """Add the rows not there yet in a few statements. Keys in sorted order: two planners inserting
    the same keys then wait on each other in the same order and never deadlock."""
    wanted = {r[0]: r for r in plan.rows if r[4] >= now - digest.STALE}
    values = []
    for key in sorted(wanted):
        _, kind, ref, due, when = wanted[key]
        uid, pid = (int(part[1:]) for part in key.split(":")[:2])
        values.append({"key": key, "user_id": uid, "profile_id": pid, "kind": kind, "item_ref": ref,
                       "due_at": due, "scheduled_at": when, "attempts": 0, "fence": 0, "created_at": now})
    added = 0
    for start in range(0, len(values), 500):
        table = Reminder.__table__  # RETURNING counts the new rows (rowcount is not reliable here)
        added += len(db.session.execute(upsert(table).values(values[start:start + 500])
                                        .on_conflict_do_nothing(index_elements=["key"])
                                        .returning(table.c.id)).all())
    return added


class _Named(Protocol):
    id: int
    first_name: str


class _Localized(Protocol):
    locale: str | None


def payload(reminder: object, profile: _Named, user: _Localized) -> dict:
    """What the lock screen shows: a first name and where to go. Never the item itself.
    The batch passes plain rows (delivery_rows.Chunk.load): only these columns are read."""
    with force_locale(user.locale or "fr"):
        body = _("A reminder for %(name)s is waiting in Companion.", name=profile.first_name)
        title = _("Companion reminder")
    return {"title": title, "body": body, "url": f"/p/{profile.id}/agenda", "tag": f"agenda-{profile.id}"}


def digest_payload(profiles: list, user: _Localized) -> dict:
    """The day's one message: the first names of the people with something to see, and the family
    agenda to open. Never what it is about."""
    names = ", ".join(p.first_name for p in profiles[:3]) + (" …" if len(profiles) > 3 else "")
    with force_locale(user.locale or "fr"):
        body = _("Today's reminders for %(names)s are waiting in Companion.", names=names)
        title = _("Companion reminders")
    return {"title": title, "body": body, "url": "/family", "tag": "family-digest"}


def plan_round(now: datetime | None = None) -> int:
    """Plan what is coming and prune old receipts, committed (the first half of every round)."""
    batch_only()
    added = schedule(now)
    prune(now or utcnow())
    db.session.commit()
    return added


def run_batch(sender, now: datetime | None = None) -> dict:
    """A whole round in this process: plan, then send everything due."""
    added = plan_round(now)
    counts = send_due(sender, now)
    counts["scheduled"] = added
    return counts


def forget_unsent(user_id: int) -> None:
    """Preferences changed: drop this account's unsent reminders; the next batch plans them again."""
    # A mapped class's __table__ is a Table, typed by SQLAlchemy as a FromClause (which has no delete).
    db.session.execute(Reminder.__table__.delete().where(  # type: ignore[attr-defined]
        Reminder.user_id == user_id, replaceable(utcnow())))
    plan_marks.forget_users(db.session.connection(), [user_id])


KEEP_DELIVERIES = timedelta(days=90)


def prune(now: datetime) -> None:
    """Old idempotency receipts and send results are of no use any more."""
    from . import receipts

    receipts.prune(now)
    # A mapped class's __table__ is a Table, typed by SQLAlchemy as a FromClause (which has no delete).
    db.session.execute(PushDelivery.__table__.delete().where(  # type: ignore[attr-defined]
        PushDelivery.at < now - KEEP_DELIVERIES))


FORGET_BATCH, FORGET_BATCHES = 10_000, 50  # at most 500,000 rows an hour, in short transactions


def forget_old(now: datetime | None = None) -> int:
    """Sent or given-up reminders due more than KEEP_DELIVERIES ago (their delivery results went first),
    except prevention ones. A prevention reminder's key stays as long as the item does: `_prevention`
    plans that same key every day an item stays late, and the row is what keeps it from being sent
    again. The others' keys hold a day or a time already past, never planned again; the daily digests
    alone are a row a day for each account. Returns how many rows went."""
    now = now or utcnow()
    old = select(Reminder.id).where(Reminder.kind != "prevention", Reminder.due_at < now - KEEP_DELIVERIES,
                                    or_(Reminder.sent_at.is_not(None), Reminder.failed_at.is_not(None)))
    batch = Reminder.__table__.delete().where(  # type: ignore[attr-defined]  # a Table, typed FromClause
        Reminder.id.in_(old.limit(FORGET_BATCH).scalar_subquery()))
    done = 0
    for _batch in range(FORGET_BATCHES):
        gone = db.session.execute(batch).rowcount or 0  # type: ignore[attr-defined]  # a DELETE: CursorResult
        db.session.commit()
        done += gone
        if gone < FORGET_BATCH:
            break
    return done
