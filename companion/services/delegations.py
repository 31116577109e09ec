"""Caregiver delegation: invite (by e-mail or by a single-use code), accept or decline, renew, end.

Nothing is shared until the invited person accepts; an ended or expired delegation gives no access
at the next request (models.delegation.Delegation.is_active decides). Every step goes into the access log."""

import calendar
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models.account import User
from ..models.delegation import SCOPES, Delegation, DelegationState, with_implied
from ..models.profile import Profile, ProfileOwner
from ..models.types import utcnow
from ..texts import lazy_gettext as _l
from . import ServiceError, audit, closing, proofs, row_guard, shares
from .access import Access

TERMS = {"1d": 0, "1m": 1, "6m": 6, "1y": 12}  # months; "1d" is one day
INVITATION_DAYS = 7
# 12 characters from 30 unambiguous ones (no 0/O, 1/I/L, U): about 2^59 codes, and guessing is rate-limited.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12


@dataclass(frozen=True)
class Invitation:
    delegation: Delegation
    code: str | None = None  # shown once, never stored in clear
    mailed: bool = False  # the code goes by e-mail to an address with no account (the caller sends it)


def add_term(start: datetime, term: str, tz: str = "Europe/Paris") -> datetime:
    """`start` plus a term, counted on the clock of `tz`: 6 months after 20 February 23:59:59 in Paris is
    20 August 23:59:59 in Paris (counted in UTC, it was 00:59:59 on the 21st, summer time meanwhile)."""
    if term not in TERMS:
        raise ServiceError(_l("Choose how long the access lasts."), field="term")
    local = start.astimezone(ZoneInfo(tz))
    if term == "1d":
        later = local.date() + timedelta(days=1)
    else:
        month = local.month - 1 + TERMS[term]
        year, month = local.year + month // 12, month % 12 + 1
        later = date(year, month, min(local.day, calendar.monthrange(year, month)[1]))
    return datetime.combine(later, local.timetz().replace(tzinfo=None), ZoneInfo(tz)).astimezone(start.tzinfo)


def end_of_day(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(23, 59, 59), ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))


def _end(now: datetime, term: str | None, end_date: date | None, tz: str) -> datetime:
    if end_date is not None:
        end = end_of_day(end_date, tz)
        if end <= now:
            raise ServiceError(_l("Choose an end date after today."), field="end_date")
        if end > now + timedelta(days=3 * 366):
            raise ServiceError(_l("Choose an end date within the next three years."), field="end_date")
        return end
    return add_term(now, term or "", tz)


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


def format_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def _hash_code(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"invite:" + normalise_code(code).encode(), hashlib.sha256).hexdigest()


def _people_helped(user_id: int, now: datetime, *, with_pending: bool = True) -> int:
    """People this account helps, plus (when inviting) the invitations still waiting for it."""
    held = Delegation.is_open(now) if with_pending else Delegation.is_active(now)
    return db.session.scalar(select(func.count()).select_from(Delegation)
                             .where(Delegation.caregiver_id == user_id, held)) or 0


def _check_scopes(scopes) -> str:
    wanted = with_implied(scopes or ())
    chosen = [s for s in SCOPES if s in wanted]
    if not chosen:
        raise ServiceError(_l("Choose at least one thing the caregiver may do."), field="scopes")
    return " ".join(chosen)


def _check_invitee(access: Access, actor: User, email: str, now: datetime):
    """The account an e-mail invitation is bound to, or None for an address with no account. Addresses
    are never verified at registration, so an invitation to an address nobody holds yet is never bound
    to it: its code is sent to that mailbox, and only whoever reads it can accept."""
    from .accounts import find_by_email  # accounts imports nothing from here

    if email == (actor.email or "").lower():
        raise ServiceError(_l("You cannot invite yourself."), field="email")
    invitee = find_by_email(email)
    if invitee is None:
        _refuse_duplicate(access, email, None, now)
        return None
    _lock_account(invitee.id)
    if invitee.id in _owner_ids(access.profile.id):
        raise ServiceError(_l("This person already manages this profile."), field="email")
    if invitee.role != "person":
        raise ServiceError(_l("This account cannot be a caregiver."), field="email")
    _refuse_duplicate(access, email, invitee.id, now)
    limit = current_app.config["DELEGATION_MAX_PEOPLE"]
    if _people_helped(invitee.id, now) >= limit:
        raise ServiceError(_l("This person already helps %(n)d people, the most allowed.", n=limit),
                           field="email")
    return invitee


