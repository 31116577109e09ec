"""Outgoing e-mail: composed in the recipient's language, kept in an outbox table, sent through SMTP.

The SMTP server comes from the environment (COMPANION_SMTP_URL, e.g. smtp://host:25, smtps://host:465 or
smtp+starttls://user:password@host:587). Without one, development and tests write each message to the log
(marked as not sent) and production keeps it queued with an error in the log: a message is never dropped
silently. A send that fails is retried by housekeeping with a growing delay.

No message carries health data: only a first name, a date, a structure's name and a link built from
COMPANION_PUBLIC_ORIGIN (never the Host header of a request).

`send_queued` and `send_due` commit on their own, like the reminder batch: a claim only protects the
row from another sender once committed, and a sent mark must be durable before the next send.
"""

import logging
import smtplib
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822_date
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import and_, delete, or_, select, update

from ..extensions import db
from ..models.mail import OutgoingMail
from ..models.types import utcnow
from . import dates
from .agenda_store import zone
from .mail_texts import KINDS

log = logging.getLogger("companion.mail")

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
LANGUAGES = ("fr", "en")
QUEUED = "mail_queued"  # db.session.info key: ids queued in this transaction, sent after its commit


def public_url(path: str) -> str:
    """An absolute link for a message, from the configured public origin only."""
    return current_app.config["PUBLIC_ORIGIN"].rstrip("/") + path


def queue(recipient: str, locale: str | None, kind: str, *, tz: str | None = None, **params) -> OutgoingMail:
    """Compose the message in the recipient's language and keep it in the outbox (flushed, not sent:
    `send_queued` sends it once the caller has committed). A date or datetime among `params` is written
    here, as a day in the recipient's words ("10 juin 2026"), never as the caller's ISO text; a moment
    as the day it is where the recipient lives (`tz`, their account's zone; else the sender's)."""
    lang = locale if locale in LANGUAGES else "fr"
    where = zone(tz) if tz else None
    with force_locale(lang):
        params = {k: dates.day(v, where) if isinstance(v, date) else v for k, v in params.items()}
        subject, body = KINDS[kind](params)
    row = OutgoingMail(recipient=recipient, locale=lang, kind=kind, subject=subject[:200], body=body,
                       attempts=0, last_error="")
    db.session.add(row)
    db.session.flush()
    db.session.info.setdefault(QUEUED, []).append(row.id)
    return row


def build(row: OutgoingMail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = row.recipient
    msg["Subject"] = row.subject
    msg["Date"] = rfc2822_date(row.created_at)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip("> ") or "localhost")
    msg["Auto-Submitted"] = "auto-generated"  # no vacation replies
    msg.set_content(row.body)
    msg["Content-Language"] = row.locale  # after set_content, which resets the Content-* headers
    return msg


def _smtp(url: str, msg: EmailMessage, timeout: float) -> None:
    parts = urlsplit(url)
    secure = parts.scheme == "smtps"
    client = smtplib.SMTP_SSL if secure else smtplib.SMTP
    # No host in the URL: "" is smtplib's own default (no connection, so sending fails), as None did.
    with client(parts.hostname or "", parts.port or (465 if secure else 25), timeout=timeout) as smtp:
        if parts.scheme == "smtp+starttls":
            smtp.starttls()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(msg)


def transmit(msg: EmailMessage, config: dict) -> str:
    """Hand the message over; 'smtp' or 'console'. Raises when it could not be handed over."""
    url = config.get("SMTP_URL") or ""
    if url:
        _smtp(url, msg, config.get("SMTP_TIMEOUT", 10))
        return "smtp"
    if config.get("ENV_NAME") == "production":
        raise RuntimeError("no SMTP server configured (COMPANION_SMTP_URL)")
    log.info("mail NOT SENT (no COMPANION_SMTP_URL; console output)\n%s", msg.as_string())
    return "console"


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** attempts, 720))


def _free(now: datetime):
    return or_(OutgoingMail.claimed_until.is_(None), OutgoingMail.claimed_until < now)


def _claim(mail_id: int, now: datetime) -> bool:
    """Take the row for LEASE; of two senders only one gets it."""
    won = db.session.execute(
        update(OutgoingMail).where(OutgoingMail.id == mail_id, OutgoingMail.sent_at.is_(None),
                                   OutgoingMail.failed_at.is_(None), _free(now))
        .values(claimed_until=now + LEASE).execution_options(synchronize_session=False))
    db.session.commit()
    return won.rowcount == 1  # type: ignore[attr-defined]  # an UPDATE/DELETE gives a CursorResult, typed as Result


def deliver(mail_id: int, now: datetime | None = None) -> bool:
    """Send one queued message if no other sender holds it; record the outcome. Commits."""
    now = now or utcnow()
    if not _claim(mail_id, now):
        return False
    row = db.session.get(OutgoingMail, mail_id)
    assert row is not None, "the row _claim just took under its lease"
    config = current_app.config
    try:
        transmit(build(row, config["MAIL_FROM"]), config)
    except (OSError, smtplib.SMTPException, RuntimeError) as exc:
        row.attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:200]
        if row.attempts >= MAX_ATTEMPTS:
            row.failed_at = now
        else:
            row.next_attempt_at = now + backoff(row.attempts)
        log.warning("mail %s (%s) not sent, attempt %s: %s", row.id, row.kind, row.attempts, row.last_error)
        sent = False
    else:
        row.sent_at, sent = now, True
    row.claimed_until = None
    db.session.commit()
    return sent


def send_queued() -> int:
    """After the caller's commit: hand what this transaction queued to the task queue (its workers
    send and retry, tasks.py), or send it here when no queue runs (a bare app, a command)."""
    ids = db.session.info.pop(QUEUED, [])
    tasks = current_app.extensions.get("companion_tasks")
    if tasks is not None:
        for mail_id in ids:
            tasks.send_mail(mail_id)
        return 0
    return sum(deliver(mail_id) for mail_id in ids)


def due_ids(now: datetime, limit: int = 100) -> list[int]:
    ready = and_(OutgoingMail.sent_at.is_(None), OutgoingMail.failed_at.is_(None),
                 or_(OutgoingMail.next_attempt_at.is_(None), OutgoingMail.next_attempt_at <= now),
                 _free(now))
    return list(db.session.scalars(select(OutgoingMail.id).where(ready).order_by(OutgoingMail.id)
                                   .limit(limit)))


def send_due(now: datetime | None = None) -> int:
    """The housekeeping step: send what is waiting (never sent, or due for a retry). Commits."""
    now = now or utcnow()
    ids = due_ids(now)
    db.session.commit()  # end the read before the first claim
    return sum(deliver(mail_id, now) for mail_id in ids)


def waiting(mail_id: int) -> bool:
    """Still to send (not sent, not given up): a failed send the queue should try again."""
    row = db.session.get(OutgoingMail, mail_id)
    return row is not None and row.sent_at is None and row.failed_at is None


def forget_old(now: datetime | None = None) -> int:
    """Delete the e-mails sent more than a month ago, or given up more than three (housekeeping): their
    text names people and what happened to them, and nothing reads it once it has gone out."""
    now = now or utcnow()
    old = or_(OutgoingMail.sent_at < now - timedelta(days=30),
              OutgoingMail.failed_at < now - timedelta(days=90))
    done = db.session.execute(delete(OutgoingMail).where(old))
    return done.rowcount or 0  # type: ignore[attr-defined]  # a DELETE gives a CursorResult
