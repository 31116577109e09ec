"""The owner stays in control of an assisted recovery (issue 12).

A new password set at a France Services counter with a mediator's code does not take effect at once: it
waits for a hold (RECOVERY_HOLD_HOURS, 72 by default) while every device of the owner is told (Web Push,
a neutral message) and her e-mail address too. It takes effect when the hold ends, or earlier if the owner
confirms from a signed-in device after a fresh login; she can cancel it from any signed-in device. Until
then the account keeps its password, keys and sessions: one person's word at a counter is not enough to
replace a second factor.

Each change of state is one conditional UPDATE, so of two appliers (or an applier and a cancel) exactly one
wins on every database. `apply_due` and `notify_waiting` commit on their own (housekeeping only).
"""

import logging
from datetime import datetime, timedelta

from flask_babel import force_locale
from sqlalchemy import or_, select, update

from ..extensions import db
from ..models.account import User, UserSession
from ..models.onboarding import AssistedRecoveryCode, PendingRecovery, Structure
from ..models.types import utcnow
from ..texts import gettext as _
from ..texts import lazy_gettext as _l
from . import ServiceError, audit, dates, mail, sessions
from . import push as push_service

log = logging.getLogger("companion.recovery")

REQUESTS_PATH = "/account/recovery-requests"
NOT_FOUND = _l("This request does not exist any more, or it was already stopped or applied.")


def _waiting():
    return PendingRecovery.still_waiting()


def _record(pending: PendingRecovery, action: str, *, actor=None, role: str = "system", **extra) -> None:
    from .assisted_recovery import profile_id_of

    person = db.session.get(User, pending.user_id)
    assert person is not None, "a request is deleted with its account (ondelete CASCADE)"
    audit.record(actor=actor, actor_role=role, action=action, account_id=pending.user_id,
                 profile_id=profile_id_of(person), **extra)


def start(person: User, code: AssistedRecoveryCode, password_hash: str, *, hold: timedelta,
          now: datetime) -> PendingRecovery:
    """Keep the new password aside until the hold ends; replace an earlier request; tell the owner by
    e-mail (queued; the push messages go out after the commit, see `notify`)."""
    for older in waiting_for(person):
        _stop(older, now, "replaced")
    structure = db.session.get(Structure, code.structure_id)
    pending = PendingRecovery(user_id=person.id, code_id=code.id, structure_id=code.structure_id,
                              password_hash=password_hash, created_at=now, takes_effect_at=now + hold,
                              cancelled_by="")
    db.session.add(pending)
    db.session.flush()
    label = structure.name if structure else ""
    _record(pending, "recovery.assisted_started", object_type="pending_recovery", object_id=pending.id,
            object_label=label)
    _mail(person, pending, label)
    return pending


def _mail(person: User, pending: PendingRecovery, structure: str) -> None:
    locale = person.locale if person.locale in mail.LANGUAGES else "fr"
    with force_locale(locale):  # dates in the recipient's language, not the counter's
        started = dates.moment(pending.created_at)
        effect = dates.moment(pending.takes_effect_at)
    mail.queue(person.email, locale, "recovery_started",
               tz=person.timezone, name=person.display_name.split(" ")[0],
               started=started, effect=effect, structure=structure, link=mail.public_url(REQUESTS_PATH))


def waiting_for(person: User) -> list[PendingRecovery]:
    return list(db.session.scalars(select(PendingRecovery).where(
        PendingRecovery.user_id == person.id, *_waiting()).order_by(PendingRecovery.created_at)))


def has_waiting(person: User) -> bool:
    facts = getattr(person, "facts", None)  # read with the session (services/sessions.py)
    if facts is not None:
        return facts.recovery_waiting
    return db.session.scalar(select(PendingRecovery.id).where(
        PendingRecovery.user_id == person.id, *_waiting()).limit(1)) is not None


def _own(person: User, pending_id: int) -> PendingRecovery:
    pending = db.session.scalar(select(PendingRecovery).where(
        PendingRecovery.id == pending_id, PendingRecovery.user_id == person.id))
    if pending is None:
        raise ServiceError(NOT_FOUND, status=404)
    return pending


def _stop(pending: PendingRecovery, now: datetime, by: str, actor: User | None = None) -> bool:
    stopped = db.session.execute(
        update(PendingRecovery).where(PendingRecovery.id == pending.id, *_waiting())
        .values(cancelled_at=now, cancelled_by=by, password_hash=None)
        .execution_options(synchronize_session=False))
    db.session.expire(pending)
    if stopped.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE/DELETE gives a CursorResult, typed as Result
        return False
    _record(pending, "recovery.assisted_cancelled", actor=actor, role="owner" if actor else "system",
            object_type="by", object_id=by)
    return True


def cancel(owner: User, pending_id: int, now: datetime | None = None) -> PendingRecovery:
    """"No, cancel it": from any signed-in device of the owner, no fresh login needed (stopping a change
    can only protect her)."""
    pending = _own(owner, pending_id)
    if not _stop(pending, now or utcnow(), "owner", actor=owner):
        raise ServiceError(NOT_FOUND, status=409)
    return pending


