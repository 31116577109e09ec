"""The database side of the agenda: load history, mark done, snooze, "not for me", personal reminders.
Services flush; the view commits."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select

from ..extensions import db
from ..models.account import User
from ..models.agenda import AgendaItem, PersonalReminder, Reminder
from ..models.profile import Profile
from ..models.types import utcnow
from ..prevention import load_rules
from ..texts import lazy_gettext as _l
from . import ServiceError, audit, delivery
from .access import Access
from .agenda import Facts, History, Item, add_months, agenda

REPEATS = ("", "daily", "weekly", "monthly")
KINDS = ("appointment", "medicine")


def facts_of(profile: Profile) -> Facts:
    return Facts(profile.birth_date, profile.sex)


def history_of(profile_id: int) -> dict[str, History]:
    rows = db.session.scalars(select(AgendaItem).where(AgendaItem.profile_id == profile_id))
    return {r.rule_id: History(r.done_on, r.snoozed_until, r.dismissed_at is not None, r.dismiss_reason)
            for r in rows}


def items_for(profile: Profile, today: date) -> list[Item]:
    return agenda(facts_of(profile), load_rules(), history_of(profile.id), today)


def _row(access: Access, actor: User, rule_id: str) -> AgendaItem:
    if rule_id not in load_rules():
        raise ServiceError(_l("This agenda item does not exist."), status=404)
    row = db.session.scalar(select(AgendaItem).where(
        AgendaItem.profile_id == access.profile.id, AgendaItem.rule_id == rule_id))
    if row is None:
        row = AgendaItem(profile_id=access.profile.id, rule_id=rule_id, dismiss_reason="")
        db.session.add(row)
    row.updated_by_id = actor.id
    return row


def _forget_pending(profile_id: int, item_ref: str) -> None:
    """Reminders not yet sent for an item that changed are no longer right; the batch reschedules. One
    being sent at this instant is left to finish (deleted under the batch, it lost the step's answers)."""
    db.session.execute(delete(Reminder).where(
        Reminder.profile_id == profile_id, Reminder.item_ref == item_ref, Reminder.sent_at.is_(None),
        delivery.idle(utcnow())))


def _log(access: Access, actor: User, action: str, rule_id: str) -> None:
    rule = load_rules()[rule_id]
    audit.record_access(access, actor, action, object_type="agenda_item", object_id=rule_id,
                        object_label=rule.label_en)


def mark_done(access: Access, actor: User, rule_id: str, done_on: date, today: date) -> AgendaItem:
    birth = access.profile.birth_date
    if done_on > today:
        raise ServiceError(_l("The date cannot be in the future."), status=400, field="done_on")
    if birth and done_on < birth:
        raise ServiceError(_l("The date cannot be before the birth date."), status=400, field="done_on")
    row = _row(access, actor, rule_id)
    row.done_on, row.done_at, row.snoozed_until, row.dismissed_at = done_on, utcnow(), None, None
    _forget_pending(access.profile.id, rule_id)
    _log(access, actor, "agenda.done", rule_id)
    db.session.flush()
    return row


def snooze(access: Access, actor: User, rule_id: str, until: date, today: date) -> AgendaItem:
    if until <= today or until > add_months(today, 12):
        raise ServiceError(_l("Choose a date within the next year."), status=400, field="until")
    row = _row(access, actor, rule_id)
    row.snoozed_until = until
    _forget_pending(access.profile.id, rule_id)
    _log(access, actor, "agenda.snooze", rule_id)
    db.session.flush()
    return row


def dismiss(access: Access, actor: User, rule_id: str, reason: str) -> AgendaItem:
    row = _row(access, actor, rule_id)
    row.dismissed_at, row.dismiss_reason = utcnow(), (reason or "").strip()[:200]
    _forget_pending(access.profile.id, rule_id)
    _log(access, actor, "agenda.dismiss", rule_id)
    db.session.flush()
    return row


def reopen(access: Access, actor: User, rule_id: str) -> AgendaItem:
    """Undo: forget done, snooze and "not for me" for this item."""
    row = _row(access, actor, rule_id)
    row.done_on = row.done_at = row.snoozed_until = row.dismissed_at = None
    row.dismiss_reason = ""
    _forget_pending(access.profile.id, rule_id)
    _log(access, actor, "agenda.reopen", rule_id)
    db.session.flush()
    return row


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "Europe/Paris")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Paris")


