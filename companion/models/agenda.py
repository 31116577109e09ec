"""The agenda: per-profile state of each prevention rule, personal reminders, and the reminder
rows the batch sends (one per account, item and lead time)."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class AgendaItem(Model):
    """What happened to one prevention rule for one profile (the engine computes the rest)."""

    __tablename__ = "agenda_items"
    __table_args__ = (UniqueConstraint("profile_id", "rule_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[str] = mapped_column(String(40))
    done_on: Mapped[date | None] = mapped_column(Date())  # the day the person says it was done
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when it was recorded
    snoozed_until: Mapped[date | None] = mapped_column(Date())
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dismiss_reason: Mapped[str] = mapped_column(String(200), default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class PersonalReminder(Model):
    """An appointment or a medicine, at a local time in the person's time zone."""

    __tablename__ = "personal_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="appointment")  # appointment | medicine
    title: Mapped[str] = mapped_column(String(120))
    notes: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    repeat: Mapped[str] = mapped_column(String(8), default="")  # "" | daily | weekly | monthly
    until_on: Mapped[date | None] = mapped_column(Date())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReminderPreference(Model):
    """One account's reminder settings. Lead times are lists of minutes before the due time."""

    __tablename__ = "reminder_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    muted_profiles: Mapped[str] = mapped_column(String(400), default="")  # space-separated profile ids
    quiet_start: Mapped[int] = mapped_column(Integer, default=21 * 60)  # minutes after local midnight
    quiet_end: Mapped[int] = mapped_column(Integer, default=8 * 60)
    prevention_leads: Mapped[str] = mapped_column(String(60), default="20160 0")  # 2 weeks, on the day
    appointment_leads: Mapped[str] = mapped_column(String(60), default="1440 120")  # day before, 2 hours
    # "daily": at most one message a day per device, naming the people only (services/digest.py);
    # "each": one message per reminder.
    batching: Mapped[str] = mapped_column(String(8), default="daily", server_default="daily")


class Reminder(Model):
    """One notification to one account. `key` makes scheduling idempotent; `claimed_until` is the
    lease a batch takes before sending and `fence` the claim's number, so two batches never send the
    same row (services/delivery.py)."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # prevention | appointment | medicine
    item_ref: Mapped[str] = mapped_column(String(48))  # rule id or "p<id>"
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(32))
    # Fencing token: raised by one on every claim, so a batch whose lease was taken over holds a stale
    # value and its conditional writes (renew, mark sent) match nothing.
    fence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# What waits to be sent, in the order the claim takes it (services/delivery.py): one small range, however
# many reminders were sent or gave up over the years (without it the claim walked them all: 416 ms at 1.2
# million). Migration 0026.
_WAITING = Reminder.sent_at.is_(None) & Reminder.failed_at.is_(None)
Index("ix_reminders_waiting", Reminder.scheduled_at, postgresql_where=_WAITING, sqlite_where=_WAITING)


class PlanMark(Model):
    """A profile's reminders are planned up to `planned_until` with the rules whose digest is kept.
    The row is deleted when anything planning reads changes (services/plan_marks.py), so the next
    round plans that profile again and leaves the others alone."""

    __tablename__ = "plan_marks"

    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True)
    planned_until: Mapped[datetime] = mapped_column(UTCDateTime())
    rules_digest: Mapped[str] = mapped_column(String(64))

# Reminders other than prevention ones, by due time, for the hour's forgetting of those long sent
# (services/reminders.forget_old): without it each run read every reminder ever planned. Migration 0027.
_FORGETTABLE = Reminder.kind != "prevention"
Index("ix_reminders_forgettable", Reminder.due_at, postgresql_where=_FORGETTABLE, sqlite_where=_FORGETTABLE)
