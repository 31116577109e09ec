"""The daily digest: at most one push message a day per device for an account that chose "one message a
day" (the default, ReminderPreference.batching). Instead of a Reminder row per item, such an account gets
one row per local day that has anything to remind, keyed `u<id>:digest:<day>`: the unique key is what
keeps it to one a day, and the delivery machinery (services/delivery.py) sends each row once per device.

The row names the people (item_ref "d<id>,<id>") and nothing else; the message says only their first
names and opens the family agenda. Planning it again (a profile's data changed) replaces the days not sent
yet; a day already sent stays sent, so a reminder planned after it waits for the family page. What is
already late is named again at most once a week (one message per item is what "each reminder" gives)."""

from datetime import datetime, time, timedelta

from sqlalchemy import delete, func, select

from ..extensions import db
from ..models.account import User
from ..models.agenda import Reminder, ReminderPreference
from . import access as access_service
from . import agenda_store, delivery

DIGEST_HOUR = time(9, 0)  # local time of the day's message (moved out of quiet hours)
REF_PREFIX = "d"
LATE_EVERY = timedelta(days=7)
# A planned time further in the past than this is not sent: the moment has gone (services/reminders.py).
STALE = timedelta(hours=12)


def key(user_id: int, day) -> str:
    return f"u{user_id}:digest:{day.isoformat()}"


def profiles_of(item_ref: str) -> list[int]:
    """The people a digest row names (item_ref "d12,15")."""
    return [int(p) for p in item_ref[len(REF_PREFIX):].split(",") if p.isdigit()]


def _ref(profile_ids) -> str:
    ref = REF_PREFIX
    for pid in sorted(profile_ids):  # as many as fit the column; the page lists everyone anyway
        if len(ref) + len(str(pid)) + 1 > 48:
            break
        ref += ("," if ref != REF_PREFIX else "") + str(pid)
    return ref


def plan_user(user: User, pref: ReminderPreference, now: datetime, plan_rows) -> list[dict]:
    """The digest rows for one account: `plan_rows(plan, user, pref, profile, now)` fills the items it would
    get one by one (services/reminders.py), grouped here by the local day they fall on."""
    from .reminders import Plan, outside_quiet

    tz = agenda_store.zone(user.timezone)
    today = now.astimezone(tz).date()
    muted = set(pref.muted_profiles.split())
    # What is already late is named again at most once a week, not in every day's message.
    nag_late = not _sent_since(user.id, now - LATE_EVERY)
    by_day: dict = {}
    for access in access_service.accessible_profiles(user, now):
        if not access.allows("agenda") or str(access.profile.id) in muted:
            continue
        plan = Plan()
        plan_rows(plan, user, pref, access.profile, now)
        for row in plan.rows:  # (key, kind, item_ref, due_at, scheduled_at)
            when = row[4]
            late = row[1] == "prevention" and row[0].split(":")[3] < today.isoformat()
            if when >= now - STALE and (nag_late or not late):
                by_day.setdefault(when.astimezone(tz).date(), set()).add(access.profile.id)
    rows = []
    for day, pids in sorted(by_day.items()):
        slot = datetime.combine(day, DIGEST_HOUR, tzinfo=tz)
        slot = outside_quiet(slot, slot + timedelta(hours=12), pref, tz)
        rows.append({"key": key(user.id, day), "user_id": user.id, "profile_id": min(pids),
                     "kind": "digest", "item_ref": _ref(pids), "due_at": slot,
                     "scheduled_at": max(slot, now - timedelta(hours=1)), "attempts": 0, "fence": 0,
                     "created_at": now})
    return rows


def _sent_since(user_id: int, since: datetime) -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(Reminder).where(
        Reminder.user_id == user_id, Reminder.kind == "digest", Reminder.sent_at >= since)))


def forget_unsent(user_id: int, now: datetime) -> None:
    """Before planning an account's digests again: drop the days not sent and not being sent."""
    db.session.execute(delete(Reminder).where(
        Reminder.user_id == user_id, Reminder.kind == "digest", Reminder.failed_at.is_(None),
        delivery.replaceable(now)))