def add_personal(access: Access, actor: User, *, kind: str, title: str, day: date, at: time, tz: str,
                 repeat: str = "", until_on: date | None = None, notes: str = "") -> PersonalReminder:
    if kind not in KINDS or repeat not in REPEATS:
        raise ServiceError(_l("Choose one of the options given."), status=400)
    if not title.strip():
        raise ServiceError(_l("Give this reminder a name."), status=400, field="title")
    if until_on and until_on < day:
        raise ServiceError(_l("The end date must come after the first date."), status=400, field="until_on")
    local = datetime.combine(day, at, tzinfo=zone(tz))
    rem = PersonalReminder(profile_id=access.profile.id, kind=kind, title=title.strip()[:120],
                           notes=notes.strip(), starts_at=local, timezone=zone(tz).key, repeat=repeat,
                           until_on=until_on, created_by_id=actor.id)
    db.session.add(rem)
    db.session.flush()
    audit.record_access(access, actor, "agenda.reminder_add", object_type="reminder", object_id=rem.id)
    return rem


def update_personal(access, actor, rem: PersonalReminder, *, kind: str, title: str, day: date, at: time,
                    tz: str, repeat: str = "", until_on: date | None = None, notes: str = "") -> None:
    """Change a personal reminder; what was planned to be sent for it is planned again."""
    if kind not in KINDS or repeat not in REPEATS:
        raise ServiceError(_l("Choose one of the options given."), status=400)
    if not title.strip():
        raise ServiceError(_l("Give this reminder a name."), status=400, field="title")
    if until_on and until_on < day:
        raise ServiceError(_l("The end date must come after the first date."), status=400, field="until_on")
    rem.kind, rem.title, rem.notes = kind, title.strip()[:120], notes.strip()
    rem.repeat, rem.until_on = repeat, until_on
    rem.starts_at, rem.timezone = datetime.combine(day, at, tzinfo=zone(tz)), zone(tz).key
    _forget_pending(access.profile.id, f"p{rem.id}")
    audit.record_access(access, actor, "agenda.reminder_edit", object_type="reminder", object_id=rem.id)
    db.session.flush()


def personal_list(profile_id: int) -> list[PersonalReminder]:
    return list(db.session.scalars(select(PersonalReminder).where(
        PersonalReminder.profile_id == profile_id, PersonalReminder.deleted_at.is_(None))
        .order_by(PersonalReminder.starts_at)))


def personal_get(profile_id: int, reminder_id: int) -> PersonalReminder:
    rem = db.session.scalar(select(PersonalReminder).where(
        PersonalReminder.profile_id == profile_id, PersonalReminder.id == reminder_id,
        PersonalReminder.deleted_at.is_(None)))
    if rem is None:
        raise ServiceError(_l("This reminder does not exist."), status=404)
    return rem


def delete_personal(access: Access, actor: User, reminder_id: int) -> None:
    rem = personal_get(access.profile.id, reminder_id)
    rem.deleted_at = utcnow()
    _forget_pending(access.profile.id, f"p{rem.id}")
    audit.record_access(access, actor, "agenda.reminder_delete", object_type="reminder", object_id=rem.id)
    db.session.flush()


STEP = {"daily": lambda d, n: d + timedelta(days=n), "weekly": lambda d, n: d + timedelta(weeks=n),
        "monthly": add_months}


def occurrences(rem: PersonalReminder, start: datetime, end: datetime, limit: int = 400) -> list[datetime]:
    """UTC times of the reminder between start and end, stepping in local time (summer time safe)."""
    tz = zone(rem.timezone)
    local = rem.starts_at.astimezone(tz)
    if not rem.repeat:
        return [rem.starts_at] if start <= rem.starts_at < end else []
    found: list[datetime] = []
    for n in range(limit * 40):
        day = STEP[rem.repeat](local.date(), n)
        if rem.until_on and day > rem.until_on:
            break
        at = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz)
        if at >= end or len(found) >= limit:
            break
        if at >= start:
            found.append(at)
    return found