def confirm(owner: User, pending_id: int, keep: UserSession | None,
            now: datetime | None = None) -> PendingRecovery:
    """"Yes, it is me" (after a fresh login): the new password takes effect now; this device stays
    signed in, every other one is signed out."""
    now = now or utcnow()
    pending = _own(owner, pending_id)
    marked = db.session.execute(
        update(PendingRecovery).where(PendingRecovery.id == pending.id, *_waiting(),
                                      PendingRecovery.confirmed_at.is_(None))
        .values(confirmed_at=now).execution_options(synchronize_session=False))
    if marked.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE/DELETE gives a CursorResult, typed as Result
        raise ServiceError(NOT_FOUND, status=409)
    _record(pending, "recovery.assisted_confirmed", actor=owner, role="owner")
    apply(pending.id, now, keep=keep)
    db.session.expire(pending)
    return pending


def apply(pending_id: int, now: datetime, keep: UserSession | None = None) -> bool:
    """Make the new password the account's: only once, only if not cancelled, only when due or confirmed.
    Returns whether this call applied it."""
    from .assisted_recovery import remove_second_factors

    won = db.session.execute(
        update(PendingRecovery).where(
            PendingRecovery.id == pending_id, *_waiting(),
            or_(PendingRecovery.takes_effect_at <= now, PendingRecovery.confirmed_at.is_not(None)))
        .values(applied_at=now).execution_options(synchronize_session=False))
    if won.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE/DELETE gives a CursorResult, typed as Result
        return False
    pending = db.session.get(PendingRecovery, pending_id)
    assert pending is not None, "the request this call just marked applied"
    db.session.refresh(pending)
    person = db.session.get(User, pending.user_id)
    assert person is not None, "a request is deleted with its account (ondelete CASCADE)"
    person.password_hash, pending.password_hash = pending.password_hash, None
    removed = remove_second_factors(person)
    sessions.revoke_others(person, keep)
    _record(pending, "recovery.assisted_applied", object_type="keys_removed", object_id=removed)
    db.session.flush()
    return True


def apply_due(now: datetime | None = None) -> int:
    """Housekeeping: apply every request whose hold has ended. Safe to run in several processes."""
    now = now or utcnow()
    ids = list(db.session.scalars(select(PendingRecovery.id).where(
        *_waiting(), PendingRecovery.takes_effect_at <= now).order_by(PendingRecovery.id)))
    db.session.commit()  # end the read: each apply below is its own short transaction
    applied = 0
    for pending_id in ids:
        try:
            applied += apply(pending_id, now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("recovery request %s could not be applied; next run tries again", pending_id)
    return applied


def push_payload(person: User) -> dict:
    """Neutral: it shows on a lock screen. No name of a structure, no health detail."""
    with force_locale(person.locale if person.locale in mail.LANGUAGES else "fr"):
        body = _("A change to your account's security was requested. Open Companion to check.")
    return {"title": "Companion", "body": body, "url": REQUESTS_PATH, "tag": "security"}


def notify(pending_id: int, sender) -> int | None:
    """Tell every device of the owner (once); the number of devices told, None if already done."""
    claimed = db.session.execute(
        update(PendingRecovery).where(PendingRecovery.id == pending_id, PendingRecovery.notified_at.is_(None))
        .values(notified_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()  # the claim must hold before the network calls
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE/DELETE gives a CursorResult, typed as Result
        return None
    pending = db.session.get(PendingRecovery, pending_id)
    assert pending is not None, "the request this call just claimed"
    person = db.session.get(User, pending.user_id)
    assert person is not None, "a request is deleted with its account (ondelete CASCADE)"
    told = 0
    for sub in push_service.subscriptions_of([person.id]):
        outcome = sender.send(sub, push_payload(person), "security")
        push_service.record(sub, None, outcome)
        told += outcome.result == "sent"
    _record(pending, "recovery.assisted_notified", object_type="devices", object_id=told)
    db.session.commit()
    return told


def notify_waiting(sender) -> int:
    """Housekeeping: push to the owners not told yet (no push keys at the time, a crash)."""
    ids = list(db.session.scalars(select(PendingRecovery.id).where(
        *_waiting(), PendingRecovery.notified_at.is_(None))))
    db.session.commit()
    return sum(1 for pending_id in ids if notify(pending_id, sender) is not None)


def for_structure(code_ids: list[int]) -> dict[int, PendingRecovery]:
    """The request each code led to (for the lead's log: dates and states only)."""
    if not code_ids:
        return {}
    rows = db.session.scalars(select(PendingRecovery).where(PendingRecovery.code_id.in_(code_ids)))
    # code_id IN (...) never matches a NULL: the test only tells the checker so.
    return {row.code_id: row for row in rows if row.code_id is not None}


def tell_now(pending_id: int, config: dict) -> None:
    """Right after the request is committed: the push messages and the e-mail, synchronously for now
    (a failure is logged; housekeeping sends what is left). Commits."""
    keys = push_service.load_keys(config)
    if keys is not None:
        try:
            notify(pending_id, push_service.Sender(keys, subject=config.get("VAPID_SUBJECT",
                                                                            "mailto:contact@companion.example")))
        except Exception:
            db.session.rollback()
            log.exception("recovery request %s: push messages not sent", pending_id)
    mail.send_queued()
