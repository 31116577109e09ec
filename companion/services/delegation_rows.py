"""Delegations with the names and states a page shows, each list in one query (never one per row),
and the rules those pages apply: who counts as a current caregiver, how many places are left."""

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask import current_app
from sqlalchemy import Integer, and_, bindparam, select, union_all
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models.account import User
from ..models.delegation import Delegation, DelegationState, ending_soon_until
from ..models.profile import Profile, ProfileOwner
from ..models.types import utcnow
from ..pg_plans import PLAN_ONCE


@dataclass(frozen=True)
class Row:
    delegation: Delegation
    profile: Profile
    status: DelegationState
    caregiver: str  # the account's name, else the address or the owner's label ("" for an unnamed code)
    inviter: str
    ending_soon: bool


@dataclass(frozen=True)
class ProfileCaregivers:
    current: list[Row]  # active, and invitations still open
    past: list[Row]
    limit: int

    @property
    def places_left(self) -> int:
        return max(0, self.limit - len(self.current))

    @property
    def full(self) -> bool:
        return self.places_left == 0


# Made once: an alias built per call re-creates a proxy of every account column each time (measured:
# about a millisecond per page).
_CAREGIVER, _INVITER = aliased(User, name="caregiver"), aliased(User, name="inviter")


def _query(*columns):
    caregiver, inviter = _CAREGIVER, _INVITER
    return (select(Delegation, Profile, caregiver.display_name, inviter.display_name, *columns)
            .join(Profile, Profile.id == Delegation.profile_id)
            .outerjoin(caregiver, caregiver.id == Delegation.caregiver_id)
            .outerjoin(inviter, inviter.id == Delegation.granted_by_id))


def _row(found, now: datetime) -> Row:
    d, profile, caregiver_name, inviter_name = found[:4]
    return Row(d, profile, d.state(now), caregiver_name or d.invited_email or d.label or "",
               inviter_name or "", d.is_ending_soon(now))


def _rows(where, now: datetime, order) -> list[Row]:
    return [_row(found, now) for found in db.session.execute(_query().where(*where).order_by(*order)).all()]


def for_profile(profile_id: int, now: datetime | None = None) -> ProfileCaregivers:
    """The owner's caregivers page: current ones and open invitations, the past, and the limit."""
    now = now or utcnow()
    rows = _rows([Delegation.profile_id == profile_id], now,
                 [Delegation.created_at.desc(), Delegation.id.desc()])
    return ProfileCaregivers(current=[r for r in rows if r.delegation.is_open(now)],
                             past=[r for r in rows if not r.delegation.is_open(now)],
                             limit=current_app.config["DELEGATION_MAX_CAREGIVERS"])


def current_caregivers(profile_id: int, now: datetime | None = None) -> list[Row]:
    """The caregivers who have access right now (named on the owner's profile page)."""
    now = now or utcnow()
    return _rows([Delegation.profile_id == profile_id, Delegation.is_active(now)], now,
                 [Delegation.expires_at])


def invitations_for(user: User, now: datetime | None = None) -> list[Row]:
    """Open invitations bound to this account (home page, people I help)."""
    if getattr(user, "role", "") != "person":
        return []
    now = now or utcnow()
    return _rows([_invited(user.id, now)], now, [Delegation.created_at])


def _invited(user_id, now):
    """`user_id` and `now` are values, or bound parameters for a statement built once."""
    return and_(Delegation.caregiver_id == user_id, Delegation.is_pending(now))


def _ending_soon(user_id, now, until=None):
    owned = select(ProfileOwner.profile_id).where(ProfileOwner.user_id == user_id)
    return and_(Delegation.profile_id.in_(owned), Delegation.is_ending_soon(now, until))


@lru_cache(maxsize=1)
def _home_statement():
    """The home page asks on every view: built once, the account and the time bound."""
    user_id, now = bindparam("user_id", type_=Integer), bindparam("now", type_=Delegation.expires_at.type)
    invited = _invited(user_id, now)
    ending = _ending_soon(user_id, now, bindparam("until", type_=Delegation.expires_at.type))
    # Each list found by its own index (invitations by caregiver, endings by the owned profiles), then
    # joined: asked as one OR, PostgreSQL read every delegation ever made (50 ms at 500,000).
    either = union_all(select(Delegation.id).where(invited), select(Delegation.id).where(ending))
    return (_query(invited.label("invited"), ending.label("ending"))
            .where(Delegation.id.in_(either.scalar_subquery())).order_by(Delegation.created_at)
            .execution_options(**PLAN_ONCE))


def reminders_for_owner(user: User, now: datetime | None = None) -> list[Row]:
    """Accesses to the profiles this account owns that end soon (Delegation.is_ending_soon)."""
    now = now or utcnow()
    return _rows([_ending_soon(user.id, now)], now, [Delegation.expires_at])


def for_home(user: User, now: datetime | None = None) -> tuple[list[Row], list[Row]]:
    """The home page's two lists in one statement: invitations_for and reminders_for_owner."""
    if getattr(user, "role", "") != "person":
        return [], []
    now = now or utcnow()
    found = db.session.execute(_home_statement(),
                               {"user_id": user.id, "now": now, "until": ending_soon_until(now)}).all()
    invitations = [_row(f, now) for f in found if f.invited]
    reminders = sorted((_row(f, now) for f in found if f.ending), key=lambda r: r.delegation.expires_at)
    return invitations, reminders


def one(d: Delegation, now: datetime | None = None) -> Row:
    """A single invitation with its names (the code confirmation page)."""
    return _rows([Delegation.id == d.id], now or utcnow(), [Delegation.id])[0]


def helped(user: User, now: datetime | None = None) -> list[tuple[Delegation, Profile]]:
    """The people this account helps now, with their profiles, in one query."""
    now = now or utcnow()
    return list(db.session.execute(
        select(Delegation, Profile).join(Profile, Profile.id == Delegation.profile_id)
        .where(Delegation.caregiver_id == user.id, Delegation.is_active(now))
        .order_by(Delegation.expires_at)).all())
