"""Assisted onboarding: a mediator opens a session, the person joins with a short code, consents,
and goes through the steps. The session records who helped whom, when, and step statuses only."""

import hashlib
import hmac
import secrets
from contextlib import nullcontext
from datetime import date, datetime, timedelta

from flask_babel import force_locale
from sqlalchemy import select, update

from ..extensions import db
from ..models.account import User, UserSession
from ..models.onboarding import STEPS, AssistedSession, AssistedStep, Structure
from ..models.profile import SEXES, Profile
from ..models.types import utcnow
from ..texts import lazy_gettext as _l
from . import ServiceError, audit, dates, recovery, sessions, webauthn
from .access import Access

CODE_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=1)
CODE_DIGITS = 6
STEP_LABELS = {
    "account": _l("Account"), "key": _l("Phone as a key"), "recovery": _l("Recovery sheet"),
    "profile": _l("Profile"), "family": _l("Child or helper"), "reminders": _l("Reminders"),
    "document": _l("First document"),
}


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in (raw or "") if ch.isdigit())


def require_mediator(actor: User) -> Structure:
    """The mediator's structure; anyone else gets a 404 (mediator pages do not exist for them)."""
    if actor is None or getattr(actor, "role", "") != "mediator" or actor.structure_id is None:
        raise ServiceError(_l("This page does not exist or is not yours to see."), status=404)
    structure = db.session.get(Structure, actor.structure_id)
    assert structure is not None, "structure_id is a foreign key"
    return structure


def _active_codes(now: datetime) -> set[str]:
    return set(db.session.scalars(select(AssistedSession.code_hash).where(
        AssistedSession.code_hash.is_not(None), AssistedSession.code_expires_at > now)))


def start(mediator: User, now: datetime | None = None) -> tuple[AssistedSession, str]:
    """A new session and its short code (shown once; only its hash is kept)."""
    structure = require_mediator(mediator)
    now = now or utcnow()
    taken = _active_codes(now)
    while True:  # two live sessions must never share a code
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        if _digest(code) not in taken:
            break
    sess = AssistedSession(structure_id=structure.id, mediator_id=mediator.id, code_hash=_digest(code),
                           code_expires_at=now + CODE_LIFETIME, created_at=now,
                           expires_at=now + SESSION_LIFETIME, ended_by="")
    db.session.add(sess)
    db.session.flush()
    return sess, code


def is_live(sess: AssistedSession, now: datetime | None = None) -> bool:
    return sess.ended_at is None and (now or utcnow()) < sess.expires_at


def code_usable(sess: AssistedSession, now: datetime | None = None) -> bool:
    return sess.code_hash is not None and (now or utcnow()) < sess.code_expires_at and sess.ended_at is None


def expire_if_due(sess: AssistedSession, now: datetime | None = None) -> None:
    """Close a session that ran past its hour (lazily, when someone looks at it)."""
    now = now or utcnow()
    if sess.ended_at is None and now >= sess.expires_at:
        _close(sess, "expiry", sess.expires_at)


def close_expired(now: datetime | None = None) -> int:
    """Close every session past its hour (housekeeping): its log entry is written and the mediator's
    list is right even if nobody looks at the session again."""
    now = now or utcnow()
    due = db.session.scalars(select(AssistedSession).where(
        AssistedSession.ended_at.is_(None), AssistedSession.expires_at <= now)).all()
    for sess in due:
        _close(sess, "expiry", sess.expires_at)
    return len(due)


def shared_here(token: str | None, now: datetime | None = None) -> bool:
    """Whether this browser joined a live help session saying it is a shared computer: a login made in
    it is then a shared computer's, ticked box or not (it said so once, at the start)."""
    sess = for_device(token, now)
    return sess is not None and sess.shared_device and is_live(sess, now)


def bind_login(sess: AssistedSession, login: UserSession) -> None:
    """A login made in a help session on a shared computer: wiped at the session's end, whoever ends
    it, and over by the session's hour even if nobody ends it."""
    if sess.shared_device:
        login.shared_device = True
        login.ends_at = sess.expires_at if login.ends_at is None else min(login.ends_at, sess.expires_at)
        db.session.flush()


