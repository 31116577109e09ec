"""Recovery codes: ten single-use codes from a CSPRNG, shown once, stored hashed.
A code replaces the second factor once; a new set replaces the old one."""

import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import delete, func, select, update

from ..extensions import db
from ..models.account import User
from ..models.credential import RecoveryCode
from ..models.types import utcnow
from . import audit

COUNT = 10
# No 0/O, 1/I/L, U, nor S, Z, B (read as 5, 2, 8): nothing to confuse when reading a printed sheet
# aloud or typing it on a phone. Sheets printed before keep working (codes are compared as typed).
ALPHABET = "23456789ACDEFGHJKMNPQRTVWXY"
LENGTH = 10  # about 47.5 bits each


def _hash(user: User, code: str) -> str:
    # Keyed with the server secret: a leaked database alone is not enough to try codes offline.
    key = hashlib.sha256(b"companion-recovery|" + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, f"{user.id}:{code}".encode(), hashlib.sha256).hexdigest()


def normalise(raw: str) -> str:
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


def display(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def generate(user: User) -> list[str]:
    """A new set of codes for the account; the old set stops working. Returns the plain codes once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(ALPHABET) for _ in range(LENGTH)) for _ in range(COUNT)]
    now = utcnow()
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(user, c), created_at=now) for c in codes)
    db.session.flush()
    audit.record(actor=user, actor_role="owner", action="security.recovery_codes_created", account_id=user.id)
    return [display(c) for c in codes]


def use(user: User, raw: str) -> bool:
    """Spend one code (the owner's access log says so). False when it is wrong or already used."""
    code = normalise(raw)
    if len(code) != LENGTH:
        return False
    row_id = db.session.scalar(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(user, code),
        RecoveryCode.used_at.is_(None)))
    if row_id is None:
        return False
    # Spent only if still unused when written: of two requests with one code at the same instant, the
    # second waits for the first's write (row lock on PostgreSQL, the one writer on SQLite) and finds it used.
    spent = db.session.execute(update(RecoveryCode).where(RecoveryCode.id == row_id,
                                                          RecoveryCode.used_at.is_(None))
                               .values(used_at=utcnow()).execution_options(synchronize_session=False))
    if spent.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult, typed as Result
        return False
    audit.record(actor=user, actor_role="owner", action="security.recovery_code_used", account_id=user.id)
    return True


def remaining(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0
