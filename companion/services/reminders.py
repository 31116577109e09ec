"""Reminder scheduling and the send-due batch.

Scheduling writes one Reminder row per (account, item, due time, lead time); a unique key makes it
idempotent. Sending claims rows first, so a row is sent once even when two batches run together:
PostgreSQL takes the rows with SELECT ... FOR UPDATE SKIP LOCKED; SQLite (one writer at a time) uses a
conditional UPDATE on the lease column, which only one batch can win.
"""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from flask import has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update

from ..extensions import db
from ..models.account import User
from ..models.agenda import PersonalReminder, Reminder, ReminderPreference
from ..models.delegation import Delegation
from ..models.profile import Profile, ProfileOwner
from ..models.push import PushDelivery, PushSubscription
from ..models.types import utcnow
from . import access as access_service
from . import agenda_store
from . import push as push_service

log = logging.getLogger("companion.reminders")

HORIZON = timedelta(days=31)
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 6
PREVENTION_HOUR = time(9, 0)


def preferences(user_id: int) -> ReminderPreference:
    pref = db.session.scalar(select(ReminderPreference).where(ReminderPreference.user_id == user_id))
    if pref is None:
        pref = ReminderPreference(user_id=user_id, muted_profiles="", quiet_start=21 * 60, quiet_end=8 * 60,
                                  prevention_leads="20160 0", appointment_leads="1440 120")
        db.session.add(pref)
        db.session.flush()
    return pref


def save_preferences(user_id: int, profile_ids: list[int], wanted: set[int], quiet_start: int,
                     quiet_end: int, prevention_leads: list[int], appointment_leads: list[int]) -> None:
    """Keep what the person chose: profiles not ticked are muted (only among `profile_ids`, the ones
    they manage), quiet hours in minutes of the day, leads in minutes. Unsent reminders are planned
    again by the next batch with the new choices."""
    pref = preferences(user_id)
    pref.muted_profiles = " ".join(str(pid) for pid in profile_ids if pid not in wanted)
    pref.quiet_start, pref.quiet_end = quiet_start % 1440, quiet_end % 1440
    pref.prevention_leads = " ".join(str(m) for m in prevention_leads)
    pref.appointment_leads = " ".join(str(m) for m in appointment_leads)
    forget_unsent(user_id)
    db.session.flush()


def leads(text: str) -> list[int]:
    return sorted({int(x) for x in (text or "").split() if x.isdigit()}, reverse=True)


def recipients(profile_id: int, now: datetime) -> list[int]:
    """Everyone who manages the profile: owners, and caregivers holding the agenda scope."""
    ids = access_service.owner_ids(profile_id) + access_service.caregiver_ids(profile_id, "agenda", now)
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
        # Already due: one reminder today (the key holds the due date, so it is not repeated daily).
        due = datetime.combine(max(day, today), PREVENTION_HOUR, tzinfo=tz)
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
    """Create the reminder rows due within the horizon for every account that has a device
    subscribed. Returns how many rows were added."""
    now = now or utcnow()
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_(select(PushSubscription.user_id))))}
    if not users:
        return 0
    plan = Plan()
    linked = select(ProfileOwner.profile_id).where(ProfileOwner.user_id.in_(list(users))).union(
        select(Delegation.profile_id).where(Delegation.caregiver_id.in_(list(users))))
    for profile in db.session.scalars(select(Profile).where(Profile.id.in_(linked)).order_by(Profile.id)):
        for uid in recipients(profile.id, now):
            user = users.get(uid)
            if user is None:
                continue
            pref = preferences(uid)
            if str(profile.id) in pref.muted_profiles.split():
                continue
            _prevention(plan, user, pref, profile, now)
            _personal(plan, user, pref, profile, now)
    return _insert(plan, now)


def _insert(plan: Plan, now: datetime) -> int:
    wanted = {r[0]: r for r in plan.rows if r[4] >= now - timedelta(hours=12)}
    if not wanted:
        return 0
    existing = set(db.session.scalars(select(Reminder.key).where(Reminder.key.in_(list(wanted)))))
    added = 0
    for key, kind, ref, due, when in wanted.values():
        if key in existing:
            continue
        uid, pid = (int(part[1:]) for part in key.split(":")[:2])
        db.session.add(Reminder(key=key, user_id=uid, profile_id=pid, kind=kind, item_ref=ref, due_at=due,
                                scheduled_at=when, attempts=0))
        added += 1
    db.session.flush()
    return added


def _ready(now: datetime):
    return and_(Reminder.sent_at.is_(None), Reminder.failed_at.is_(None), Reminder.scheduled_at <= now,
                or_(Reminder.next_attempt_at.is_(None), Reminder.next_attempt_at <= now),
                or_(Reminder.claimed_until.is_(None), Reminder.claimed_until < now))


# The batch functions below (claim, send_due, run_batch) commit on their own, unlike other services:
# a lease only protects other batches once it is committed, and sent marks must be durable before the
# next network call, or a crash would send the same reminder again. They run only from the command
# and the scheduler thread, never inside a web request (checked: the request's transaction is the view's).
def _batch_only() -> None:
    if has_request_context():
        raise RuntimeError("the reminder batch commits itself: do not run it inside a web request")


