"""The one access check. Every read or write of a profile's data goes through `require_access`,
and lists go through `accessible_profiles`: nothing is ever fetched by id alone."""

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TypeGuard

from sqlalchemy import Integer, bindparam, case, literal, null, or_, select, union_all

from ..extensions import db
from ..models.account import User
from ..models.delegation import SCOPES, Delegation, with_implied
from ..models.profile import Profile, ProfileOwner
from ..models.types import utcnow
from ..pg_plans import PLAN_ONCE
from ..texts import lazy_gettext as _l
from . import ServiceError, refusals

log = logging.getLogger("companion.security")

# "profile" = see that the profile exists and its name; "manage" = owners only (caregivers,
# contact details, export, delete).
OWNER_SCOPES = frozenset({"profile", "manage", *SCOPES})


class AccessDenied(ServiceError):
    status = 404  # never reveal that a profile exists

    def __init__(self, actor: User | None = None, profile_id: int | None = None, scope: str = "",
                 role: str = ""):
        super().__init__(_l("This page does not exist or is not yours to see."), 404)
        self.actor, self.profile_id, self.scope, self.role = actor, profile_id, scope, role


@dataclass(frozen=True)
class Access:
    profile: Profile
    role: str  # owner | caregiver | parent (a parent of a teen who has their own login: narrowed)
    scopes: frozenset[str]
    delegation: Delegation | None = None

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @property
    def see_hidden(self) -> bool:
        return self.is_owner or bool(self.delegation and self.delegation.see_hidden)

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


def _can_hold_access(actor: User | None) -> TypeGuard[User]:
    # Mediators and admins never see health data, whatever else they are.
    return actor is not None and getattr(actor, "is_authenticated", False) and actor.role == "person"


def owner_access(profile: Profile, relation: str) -> Access:
    """An owner's access: whole, except a parent's once their teen has their own login (then only what
    the teen agrees to, Profile.parent_scopes; services/family_stages.py moves the stages)."""
    if relation != "self" and profile.parents_narrowed:
        return Access(profile, "parent", frozenset({"profile"}) | with_implied(profile.parent_scopes.split()))
    return Access(profile, "owner", OWNER_SCOPES)


@lru_cache(maxsize=1)
def _reachable_statement():
    """One statement (every page's header asks): the owned profiles (own first, then children's), then
    those reached by an active delegation (one each: the one that ends last, as find_access says).
    Built once with the account and the time as bound values: building it cost more than running it."""
    actor_id, now = bindparam("actor_id", type_=Integer), bindparam("now")
    owned = (select(ProfileOwner.profile_id.label("pid"), literal(0).label("kind"),
                    null().label("delegation_id"), ProfileOwner.relation.label("relation"))
             .where(ProfileOwner.user_id == actor_id))
    helped = (select(Delegation.profile_id, literal(1), Delegation.id, null())
              .where(Delegation.caregiver_id == actor_id, Delegation.is_active(now)))
    reached = union_all(owned, helped).subquery()
    return (select(Profile, Delegation, reached.c.relation).select_from(reached)
            .join(Profile, Profile.id == reached.c.pid)
            .outerjoin(Delegation, Delegation.id == reached.c.delegation_id)
            .order_by(reached.c.kind, case((reached.c.kind == 0, Profile.user_id.is_(None)), else_=False),
                      Profile.id, Delegation.expires_at.desc())
            .execution_options(**PLAN_ONCE))


def accessible_profiles(actor: User | None, now: datetime | None = None) -> list[Access]:
    """Every profile the actor may act on, owned first, then by delegation."""
    if not _can_hold_access(actor):
        return []
    rows = db.session.execute(_reachable_statement(), {"actor_id": actor.id, "now": now or utcnow()}).all()
    result: list[Access] = []
    seen: set[int] = set()
    for profile, delegation, relation in rows:
        if delegation is None:
            result.append(owner_access(profile, relation))
        elif profile.id not in seen:
            scopes = frozenset({"profile"}) | delegation.granted_scopes
            result.append(Access(profile, "caregiver", scopes, delegation))
        seen.add(profile.id)
    return result


def _among(accesses: list[Access], profile_id: int) -> Access | None:
    """find_access answered from accessible_profiles' list, which holds one access a profile: the
    ownership, else the delegation that ends last."""
    return next((a for a in accesses if a.profile.id == profile_id), None)


