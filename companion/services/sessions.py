"""Server-side sessions: the cookie carries a random token, the row decides if it is alive."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import and_, bindparam, delete, exists, or_, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models.account import User, UserSession
from ..models.credential import WebAuthnCredential
from ..models.onboarding import PendingRecovery
from ..models.types import utcnow
from ..pg_plans import PLAN_ONCE
from . import audit

# Writing last_seen_at on every request would make each page view a write.
TOUCH_EVERY = timedelta(seconds=60)
# An ended session's row, then its device, are forgotten: unknown, a token is refused as a revoked one is.
# Kept a year while it still has to tell a lost phone to forget everything when it connects again.
FORGET_ENDED, FORGET_WIPE = timedelta(days=30), timedelta(days=400)


@dataclass(frozen=True)
class AccountFacts:
    """What every page asks about the signed-in account (the key banner and the mediators' key rule,
    the recovery banner), read in the same statement as the session rather than in two more."""

    has_key: bool
    recovery_waiting: bool


@dataclass(frozen=True)
class Lifetimes:
    """How long a session lives: `idle` since its last request (a mediator's may be shorter), `absolute`
    since it opened."""

    idle: timedelta
    absolute: timedelta
    mediator_idle: timedelta | None = None

    def idle_for(self, user: User) -> timedelta:
        if user.role == "mediator" and self.mediator_idle is not None:
            return min(self.idle, self.mediator_idle)
        return self.idle


def configured() -> Lifetimes:
    cfg = current_app.config
    return Lifetimes(idle=timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]),
                     absolute=timedelta(hours=cfg["SESSION_ABSOLUTE_HOURS"]),
                     mediator_idle=timedelta(minutes=cfg["MEDIATOR_IDLE_MINUTES"]))


def _alive(sess, user: User, now: datetime, lifetimes: Lifetimes):
    """The rule, once: on a row (True or False) or on the class (an SQL condition)."""
    idle, absolute = now - lifetimes.idle_for(user), now - lifetimes.absolute
    recent = (sess.last_seen_at >= idle) & (sess.created_at >= absolute)
    if sess is UserSession:
        return recent & or_(UserSession.ends_at.is_(None), UserSession.ends_at > now)
    return recent and (sess.ends_at is None or sess.ends_at > now)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(user: User, *, user_agent: str = "", shared_device: bool = False,
                 method: str = "password") -> tuple[str, UserSession]:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    sess = UserSession(
        user_id=user.id, token_hash=_digest(token), created_at=now, authenticated_at=now,
        last_seen_at=now, user_agent=user_agent[:200], shared_device=shared_device, method=method,
    )
    db.session.add(sess)
    db.session.flush()
    return token, sess


@lru_cache(maxsize=1)
def _session_statement():
    """Every request asks: built once, the token's digest a bound value."""
    has_key = exists().where(WebAuthnCredential.user_id == UserSession.user_id)
    waiting = exists().where(PendingRecovery.user_id == UserSession.user_id, *PendingRecovery.still_waiting())
    return (select(UserSession, has_key, waiting).options(joinedload(UserSession.user))
            .where(UserSession.token_hash == bindparam("token_hash")).execution_options(**PLAN_ONCE))


def resolve(token: str, lifetimes: Lifetimes | None = None,
            now: datetime | None = None) -> tuple[UserSession | None, bool]:
    """The live session for a token (None if unknown, revoked, idle too long or too old), and whether a
    refused one asks its device to forget everything (signed out from another device: `wipe_all`), read
    from the same row."""
    if not token:
        return None, False
    now = now or utcnow()
    row = db.session.execute(_session_statement(), {"token_hash": _digest(token)}).first()
    if row is None:
        return None, False
    sess = row[0]
    sess.user.facts = AccountFacts(has_key=bool(row[1]), recovery_waiting=bool(row[2]))
    if sess.revoked_at is not None:
        return None, bool(sess.wipe_all)
    if not _alive(sess, sess.user, now, lifetimes or configured()):
        sess.revoked_at = now
        return None, bool(sess.wipe_all)
    if now - sess.last_seen_at > TOUCH_EVERY:
        _touch(sess, now)
    return sess, False


def _touch(sess: UserSession, now: datetime) -> None:
    """Written at once in its own short transaction: committing the request's session instead would
    expire the account and session just loaded, and the page would read both again."""
    with db.engine.begin() as conn:
        conn.execute(update(UserSession).where(UserSession.id == sess.id).values(last_seen_at=now))
    set_committed_value(sess, "last_seen_at", now)


def revoke(sess: UserSession) -> None:
    if sess.revoked_at is None:
        sess.revoked_at = utcnow()


def logged_in(user: User, method: str) -> None:
    """A login by the person (not a new account's first session): the access log keeps how."""
    audit.record(actor=user, actor_role="owner", action="account.login", account_id=user.id, object_id=method)


def sign_out_others(user: User, keep: UserSession) -> int:
    """The person signs out every other device; the access log says how many."""
    count = revoke_others(user, keep)
    audit.record(actor=user, actor_role="owner", action="security.signed_out_others", account_id=user.id,
                 object_id=count)
    return count


def revoke_others(user: User, keep: UserSession | None) -> int:
    """Every session not yet revoked, the ones expired since their device's last visit included: a lost
    phone is then told to forget everything when it next connects (`wipe_all`)."""
    count = 0
    for sess in unrevoked(user):
        if keep is None or sess.id != keep.id:
            sess.revoked_at, sess.wipe_all = utcnow(), True
            count += 1
    return count


def unrevoked(user: User, *also) -> list[UserSession]:
    """The account's sessions not revoked, newest first (`also`: more conditions)."""
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None), *also)
        .order_by(UserSession.last_seen_at.desc())
    ))


def signed_in_devices(user: User, now: datetime | None = None,
                      lifetimes: Lifetimes | None = None) -> list[UserSession]:
    """The devices signed in now, newest first (the security page). A session expires when its device
    comes back after too long; until then its row says nothing, so the rule is asked here too: the page
    listed every phone that had not come back since, months later."""
    return unrevoked(user, _alive(UserSession, user, now or utcnow(), lifetimes or configured()))


def is_fresh(sess: UserSession | None, minutes: int, now: datetime | None = None) -> bool:
    return sess is not None and (now or utcnow()) - sess.authenticated_at <= timedelta(minutes=minutes)


def mark_fresh(sess: UserSession) -> None:
    sess.authenticated_at = utcnow()


def revoke_own(user: User, session_id: int) -> bool:
    """Sign out one device of this account (never another account's); the access log says so."""
    sess = db.session.scalar(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.id == session_id, UserSession.revoked_at.is_(None)))
    if sess is None:
        return False
    sess.revoked_at, sess.wipe_all = utcnow(), True
    audit.record(actor=user, actor_role="owner", action="security.device_signed_out", account_id=user.id,
                 object_id=session_id)
    return True


def prune(now: datetime | None = None) -> int:
    """Forget the rows of sessions ended a while ago (housekeeping): which browser signed in when is
    of no use once the session is over, and the security page would read them all."""
    now = now or utcnow()
    ended = or_(and_(UserSession.revoked_at < now - FORGET_ENDED, UserSession.wipe_all.is_(False)),
                and_(UserSession.revoked_at.is_(None), UserSession.last_seen_at < now - FORGET_ENDED),
                UserSession.created_at < now - FORGET_WIPE)
    done = db.session.execute(delete(UserSession).where(ended))
    return done.rowcount or 0  # type: ignore[attr-defined]  # a DELETE gives a CursorResult