def claim(now: datetime, limit: int = 200) -> list[int]:
    """Take a lease on up to `limit` due reminders and commit it, so no other batch sends them."""
    _batch_only()
    token = secrets.token_hex(8)
    if db.engine.dialect.name == "postgresql":
        ids = list(db.session.scalars(select(Reminder.id).where(_ready(now)).order_by(Reminder.scheduled_at)
                                      .limit(limit).with_for_update(skip_locked=True)))
        if ids:
            db.session.execute(update(Reminder).where(Reminder.id.in_(ids))
                               .values(claimed_until=now + LEASE, claim_token=token))
    else:
        # SQLite runs one writer at a time: this single UPDATE re-checks readiness as it writes, so
        # a row another batch claimed first is not taken; the token then says which rows are ours.
        free = select(Reminder.id).where(_ready(now)).order_by(Reminder.scheduled_at).limit(limit)
        db.session.execute(update(Reminder).where(Reminder.id.in_(free.scalar_subquery()), _ready(now))
                           .values(claimed_until=now + LEASE, claim_token=token),
                           execution_options={"synchronize_session": False})
        ids = list(db.session.scalars(select(Reminder.id).where(Reminder.claim_token == token,
                                                                Reminder.claimed_until == now + LEASE)
                                      .order_by(Reminder.scheduled_at)))
    db.session.commit()
    return ids


def payload(reminder: Reminder, profile: Profile, user: User) -> dict:
    """What the lock screen shows: a first name and where to go. Never the item itself."""
    with force_locale(user.locale or "fr"):
        body = _("A reminder for %(name)s is waiting in Companion.", name=profile.first_name)
        title = _("Companion reminder")
    return {"title": title, "body": body, "url": f"/p/{profile.id}/agenda", "tag": f"agenda-{profile.id}"}


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** attempts, 240))


def _deliver(sender, reminder: Reminder, now: datetime, cache: dict) -> str:
    pair = (reminder.profile_id, reminder.user_id)
    if pair not in cache:  # one payload and device list per account and profile in a batch
        profile, user = db.session.get(Profile, pair[0]), db.session.get(User, pair[1])
        assert profile is not None and user is not None, "a reminder goes with its profile and its account"
        # A caregiver whose delegation ended since scheduling gets nothing.
        subs = push_service.subscriptions_of([user.id]) if user.id in recipients(profile.id, now) else None
        cache[pair] = (payload(reminder, profile, user), subs)
    body, subs = cache[pair]
    if subs is None:
        reminder.claimed_until, reminder.failed_at = None, now
        return "failed"
    done = set()
    if reminder.attempts:  # a retry only goes to the devices that did not get it
        done = set(db.session.scalars(select(PushDelivery.subscription_id).where(
            PushDelivery.reminder_id == reminder.id, PushDelivery.result == "sent")))
    retry = False
    for sub in subs:
        if sub.id in done or sub not in db.session:  # pruned earlier in this batch
            continue
        outcome = sender.send(sub, body, reminder.kind)
        push_service.record(sub, reminder.id, outcome)
        retry = retry or outcome.result == "retry"
    reminder.claimed_until = None
    if retry and reminder.attempts + 1 < MAX_ATTEMPTS:
        reminder.attempts += 1
        reminder.next_attempt_at = now + backoff(reminder.attempts)
        return "retry"
    if retry:
        reminder.failed_at = now
        return "failed"
    reminder.sent_at = now
    return "sent"


# Results are committed in small groups: each commit costs a disk sync. The lease keeps other batches
# away meanwhile; only a crash inside a group could repeat at most this many messages.
COMMIT_EVERY = 20


def send_due(sender, now: datetime | None = None, limit: int = 200) -> dict:
    """Claim due reminders, send each to every device of its account, mark it. Returns counts."""
    _batch_only()
    now = now or utcnow()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    cache: dict = {}
    while True:
        ids = claim(now, limit)
        if not ids:
            return counts
        for n, rid in enumerate(ids, 1):
            reminder = db.session.get(Reminder, rid)
            assert reminder is not None, "claimed by this batch, so not deleted under it"
            counts[_deliver(sender, reminder, now, cache)] += 1
            if n % COMMIT_EVERY == 0:
                db.session.commit()
        db.session.commit()
        cache.clear()


def run_batch(sender, now: datetime | None = None) -> dict:
    """The job: schedule what is coming, then send what is due."""
    _batch_only()
    added = schedule(now)
    prune(now or utcnow())
    db.session.commit()
    counts = send_due(sender, now)
    counts["scheduled"] = added
    return counts


def forget_unsent(user_id: int) -> None:
    """Preferences changed: drop this account's unsent reminders; the next batch plans them again."""
    # A mapped class's __table__ is a Table, typed by SQLAlchemy as a FromClause (which has no delete).
    db.session.execute(Reminder.__table__.delete().where(Reminder.user_id == user_id,  # type: ignore[attr-defined]
                                                          Reminder.sent_at.is_(None)))


KEEP_RECEIPTS = timedelta(days=30)
KEEP_DELIVERIES = timedelta(days=90)


def prune(now: datetime) -> None:
    """Old idempotency receipts and send results are of no use any more."""
    from ..models.outbox import OutboxReceipt

    # A mapped class's __table__ is a Table, typed by SQLAlchemy as a FromClause (which has no delete).
    db.session.execute(OutboxReceipt.__table__.delete().where(OutboxReceipt.created_at < now - KEEP_RECEIPTS))  # type: ignore[attr-defined]
    db.session.execute(PushDelivery.__table__.delete().where(PushDelivery.at < now - KEEP_DELIVERIES))  # type: ignore[attr-defined]
