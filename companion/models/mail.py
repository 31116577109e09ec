"""Outgoing e-mail, kept until the SMTP server has accepted it: a failed send is retried by housekeeping,
never dropped. The text is composed in the recipient's language when queued and holds no health data."""

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class OutgoingMail(Model):
    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(40))  # which message, e.g. recovery_started
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # A sender holds the row until then, so two senders never send it twice.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(200), default="")


# What waits to be sent (services/mail.due_ids), oldest first: a small range however many were sent or
# gave up (without it, past a few failed ones, the retry walked the whole outbox). Migration 0026.
_WAITING = OutgoingMail.sent_at.is_(None) & OutgoingMail.failed_at.is_(None)
Index("ix_mail_outbox_waiting", OutgoingMail.id, postgresql_where=_WAITING, sqlite_where=_WAITING)
