"""Slowing down password guessing without letting strangers lock a person out (issue 12).

Failures are counted per (account, client) pair, where the client is the device's signed cookie when it
has one for this account (it signed in before, OWASP "device cookies") and the network address
otherwise. After FREE failures from a pair, each further try from that pair waits 2, 4, 8... seconds
(capped): a guesser is slowed down where they are, while the owner on her own phone, or from any other
address, still gets in. The per-address limit of the login route stays (against spraying many accounts).
Passkey sign-in never looks here: a password failure says nothing about a key.

A try is counted before its password is checked (the count is cleared when it was right), by one
statement that refuses while the pair waits: tries sent at the same instant get no more checks than tries
sent one after another.

Only a digest of (account, client) is stored: no e-mail, no address.
"""

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models.login_throttle import LoginThrottle
from ..models.types import utcnow
from . import accounts

FORGET_AFTER = timedelta(hours=24)  # a pair quiet for a day starts again from zero


def normalise(email: str) -> str:
    return (email or "").strip().lower()[:254]


def account_digest(email: str, secret: str) -> str:
    """Names an account in a cookie or a key without revealing its address."""
    return hmac.new(secret.encode(), normalise(email).encode(), hashlib.sha256).hexdigest()[:32]


def pair_key(account: str, client: str) -> str:
    """`account` from account_digest; `client` like 'device:<id>' or 'addr:<ip>'."""
    return hashlib.sha256(f"{account}\0{client}".encode()).hexdigest()


def delay_after(failures: int, free: int, cap: int) -> int:
    """Seconds the pair waits after this many failures: none for the first `free`, then doubling."""
    if failures < free:
        return 0
    return min(2 ** (failures - free + 1), cap)


def wait_seconds(key: str, now: datetime | None = None) -> int:
    """How long this pair must still wait before a password is checked (0: go ahead)."""
    now = now or utcnow()
    until = db.session.scalar(select(LoginThrottle.blocked_until).where(LoginThrottle.key == key))
    return math.ceil((until - now).total_seconds()) if until and until > now else 0


def claim(key: str, *, free: int, cap: int, now: datetime | None = None) -> int:
    """Count a try for the pair before its password is checked, unless the pair must wait: 0 when the
    try may go ahead (counted, and the pair's wait set as if it failed), else the seconds left to wait
    (nothing counted). One conditional upsert, so tries at the same instant are counted one by one and
    none gets past a wait that another set: ten at once are checked as ten in a row would be."""
    now = now or utcnow()
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key,
                                                   LoginThrottle.updated_at < now - FORGET_AFTER))
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    free_now = LoginThrottle.blocked_until.is_(None) | (LoginThrottle.blocked_until <= now)
    once = {"failures": LoginThrottle.failures + 1, "updated_at": now}
    # RETURNING rather than rowcount: through the ORM, psycopg reports no rowcount for an insert.
    counted = db.session.execute(insert(LoginThrottle).values(key=key, failures=1, updated_at=now)
                                 .on_conflict_do_update(index_elements=["key"], set_=once, where=free_now)
                                 .returning(LoginThrottle.failures)).scalar()
    if counted is None:  # the pair waits: its row is left as it is
        return max(wait_seconds(key, now), 1)  # at least 1: a success may have just cleared it
    delay = delay_after(counted, free, cap)
    db.session.execute(update(LoginThrottle).where(LoginThrottle.key == key)
                       .values(blocked_until=now + timedelta(seconds=delay) if delay else None)
                       .execution_options(synchronize_session=False))
    return 0


@dataclass(frozen=True)
class Attempt:
    user: object | None  # the account when the password was right
    wait: int = 0  # seconds this pair must wait; the password was not checked


def attempt(email: str, password: str, *, client: str, secret: str, cost: tuple[int, int], free: int,
            cap: int, now: datetime | None = None) -> Attempt:
    """A password login from `client` ('device:<id>' or 'addr:<ip>'): refused without checking while
    the pair waits; otherwise counted first (as a failure), then checked, and the pair's count cleared
    when right. Commits the count before the (slow) password check, so that no row or write lock is
    held while Argon2 runs and the tries that come meanwhile already see it."""
    key = pair_key(account_digest(email, secret), client)
    wait = claim(key, free=free, cap=cap, now=now)
    db.session.commit()
    if wait:
        return Attempt(None, wait)
    user = accounts.authenticate(email, password, cost)
    if user is not None:
        succeeded(key)
    return Attempt(user)


def succeeded(key: str) -> None:
    """The right password from this pair: its count starts again."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def prune(now: datetime | None = None) -> int:
    """Housekeeping: forget pairs quiet for a day."""
    now = now or utcnow()
    return db.session.execute(delete(LoginThrottle).where(
        LoginThrottle.updated_at < now - FORGET_AFTER)).rowcount or 0  # type: ignore[attr-defined]  # an UPDATE/DELETE gives a CursorResult, typed as Result