def _refuse_duplicate(access: Access, email: str, invitee_id: int | None, now: datetime) -> None:
    same = func.lower(Delegation.invited_email) == email
    dup = select(Delegation.id).where(
        Delegation.profile_id == access.profile.id, Delegation.is_open(now),
        or_(same, Delegation.caregiver_id == invitee_id) if invitee_id else same)
    if db.session.scalar(dup) is not None:
        raise ServiceError(_l("This person is already invited or already helps with this profile."),
                           field="email")


def _lock_account(user_id: int) -> None:
    """Two invitations to one person (or an invitation and an acceptance) at the same moment would both
    count the people they help before either is saved: the second waits here."""
    row_guard.hold(User, User.role, user_id)


def _current(d: Delegation) -> Delegation:
    """The delegation as saved now, its row held until commit: renewing, changing, ending, accepting or
    declining it at the same moment from elsewhere waits, then sees this request's outcome (not the state
    read before), so the log and the proofs tell the changes in the order they happened."""
    row_guard.hold(Delegation, Delegation.scopes, d.id)
    db.session.refresh(d)
    return d


def _owner_ids(profile_id: int) -> set[int]:
    return set(db.session.scalars(select(ProfileOwner.user_id).where(ProfileOwner.profile_id == profile_id)))


def invite(access: Access, actor: User, *, scopes, email: str | None = None, label: str = "",
           term: str | None = None, end_date: date | None = None, see_hidden: bool = False,
           tz: str = "Europe/Paris", now: datetime | None = None) -> Invitation:
    """An invitation by e-mail address (shown to that account at login; for an address with no account,
    a code sent to it by e-mail) or, without an address, by a code the owner passes on."""
    if not access.is_owner:
        raise ServiceError(_l("Only the owners of a profile can invite caregivers."), status=403)
    closing.refuse_if_closing(access.profile)
    now = now or utcnow()
    scope_text = _check_scopes(scopes)
    expires = _end(now, term, end_date, tz)
    # Two invitations sent at the same moment would both count the caregivers before either is saved:
    # the second waits here until the first is committed.
    row_guard.hold(Profile, Profile.stage_at, access.profile.id)
    invitee = None
    if email:
        from .accounts import normalise_email
        email = normalise_email(email)
        invitee = _check_invitee(access, actor, email, now)
    limit = current_app.config["DELEGATION_MAX_CAREGIVERS"]
    count = db.session.scalar(select(func.count()).select_from(Delegation)
                              .where(Delegation.profile_id == access.profile.id, Delegation.is_open(now)))
    if count >= limit:
        raise ServiceError(_l("This profile already has %(n)d caregivers or invitations, the most allowed. "
                              "End one before inviting someone else.", n=limit))
    code = None if invitee else "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    # An e-mail invitation names its account now; access still needs accepted_at (Delegation.is_active).
    d = Delegation(profile_id=access.profile.id, granted_by_id=actor.id, invited_email=email,
                   caregiver_id=invitee.id if invitee else None,
                   code_hash=_hash_code(code) if code else None, scopes=scope_text,
                   see_hidden=bool(see_hidden),
                   created_at=now, invitation_expires_at=now + timedelta(days=INVITATION_DAYS),
                   expires_at=expires, term=None if end_date else term, label=(label or "").strip()[:120])
    db.session.add(d)
    db.session.flush()
    audit.record(actor=actor, actor_role="owner", action="delegation.invited", profile_id=d.profile_id,
                 object_type="delegation", object_id=d.id, object_label=email or d.label, at=now)
    return Invitation(d, format_code(code) if code else None, mailed=bool(email and code))


def _refuse_closed(d: Delegation, now: datetime) -> None:
    state = d.state(now)
    if state == DelegationState.PENDING:
        return
    messages = {
        DelegationState.ACTIVE: _l("This invitation was already accepted."),
        DelegationState.EXPIRED: _l("This invitation was already accepted."),
        DelegationState.DECLINED: _l("This invitation was declined. "
                                     "Ask for a new one if you changed your mind."),
        DelegationState.ENDED: _l("This invitation was cancelled by the person who sent it."),
        DelegationState.LAPSED: _l("This invitation has expired. Ask the person to send you a new one."),
    }
    raise ServiceError(messages[state], status=409, field="code")