def claim(code: str, shared_device: bool, now: datetime | None = None) -> tuple[AssistedSession, str]:
    """The person's browser takes the session. Only the first browser succeeds: the code is cleared
    in the same conditional UPDATE that claims it, so a race cannot let two phones in."""
    now = now or utcnow()
    code = normalise_code(code)
    wrong = ServiceError(
        _l("This code does not work. Check the digits with your advisor, or ask for a new code."),
        status=400, field="code")
    if len(code) != CODE_DIGITS:
        raise wrong
    sess = db.session.scalar(select(AssistedSession).where(
        AssistedSession.code_hash == _digest(code), AssistedSession.code_expires_at > now,
        AssistedSession.ended_at.is_(None)))
    if sess is None:
        raise wrong
    token = secrets.token_urlsafe(32)
    result = db.session.execute(
        update(AssistedSession)
        .where(AssistedSession.id == sess.id, AssistedSession.code_hash == _digest(code))
        .values(code_hash=None, claimed_at=now, device_hash=_digest(token), shared_device=shared_device)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE/DELETE gives a CursorResult, typed as Result
        raise wrong
    db.session.refresh(sess)
    return sess, token


def for_device(token: str | None, now: datetime | None = None) -> AssistedSession | None:
    if not token:
        return None
    sess = db.session.scalar(select(AssistedSession).where(AssistedSession.device_hash == _digest(token)))
    if sess is not None:
        expire_if_due(sess, now)
    return sess


def held_by(sess: AssistedSession, token: str | None) -> bool:
    """Whether this device token is the one that joined the session (the browser that ran it)."""
    if not token or not sess.device_hash:
        return False
    return hmac.compare_digest(sess.device_hash, _digest(token))


def latest_for_person(person: User) -> AssistedSession | None:
    return db.session.scalar(select(AssistedSession).where(AssistedSession.person_id == person.id)
                             .order_by(AssistedSession.created_at.desc(), AssistedSession.id.desc()).limit(1))


def for_mediator(mediator: User, session_id: int) -> AssistedSession:
    """A session of the mediator's own structure, or a 404."""
    structure = require_mediator(mediator)
    sess = db.session.scalar(select(AssistedSession).where(
        AssistedSession.id == session_id, AssistedSession.structure_id == structure.id))
    if sess is None:
        raise ServiceError(_l("This page does not exist or is not yours to see."), status=404)
    expire_if_due(sess)
    return sess


def live_sessions(mediator: User, now: datetime | None = None) -> list[AssistedSession]:
    structure = require_mediator(mediator)
    now = now or utcnow()
    return list(db.session.scalars(select(AssistedSession).where(
        AssistedSession.structure_id == structure.id, AssistedSession.mediator_id == mediator.id,
        AssistedSession.ended_at.is_(None), AssistedSession.expires_at > now,
    ).order_by(AssistedSession.created_at.desc())))


def mediator_of(sess: AssistedSession) -> User | None:
    return db.session.get(User, sess.mediator_id) if sess.mediator_id else None


def consent(sess: AssistedSession, now: datetime | None = None) -> None:
    if not is_live(sess, now):
        raise ServiceError(_l("This help session has ended."), status=409)
    if sess.consent_at is None:
        sess.consent_at = now or utcnow()
        db.session.flush()


def _own_profile_id(person: User) -> int | None:
    return db.session.scalar(select(Profile.id).where(Profile.user_id == person.id))


def _labels(person: User, steps) -> str:
    """Step names in the person's language: the access log keeps text, and the person reads it."""
    with force_locale(person.locale) if person.locale else nullcontext():
        return ", ".join(str(STEP_LABELS[s]) for s in steps) or str(_l("no step"))


def _log(sess: AssistedSession, person: User, action: str, **extra) -> None:
    mediator = mediator_of(sess)
    if sess.ended_at is None and mediator is not None:
        actor, role = mediator, "mediator"
    else:  # steps the person finishes alone, after the session
        actor, role = person, "owner"
    audit.record(actor=actor, actor_role=role, action=action, account_id=person.id,
                 profile_id=_own_profile_id(person), **extra)


def attach_person(sess: AssistedSession, person: User) -> None:
    """Link the person's account to the session (after creating it or signing in)."""
    if sess.consent_at is None:
        raise ServiceError(_l("Please agree to be helped first."), status=409)
    if sess.person_id not in (None, person.id) or person.role != "person":
        raise ServiceError(_l("This help session belongs to someone else."), status=409)
    if sess.person_id is None:
        sess.person_id = person.id
        db.session.flush()
        structure = db.session.get(Structure, sess.structure_id)
        assert structure is not None, "a session is deleted with its structure (CASCADE)"
        _log(sess, person, "onboarding.session_started", object_type="structure",
             object_id=structure.id, object_label=structure.name)


def record_step(sess: AssistedSession, person: User | None, step: str, status: str,
                now: datetime | None = None) -> None:
    """Mark a step done or skipped. Needs consent; a skipped step can be done later, a done one stays done."""
    if step not in STEPS or status not in ("done", "skipped"):
        raise ServiceError(_l("This step does not exist."), status=404)
    if sess.consent_at is None:
        raise ServiceError(_l("Please agree to be helped first."), status=409)
    if sess.ended_at is not None and (person is None or sess.person_id != person.id):
        raise ServiceError(_l("This help session has ended."), status=409)
    current = sess.status_of(step)
    if current == status or current == "done":
        return
    row = next((r for r in sess.steps if r.name == step), None)
    if row is None:
        sess.steps.append(AssistedStep(name=step, status=status, recorded_at=now or utcnow()))
    else:
        row.status, row.recorded_at = status, now or utcnow()
    db.session.flush()
    if person is not None and sess.person_id == person.id:
        _log(sess, person, f"onboarding.step_{status}", object_type="step", object_id=step,
             object_label=_labels(person, [step]))


def confirm_done(sess: AssistedSession, person: User, step: str) -> None:
    """The person says a step is done. The key and the recovery sheet are checked, not just claimed."""
    if step == "key" and not webauthn.has_key(person):
        raise ServiceError(_l("No key was saved yet. You can try again."), status=409)
    has_sheet = recovery.remaining(person) > 0
    if step == "recovery" and not has_sheet:
        raise ServiceError(_l("No recovery sheet was made yet. You can try again."), status=409)
    if step == "key" and has_sheet:  # the key page goes on to the sheet by itself
        record_step(sess, person, "recovery", "done")
    record_step(sess, person, step, "done")


def skip(sess: AssistedSession, person: User, step: str) -> None:
    """Leave a step for later; without a password the phone must be the key, so that one stays."""
    if step == "key" and not person.password_hash:
        raise ServiceError(_l("You have no password: your phone must be your key. Please do this step."),
                           status=409)
    record_step(sess, person, step, "skipped")


def next_step(sess: AssistedSession) -> str | None:
    for step in STEPS:
        if sess.status_of(step) == "todo":
            return step
    return None


def _close(sess: AssistedSession, by: str, at: datetime) -> None:
    sess.ended_at, sess.ended_by = at, by
    sess.code_hash = None
    db.session.flush()
    if sess.person_id is not None:
        person = db.session.get(User, sess.person_id)
        assert person is not None, "person_id is set to NULL when the account is deleted"
        if sess.shared_device:  # the person must not stay signed in on the shared computer
            for open_sess in sessions.unrevoked(person):
                # A shared login begun after the session's end (the library, next week) is not its own.
                if open_sess.shared_device and open_sess.created_at <= at:
                    sessions.revoke(open_sess)
        done = _labels(person, [r.name for r in sess.steps if r.status == "done"])
        audit.record(actor=mediator_of(sess), actor_role="mediator", action="onboarding.session_ended",
                     account_id=person.id, profile_id=_own_profile_id(person), object_type="steps",
                     object_id=by, object_label=done)


def end(sess: AssistedSession, by: str, now: datetime | None = None) -> None:
    if sess.ended_at is not None:
        return
    _close(sess, by, now or utcnow())


def complete_profile(access: Access, birth_date: date, sex: str, today: date | None = None) -> None:
    """The person's own birth date and sex (the prevention agenda needs both); a refusal is 422."""
    today = today or dates.local_today(now=utcnow())  # the signed-in person's day, not UTC's
    if sex not in SEXES:
        raise ServiceError(_l("Choose one of the answers."), 422, field="sex")
    if birth_date > today or birth_date.year < today.year - 120:
        raise ServiceError(_l("Enter a real birth date."), 422, field="birth_date")
    access.profile.birth_date, access.profile.sex = birth_date, sex
    db.session.flush()
