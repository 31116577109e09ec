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
from flask_babel import gettext as _
from sqlalchemy import and_, delete, or_, select, update

from ..extensions import db
from ..models.mail import OutgoingMail
from ..models.types import utcnow
from . import dates

log = logging.getLogger("companion.mail")

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
LANGUAGES = ("fr", "en")
QUEUED = "mail_queued"  # db.session.info key: ids queued in this transaction, sent after its commit


def _recovery_started(p: dict) -> tuple[str, str]:
    subject = _("A new password was requested for your Companion account")
    body = _(
        "Hello %(name)s,\n\n"
        "On %(started)s, someone asked for a new password for your Companion account, "
        "at %(structure)s.\n\n"
        "Nothing changes before %(effect)s. Until then, your password and your keys still work.\n\n"
        "If it was you, you have nothing to do.\n\n"
        "If it was not you, stop it now. Open this link on a phone or computer where you are "
        "signed in to Companion, and press \"No, cancel it\":\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _password_reset(p: dict) -> tuple[str, str]:
    subject = _("Your new Companion password")
    body = _(
        "Hello %(name)s,\n\n"
        "Someone asked for a new password for your Companion account. If it was you, open this link "
        "and choose a new password. It works once, for %(minutes)s minutes:\n%(link)s\n\n"
        "If you have a security key or a phone added as a key, you will still need it to log in.\n\n"
        "If it was not you, do nothing: your password stays the same.\n\n"
        "Companion", **p)
    return subject, body


def _access_ending_caregiver(p: dict) -> tuple[str, str]:
    subject = _("Your help for %(person)s ends on %(date)s", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "Your access as a caregiver for %(person)s ends on %(date)s. After that day, you will not see "
        "their space any more.\n\n"
        "If the help should go on, ask %(person)s to renew it.\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _access_ending_owner(p: dict) -> tuple[str, str]:
    subject = _("The access of %(caregiver)s ends on %(date)s", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "%(caregiver)s helps with the profile of %(person)s until %(date)s. After that day, "
        "%(caregiver)s will not see it any more.\n\n"
        "To renew it or end it sooner, open this page:\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _new_device(p: dict) -> tuple[str, str]:
    subject = _("A new login to your Companion account")
    body = _(
        "Hello %(name)s,\n\n"
        "On %(when)s, your password was used to log in on a phone or computer that had never logged "
        "in to your account before (%(system)s).\n\n"
        "If it was you, you have nothing to do.\n\n"
        "If it was not you, change your password now and sign out the other devices, on this page:\n"
        "%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _invitation(p: dict) -> tuple[str, str]:
    subject = _("%(inviter)s invites you to help on Companion", **p)
    body = _(
        "Hello,\n\n"
        "%(inviter)s invites you to help with the profile of %(person)s on Companion.\n\n"
        "1. Create your Companion account (free):\n%(register)s\n\n"
        "2. Then type this invitation code:\n%(code)s\n%(link)s\n\n"
        "The code works once, for %(days)s days. If you do not know %(inviter)s, do nothing.\n\n"
        "Companion", **p)
    return subject, body


def _dependent_review(p: dict) -> tuple[str, str]:
    subject = _("Check the legal basis for %(person)s before %(date)s", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "You manage the profile of %(person)s on Companion. You said you would check the legal basis "
        "(and its proof) by %(date)s.\n\n"
        "If it still holds, confirm it with a new date. If it changed, update it:\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _closure_requested_caregiver(p: dict) -> tuple[str, str]:
    subject = _("The space of %(person)s on Companion will close", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "%(by)s asked to close the space of %(person)s on Companion. It will be deleted on %(date)s.\n\n"
        "Your access as a caregiver has ended today. If the closure is cancelled, %(by)s will need to "
        "invite you again.\n\n"
        "Companion", **p)
    return subject, body


def _closure_requested_owner(p: dict) -> tuple[str, str]:
    subject = _("The space of %(person)s on Companion will close", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "%(by)s asked to close the space of %(person)s on Companion. It will be deleted on %(date)s, "
        "for you too.\n\n"
        "Until then, you can download a copy or cancel the closure on this page:\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _closure_cancelled(p: dict) -> tuple[str, str]:
    subject = _("The space of %(person)s on Companion stays open", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "The closure of the space of %(person)s on Companion was cancelled. Nothing was deleted.\n\n"
        "Companion", **p)
    return subject, body


def _closure_done(p: dict) -> tuple[str, str]:
    subject = _("The space of %(person)s on Companion is closed", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "As planned, the space of %(person)s on Companion was closed today. Everything in it was "
        "deleted for good. Only the list of who opened it is kept for a while, as the law "
        "requires.\n\n"
        "Companion", **p)
    return subject, body


def _teen_soon_parent(p: dict) -> tuple[str, str]:
    subject = _("%(person)s will soon manage their own health space", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "On %(date)s, %(person)s reaches the age when they decide who sees their health space. "
        "From then on, you will see what %(person)s agrees to share with you.\n\n"
        "Please make a login code for %(person)s and give it to them. They can use it alone, or at a "
        "France Services office where someone will help them:\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _teen_now_parent(p: dict) -> tuple[str, str]:
    subject = _("%(person)s now decides who sees their health space", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "%(person)s has reached the age when they decide who sees their health space. Once they have "
        "their own login, you will see what they agree to share with you.\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _teen_joined_parent(p: dict) -> tuple[str, str]:
    subject = _("%(person)s now has their own login", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "%(person)s used the login code. Their health space is now also theirs. When the teen age "
        "comes, %(person)s chooses what you still see.\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _adult_soon(p: dict) -> tuple[str, str]:
    subject = _("On %(date)s, the health space of %(person)s becomes theirs alone", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "On %(date)s, %(person)s comes of age. Their health space will then be theirs alone. Parents "
        "keep access only if %(person)s chooses so.\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _adult_now_parent(p: dict) -> tuple[str, str]:
    subject = _("The health space of %(person)s is now theirs alone", **p)
    if p.get("kept") == "yes":
        text = _("%(person)s chose to let you keep your access for one year, as a caregiver.", **p)
    else:
        text = _("Your access has ended. %(person)s can invite you again as a caregiver.", **p)
    body = _("Hello %(name)s,\n\n%(person)s has come of age.", **p) + " " + text + "\n" + p["link"] \
        + "\n\nCompanion"
    return subject, body


def _adult_waiting_parent(p: dict) -> tuple[str, str]:
    subject = _("%(person)s has come of age", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "%(person)s has come of age, but has no login to Companion yet. Until they have one, you keep "
        "their health space. Make a login code for %(person)s and give it to them: once they use it, "
        "the space is theirs alone.\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _teen_now_teen(p: dict) -> tuple[str, str]:
    subject = _("You now decide who sees your health space")
    body = _(
        "Hello %(name)s,\n\n"
        "From today, you choose what your parents see in your health space. They see the prevention "
        "agenda, unless you choose otherwise. You can also hide a document from them.\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _adult_now_teen(p: dict) -> tuple[str, str]:
    subject = _("Your health space is now yours alone")
    body = _(
        "Hello %(name)s,\n\n"
        "You have come of age: your health space is now yours alone. You can invite someone to help you "
        "at any time, on the caregivers page.\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


KINDS = {"teen_soon_parent": _teen_soon_parent, "teen_now_teen": _teen_now_teen,
         "adult_now_teen": _adult_now_teen, "teen_now_parent": _teen_now_parent,
         "teen_joined_parent": _teen_joined_parent, "adult_soon": _adult_soon,
         "adult_now_parent": _adult_now_parent, "adult_waiting_parent": _adult_waiting_parent,
         "closure_requested_caregiver": _closure_requested_caregiver,
         "closure_requested_owner": _closure_requested_owner, "closure_cancelled": _closure_cancelled,
         "closure_done": _closure_done,
         "invitation": _invitation, "dependent_review": _dependent_review, "new_device": _new_device,
         "recovery_started": _recovery_started,
         "password_reset": _password_reset,
         "access_ending_caregiver": _access_ending_caregiver, "access_ending_owner": _access_ending_owner}


def public_url(path: str) -> str:
    """An absolute link for a message, from the configured public origin only."""
    return current_app.config["PUBLIC_ORIGIN"].rstrip("/") + path


def queue(recipient: str, locale: str | None, kind: str, **params) -> OutgoingMail:
    """Compose the message in the recipient's language and keep it in the outbox (flushed, not sent:
    `send_queued` sends it once the caller has committed). A date or datetime among `params` is written
    here, as a day in the recipient's words ("10 juin 2026"), never as the caller's ISO text."""
    lang = locale if locale in LANGUAGES else "fr"
    with force_locale(lang):
        params = {k: dates.day(v) if isinstance(v, date) else v for k, v in params.items()}
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