def find_by_code(raw: str, now: datetime | None = None) -> Delegation:
    code = normalise_code(raw)
    d = None
    if len(code) == CODE_LENGTH:
        d = db.session.scalar(select(Delegation).where(Delegation.code_hash == _hash_code(code)))
    if d is None:
        raise ServiceError(_l("No invitation matches this code. Check each character and try again."),
                           status=404, field="code")
    _refuse_closed(d, now or utcnow())
    return d


def invitation_for(user: User, delegation_id: int, now: datetime | None = None) -> Delegation:
    """One invitation bound to this account; any other id is a 404."""
    d = db.session.scalar(select(Delegation).where(
        Delegation.id == delegation_id, Delegation.caregiver_id == user.id, Delegation.accepted_at.is_(None)))
    if d is None:
        raise ServiceError(_l("This page does not exist or is not yours to see."), status=404)
    _refuse_closed(d, now or utcnow())
    return d


def accept(actor: User, d: Delegation, now: datetime | None = None) -> Delegation:
    now = now or utcnow()
    _refuse_closed(d, now)
    if getattr(actor, "role", "") != "person":
        raise ServiceError(_l("This account cannot be a caregiver."), status=403)
    if actor.id in _owner_ids(d.profile_id):
        raise ServiceError(_l("You already manage this profile."), status=409)
    if actor.id == d.granted_by_id:
        raise ServiceError(_l("You cannot accept your own invitation."), status=409)
    _lock_account(actor.id)  # before counting: two acceptances at once count one after the other
    already = select(Delegation.id).where(Delegation.profile_id == d.profile_id,
                                          Delegation.caregiver_id == actor.id, Delegation.is_active(now))
    if db.session.scalar(already) is not None:
        raise ServiceError(_l("You already help this person."), status=409)
    limit = current_app.config["DELEGATION_MAX_PEOPLE"]
    if _people_helped(actor.id, now, with_pending=False) >= limit:
        raise ServiceError(_l("You already help %(n)d people, the most allowed.", n=limit), status=409)
    # One conditional UPDATE: of two people racing with the same code, only one gets it.
    claimed = db.session.execute(
        update(Delegation).where(Delegation.id == d.id, Delegation.is_pending(now),
                                 or_(Delegation.caregiver_id.is_(None), Delegation.caregiver_id == actor.id))
        .values(caregiver_id=actor.id, accepted_at=now,
                expires_at=add_term(now, d.term, actor.timezone) if d.term else d.expires_at)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE/DELETE gives a CursorResult, typed as Result
        # Taken, cancelled, declined or lapsed meanwhile: say which, as when it is opened afterwards.
        db.session.refresh(d)
        _refuse_closed(d, now)
        raise ServiceError(_l("This invitation was already accepted."), status=409, field="code")
    db.session.refresh(d)
    audit.record(actor=actor, actor_role="caregiver", action="delegation.accepted", profile_id=d.profile_id,
                 object_type="delegation", object_id=d.id, object_label=profile_name(d), at=now)
    proofs.issue("delegation", d, now=now)
    return d


def decline(actor: User, d: Delegation, now: datetime | None = None) -> Delegation:
    now = now or utcnow()
    _refuse_closed(_current(d), now)
    d.declined_at = now
    db.session.flush()
    audit.record(actor=actor, actor_role="invitee", action="delegation.declined", profile_id=d.profile_id,
                 object_type="delegation", object_id=d.id, object_label=profile_name(d), at=now)
    return d


def _who(d: Delegation) -> str:
    from ..models.account import User

    user = db.session.get(User, d.caregiver_id) if d.caregiver_id else None
    return user.display_name if user else (d.invited_email or d.label or "")


def end(actor: User, d: Delegation, *, role: str, now: datetime | None = None) -> Delegation:
    """Either side ends it (role: owner or caregiver); the next request has no access."""
    now = now or utcnow()
    if _current(d).state(now) in (DelegationState.ENDED, DelegationState.DECLINED):
        raise ServiceError(_l("This access has already ended."), status=409)
    d.revoked_at, d.revoked_by_id = now, actor.id
    db.session.flush()
    audit.record(actor=actor, actor_role=role, action="delegation.ended", profile_id=d.profile_id,
                 object_type="delegation", object_id=d.id, object_label=_who(d), at=now)
    shares.end_beyond(d, actor, role, now)
    proofs.issue("revocation", d, now=now)
    return d


def change(access: Access, actor: User, d: Delegation, *, scopes, see_hidden: bool,
           now: datetime | None = None) -> Delegation:
    """The owner changes what a current caregiver may do; what she made and could no longer make (a share
    for a health professional) ends with it."""
    now = now or utcnow()
    if not access.is_owner or d.profile_id != access.profile.id:
        raise ServiceError(_l("This page does not exist or is not yours to see."), status=404)
    if not _current(d).is_active(now):
        raise ServiceError(_l("Only a current access can be changed. Invite the person again."), status=409)
    d.scopes, d.see_hidden = _check_scopes(scopes), bool(see_hidden)
    db.session.flush()
    audit.record(actor=actor, actor_role="owner", action="delegation.changed", profile_id=d.profile_id,
                 object_type="delegation", object_id=d.id, object_label=_who(d), at=now)
    shares.end_beyond(d, actor, "owner", now)
    proofs.issue("delegation", d, now=now)  # what she may do changed: a new proof says it
    return d


def renew(access: Access, actor: User, d: Delegation, *, term: str | None = None,
          end_date: date | None = None, tz: str = "Europe/Paris", now: datetime | None = None) -> Delegation:
    now = now or utcnow()
    if not access.is_owner or d.profile_id != access.profile.id:
        raise ServiceError(_l("This page does not exist or is not yours to see."), status=404)
    if not _current(d).is_active(now):
        raise ServiceError(_l("Only a current access can be renewed. Invite the person again."), status=409)
    new_end = end_of_day(end_date, tz) if end_date else add_term(max(now, d.expires_at), term or "", tz)
    # An earlier date shortens the access (to end it now, the owner ends it): the day must be to come.
    if new_end <= now:
        raise ServiceError(_l("Choose an end date after today. To stop the help now, end the access."),
                           field="end_date")
    if new_end == d.expires_at:
        raise ServiceError(_l("This is already the end date."), field="end_date")
    if new_end > now + timedelta(days=3 * 366):
        raise ServiceError(_l("Choose an end date within the next three years."), field="end_date")
    action = "delegation.renewed" if new_end > d.expires_at else "delegation.shortened"
    d.expires_at, d.reminded_at, d.term = new_end, None, None
    db.session.flush()
    audit.record(actor=actor, actor_role="owner", action=action, profile_id=d.profile_id,
                 object_type="delegation", object_id=d.id, object_label=_who(d), at=now)
    proofs.issue("delegation", d, now=now)  # a new end date: a new proof says it
    return d


def note_expired(now: datetime | None = None, profile_ids=None) -> int:
    """Write one "expired" entry per delegation that reached its end date (idempotent)."""
    now = now or utcnow()
    query = select(Delegation).where(Delegation.is_expired(now), Delegation.expiry_logged_at.is_(None))
    if profile_ids is not None:
        query = query.where(Delegation.profile_id.in_(list(profile_ids)))
    count = 0
    for d in db.session.scalars(query.order_by(Delegation.expires_at)).all():
        # Marked only if still unmarked: two page loads (or a page and the hourly job) at the same
        # instant log it once (the second waits for the first's write, then finds it marked).
        if not row_guard.mark_once(Delegation, Delegation.expiry_logged_at, d.id, now):
            continue
        set_committed_value(d, "expiry_logged_at", now)
        audit.record(actor=None, actor_role="system", action="delegation.expired", profile_id=d.profile_id,
                     object_type="delegation", object_id=d.id, object_label=_who(d), at=now)
        shares.end_beyond(d, None, "system", now)
        count += 1
    return count


def get_for_profile(profile_id: int, delegation_id: int) -> Delegation:
    d = db.session.scalar(select(Delegation).where(Delegation.profile_id == profile_id,
                                                   Delegation.id == delegation_id))
    if d is None:
        raise ServiceError(_l("This page does not exist or is not yours to see."), status=404)
    return d


def is_pending_for_profile(profile_id: int, delegation_id: int, now: datetime | None = None) -> bool:
    return db.session.scalar(select(Delegation.id).where(
        Delegation.profile_id == profile_id, Delegation.id == delegation_id,
        Delegation.is_pending(now or utcnow()))) is not None


def held_by(user: User, delegation_id: int) -> Delegation:
    d = db.session.scalar(select(Delegation).where(
        Delegation.id == delegation_id, Delegation.caregiver_id == user.id,
        Delegation.accepted_at.is_not(None)))
    if d is None:
        raise ServiceError(_l("This page does not exist or is not yours to see."), status=404)
    return d


def caregiver_name(d: Delegation) -> str:
    return _who(d)


def profile_name(d: Delegation) -> str:
    profile = db.session.get(Profile, d.profile_id)
    return profile.full_name if profile else ""