def find_access(actor: User | None, profile_id: int, now: datetime | None = None,
                among: list[Access] | None = None) -> Access | None:
    """`among`: accessible_profiles(actor) if the request already has it (no statement then)."""
    if not _can_hold_access(actor):
        return None
    if among is not None:
        return _among(among, profile_id)
    now = now or utcnow()
    owner = db.session.execute(
        select(Profile, ProfileOwner.relation).join(ProfileOwner)
        .where(Profile.id == profile_id, ProfileOwner.user_id == actor.id)
    ).first()
    if owner is not None:
        return owner_access(*owner)
    row = db.session.execute(
        select(Profile, Delegation).join(Delegation, Delegation.profile_id == Profile.id)
        .where(Profile.id == profile_id, Delegation.caregiver_id == actor.id, Delegation.is_active(now))
        .order_by(Delegation.expires_at.desc())
    ).first()
    if row is None:
        return None
    profile, delegation = row
    return Access(profile, "caregiver", frozenset({"profile"}) | delegation.granted_scopes, delegation)


def require_access(actor: User | None, profile_id: int, scope: str, now: datetime | None = None,
                   among: list[Access] | None = None) -> Access:
    """The actor's access to the profile if it includes `scope`; otherwise log and raise AccessDenied.
    `among`: accessible_profiles(actor), when the request already holds it."""
    access = find_access(actor, profile_id, now, among)
    if access is not None and access.allows(scope):
        return access
    actor_id = getattr(actor, "id", None) if getattr(actor, "is_authenticated", False) else None
    log.warning("access refused actor=%s profile=%s scope=%s", actor_id, profile_id, scope)
    role = access.role if access else ("mediator" if getattr(actor, "role", "") == "mediator" else "stranger")
    raise AccessDenied(actor if actor_id else None, profile_id, scope, role)


def log_refusal(exc: AccessDenied) -> None:
    """Count a refusal in the profile's access log (one entry per account, profile and hour: see
    services/refusals.py). Called after the failed request rolled back, so it is the only trace it leaves.

    A refusal on a profile that does not exist does the same work (one lookup, the same counter
    statements; its chained entry names no profile): if it did less, its shorter answer would tell which
    profile ids exist. Someone trying ids one after the other still shows in the log."""
    if exc.actor is None or exc.profile_id is None:
        return
    found = db.session.scalar(select(Profile.id).where(Profile.id == exc.profile_id))
    refusals.note(exc.actor, exc.role, exc.profile_id, exc.scope, known=found is not None)


def ended_for(actor: User | None, profile_id: int,
              now: datetime | None = None) -> tuple[str, datetime] | None:
    """For a former caregiver opening a saved link: the profile's name and when her access ended.
    Only to the account that held the delegation (who knew the name); anyone else learns nothing."""
    if not _can_hold_access(actor):
        return None
    now = now or utcnow()
    row = db.session.execute(
        select(Profile, Delegation).join(Delegation, Delegation.profile_id == Profile.id)
        .where(Delegation.profile_id == profile_id, Delegation.caregiver_id == actor.id,
               Delegation.accepted_at.is_not(None),
               or_(Delegation.revoked_at.is_not(None), Delegation.expires_at <= now))
        .order_by(Delegation.id.desc()).limit(1)).first()
    if row is None:
        return None
    profile, d = row
    return profile.full_name, min(d.revoked_at or d.expires_at, d.expires_at)


def caregiver_ids(profile_id: int, scope: str, now: datetime | None = None) -> list[int]:
    """Accounts with an active delegation carrying `scope` (for reminders and notifications)."""
    now = now or utcnow()
    rows = db.session.scalars(
        select(Delegation).where(Delegation.profile_id == profile_id, Delegation.is_active(now))
    )
    # An active delegation was accepted, so it has a caregiver (the test only narrows the type).
    return sorted({d.caregiver_id for d in rows if d.caregiver_id is not None and scope in d.granted_scopes})


def owner_ids(profile_id: int, scope: str | None = None) -> list[int]:
    """The owners; with `scope`, only those whose access carries it (a teen's parents may not)."""
    rows = db.session.execute(
        select(ProfileOwner.user_id, ProfileOwner.relation, Profile).join(Profile)
        .where(ProfileOwner.profile_id == profile_id).order_by(ProfileOwner.id)).all()
    return [uid for uid, relation, profile in rows
            if scope is None or owner_access(profile, relation).allows(scope)]

