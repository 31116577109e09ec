"""The calendar events of the agenda: what a downloaded .ics says about an agenda item or a personal
reminder. A phone calendar is often shared (family, work) and shows titles on the lock screen, so the
title is neutral ("Health reminder") unless the person chose, on the page, to include what it is.
That choice travels as a query parameter of the download and is stored nowhere."""

from datetime import date, time

from sqlalchemy import select

from ..extensions import db
from ..models.agenda import ReminderPreference
from ..models.profile import Profile
from ..texts import lazy_gettext as _l
from . import agenda_refs, ics
from .agenda import Item
from .agenda_store import zone
from .reminders import PREVENTION_HOUR

NEUTRAL_SUMMARY = _l("Health reminder")
# The calendar alarm rings on the lock screen: it says nothing about health, nor whose reminder it is.
ALARM_TEXT = _l("A reminder is waiting in Companion")


def reminder_hour(user_id: int) -> time:
    """The time of day an all-day item's calendar alarm rings: the hour of the app's prevention
    reminders (9:00), or the end of the person's quiet hours when they cover 9:00, since an alarm on
    the day itself must not ring inside them. Read only: a download does not create settings."""
    pref = db.session.scalar(select(ReminderPreference).where(ReminderPreference.user_id == user_id))
    if pref is None or pref.quiet_start == pref.quiet_end:
        return PREVENTION_HOUR
    minute = PREVENTION_HOUR.hour * 60 + PREVENTION_HOUR.minute
    start, end = pref.quiet_start, pref.quiet_end
    quiet = (start <= minute or minute < end) if start > end else (start <= minute < end)
    return time(end // 60, end % 60) if quiet else PREVENTION_HOUR


def item_event(item: Item, profile: Profile, lang: str, today: date, *, precise: bool, alarm_at: time,
               url: str) -> ics.Event:
    assert item.remind_on is not None, "only an item with a date to remind is put in a calendar"
    day = max(item.remind_on, today)
    summary = f"{item.rule.label(lang)} · {profile.first_name}" if precise else str(NEUTRAL_SUMMARY)
    # The rule's code, not its id: the file lands in shared calendars (services/agenda_refs.py).
    uid = f"{profile.id}-{agenda_refs.ref(item.rule.id)}-{item.remind_on:%Y%m%d}@companion"
    return ics.Event(uid=uid, start=day,
                     summary=summary, description=item.rule.note(lang) if precise else "", url=url,
                     alarm_at=alarm_at, alarm_text=str(ALARM_TEXT))


def reminder_event(rem, profile: Profile, *, precise: bool, url: str = "") -> ics.Event:
    """A personal reminder at its local time in its own time zone (TZID), so a daily medicine stays
    at 8:00 across the summer-time change, as the app's own reminders do."""
    tz = zone(rem.timezone)
    summary = f"{rem.title} · {profile.first_name}" if precise else str(NEUTRAL_SUMMARY)
    return ics.Event(uid=f"{profile.id}-r{rem.id}@companion", start=rem.starts_at.astimezone(tz), tz=tz.key,
                     summary=summary, description=rem.notes if precise else "", url=url,
                     repeat=rem.repeat, until=rem.until_on,
                     alarm_minutes=120 if rem.kind == "appointment" else 0,
                     duration_minutes=60 if rem.kind == "appointment" else 15, alarm_text=str(ALARM_TEXT))
