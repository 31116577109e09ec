"""Assisted recovery: a person who lost both password and key comes to a structure; the mediator checks
their identity in person and issues a single-use code valid 24 hours. With it the person chooses a new
password, which waits for a hold the owner controls (services/recovery_hold.py): when it takes effect,
the old keys and recovery codes are deleted (whoever holds them must not get in)."""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from ..extensions import db
from ..models.account import User
from ..models.onboarding import AssistedRecoveryCode, PendingRecovery
from ..models.profile import Profile
from ..models.types import utcnow
from ..texts import lazy_gettext as _l
from . import ServiceError, accounts, audit, recovery_hold
from .onboarding import require_mediator
from .passwords import hash_password, policy_error

CODE_LIFETIME = timedelta(hours=24)
# No 0/O, 1/I/L: the code is read aloud and typed by hand.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def format_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def issued_today(mediator: User, now: datetime | None = None) -> int:
    since = (now or utcnow()) - timedelta(hours=24)
    return db.session.scalar(select(func.count(AssistedRecoveryCode.id)).where(
        AssistedRecoveryCode.mediator_id == mediator.id, AssistedRecoveryCode.created_at > since)) or 0


def issue(mediator: User, email: str, identity_checked: bool, *, daily_limit: int,
          now: datetime | None = None) -> tuple[AssistedRecoveryCode, str]:
    """A new code for the account with this e-mail. Earlier unused codes for it stop working."""
    structure = require_mediator(mediator)
    now = now or utcnow()
    if not identity_checked:
        raise ServiceError(_l("Check an identity document in person first."), field="identity_checked")
    if issued_today(mediator, now) >= daily_limit:
        raise ServiceError(_l("You have reached today's limit of recovery codes. Ask your structure's lead."),
                           status=429)
    person = accounts.find_by_email(email or "")
    if person is None or person.role != "person":
        raise ServiceError(_l("No account uses this e-mail address. Check the spelling with the person."),
                           field="email")
    for old in db.session.scalars(select(AssistedRecoveryCode).where(
            AssistedRecoveryCode.user_id == person.id, AssistedRecoveryCode.used_at.is_(None))):
        old.expires_at = min(old.expires_at, now)
    code = "".join(secrets.choice(ALPHABET) for _ in range(12))
    row = AssistedRecoveryCode(structure_id=structure.id, mediator_id=mediator.id, user_id=person.id,
                               code_hash=_digest(code), created_at=now, expires_at=now + CODE_LIFETIME)
    db.session.add(row)
    db.session.flush()
    audit.record(actor=mediator, actor_role="mediator", action="recovery.assisted_issued",
                 account_id=person.id, profile_id=profile_id_of(person), object_type="structure",
                 object_id=structure.id, object_label=structure.name)
    return row, format_code(code)


def profile_id_of(person: User) -> int | None:
    return db.session.scalar(select(Profile.id).where(Profile.user_id == person.id))


def redeem(email: str, code: str, new_password: str, *, cost: tuple[int, int], hold: timedelta,
           now: datetime | None = None) -> PendingRecovery:
    """Use a valid code: the new password waits for the hold (or the owner's answer) before it replaces
    the old one; nothing about the account changes now."""
    now = now or utcnow()
    wrong = ServiceError(_l("This e-mail address and code do not match, or the code has expired. "
                            "Ask your France Services advisor for a new code."), status=400, field="code")
    person = accounts.find_by_email(email or "")
    if person is None:
        raise wrong
    row = db.session.scalar(select(AssistedRecoveryCode).where(
        AssistedRecoveryCode.user_id == person.id, AssistedRecoveryCode.code_hash == _digest(normalise(code)),
        AssistedRecoveryCode.used_at.is_(None), AssistedRecoveryCode.expires_at > now))
    if not row:
        raise wrong
    reason = policy_error(new_password, user_inputs=(person.email, person.display_name))
    if reason:
        raise ServiceError(reason, field="password")
    # Check and use in one conditional UPDATE: of two requests racing with the same code, only one
    # changes the row (PostgreSQL re-checks the WHERE after the other's commit).
    used = db.session.execute(
        update(AssistedRecoveryCode)
        .where(AssistedRecoveryCode.id == row.id, AssistedRecoveryCode.used_at.is_(None),
               AssistedRecoveryCode.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False))
    if used.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE/DELETE gives a CursorResult, typed as Result
        raise wrong
    db.session.expire(row, ["used_at"])
    pending = recovery_hold.start(person, row, hash_password(new_password, cost), hold=hold, now=now)
    db.session.flush()
    return pending


def remove_second_factors(person: User) -> int:
    """Delete the account's keys and printed recovery codes (lost, maybe in someone else's hands)."""
    try:
        from ..models.credential import RecoveryCode, WebAuthnCredential
    except ImportError:  # the WebAuthn area is not there
        return 0
    removed = db.session.execute(delete(WebAuthnCredential).where(WebAuthnCredential.user_id == person.id)
                                 .execution_options(synchronize_session=False)).rowcount or 0  # type: ignore[attr-defined]  # an UPDATE/DELETE gives a CursorResult, typed as Result
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == person.id)
                       .execution_options(synchronize_session=False))
    return removed


def pending_notice(person: User) -> list[AssistedRecoveryCode]:
    """Codes issued for this account the person has not been told about yet (marked as told)."""
    rows = list(db.session.scalars(select(AssistedRecoveryCode).where(
        AssistedRecoveryCode.user_id == person.id, AssistedRecoveryCode.notified_at.is_(None))
        .order_by(AssistedRecoveryCode.created_at)))
    now = utcnow()
    for row in rows:
        row.notified_at = now
    db.session.flush()
    return rows


LogRow = tuple[AssistedRecoveryCode, str, PendingRecovery | None]


def structure_log(lead: User, limit: int = 200) -> list[LogRow]:
    """Every code issued by the structure, for its lead only: when, by whom, used or not, and what became
    of the new password chosen with it (waiting, notified, confirmed, stopped, applied). Dates only: no
    account, no health data."""
    structure = require_mediator(lead)
    if structure.lead_id != lead.id:
        raise ServiceError(_l("This page does not exist or is not yours to see."), status=404)
    rows = db.session.execute(
        select(AssistedRecoveryCode, User.display_name)
        .outerjoin(User, User.id == AssistedRecoveryCode.mediator_id)
        .where(AssistedRecoveryCode.structure_id == structure.id)
        .order_by(AssistedRecoveryCode.created_at.desc()).limit(limit)).all()
    requests = recovery_hold.for_structure([row.id for row, _name in rows])
    return [(row, name or "", requests.get(row.id)) for row, name in rows]
