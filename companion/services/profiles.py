"""Health profiles: a parent creates a child's profile and may share its management (co-owners)."""

from datetime import date
from typing import overload

from sqlalchemy import select
from stdnum.exceptions import ValidationError
from stdnum.fr import nir

from ..extensions import db
from ..models.account import User
from ..models.profile import SEXES, Profile, ProfileOwner
from ..texts import lazy_gettext as _l
from . import ServiceError, audit
from .access import Access

RELATIONS = ("parent", "guardian")


@overload
def age(birth_date: date, today: date) -> int: ...
@overload
def age(birth_date: date | None, today: date) -> int | None: ...
def age(birth_date: date | None, today: date) -> int | None:
    if birth_date is None:
        return None
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def age_in_months(birth_date: date | None, today: date) -> int | None:
    """For a baby, months say more than "0 years" (shown under 2 years)."""
    if birth_date is None:
        return None
    return (today.year - birth_date.year) * 12 + today.month - birth_date.month - (today.day < birth_date.day)


def clean_ins(raw: str | None) -> str | None:
    """An INS (the NIR-based national health identifier): 13 characters and a 2-digit key, checked."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return nir.validate(text)
    except ValidationError as exc:
        raise ServiceError(_l("This number is not a valid social security number (INS): check the 15 digits "
                              "on the health card."), field="ins") from exc


def check_fields(first_name: str, birth_date: date | None, sex: str | None, today: date) -> str:
    name = (first_name or "").strip()
    if not name:
        raise ServiceError(_l("Enter the first name."), field="first_name")
    if birth_date is not None and (birth_date > today or birth_date.year < 1900):
        raise ServiceError(_l("Enter a real birth date, not in the future."), field="birth_date")
    if sex not in (None, "", *SEXES):
        raise ServiceError(_l("Choose the sex."), field="sex")
    return name


def create_child(actor: User, *, first_name: str, last_name: str = "", birth_date: date | None,
                 sex: str | None, ins: str | None = None, today: date) -> Profile:
    """A profile for a minor child, owned by the parent who creates it."""
    name = check_fields(first_name, birth_date, sex, today)
    if birth_date is None:
        raise ServiceError(_l("Enter the child's birth date."), field="birth_date")
    if age(birth_date, today) >= 18:
        raise ServiceError(_l("You can create profiles for children under 18. An adult creates their own "
                              "account and can invite you as a caregiver."), field="birth_date")
    profile = Profile(first_name=name[:80], last_name=(last_name or "").strip()[:80], birth_date=birth_date,
                      sex=sex or None, ins=clean_ins(ins))
    db.session.add(profile)
    db.session.flush()
    db.session.add(ProfileOwner(profile_id=profile.id, user_id=actor.id, relation="parent"))
    db.session.flush()
    audit.record(actor=actor, actor_role="owner", action="profile.created", profile_id=profile.id,
                 object_type="profile", object_id=profile.id, object_label=profile.full_name)
    return profile


def update(access: Access, actor: User, *, first_name: str, last_name: str, birth_date: date | None,
           sex: str | None, ins: str | None, today: date) -> Profile:
    if not access.is_owner:
        raise ServiceError(_l("Only the owners of a profile can change it."), status=403)
    profile = access.profile
    profile.first_name = check_fields(first_name, birth_date, sex, today)[:80]
    profile.last_name = (last_name or "").strip()[:80]
    profile.birth_date, profile.sex, profile.ins = birth_date, sex or None, clean_ins(ins)
    db.session.flush()
    return profile


def owners(profile_id: int) -> list[tuple[ProfileOwner, User]]:
    rows = db.session.execute(
        select(ProfileOwner, User).join(User, User.id == ProfileOwner.user_id)
        .where(ProfileOwner.profile_id == profile_id).order_by(ProfileOwner.id))
    return [(owner, user) for owner, user in rows]


def remove_owner(access: Access, actor: User, owner_id: int) -> None:
    """Stop sharing a child's management (or leave it yourself); a profile always keeps one owner."""
    if not access.is_owner:
        raise ServiceError(_l("Only the owners of a profile can share it."), status=403)
    rows = owners(access.profile.id)
    link = next((o for o, _ in rows if o.id == owner_id), None)
    if link is None:
        raise ServiceError(_l("This page does not exist or is not yours to see."), status=404)
    if len(rows) == 1 or link.user_id == access.profile.user_id:
        raise ServiceError(_l("A profile always keeps at least one owner, and a person stays owner of "
                              "their own profile."), status=409)
    name = next(u.display_name for o, u in rows if o.id == owner_id)
    db.session.delete(link)
    db.session.flush()
    audit.record(actor=actor, actor_role="owner", action="profile.owner_removed",
                 profile_id=access.profile.id, object_type="account", object_id=link.user_id,
                 object_label=name)


def add_co_owner(access: Access, actor: User, email: str, relation: str) -> ProfileOwner:
    """Share a child's management with the other parent or a legal guardian (an existing account)."""
    from .accounts import find_by_email, normalise_email

    if not access.is_owner:
        raise ServiceError(_l("Only the owners of a profile can share it."), status=403)
    if access.profile.user_id is not None:
        raise ServiceError(_l("An adult manages their own profile. Invite a caregiver instead."))
    if relation not in RELATIONS:
        raise ServiceError(_l("Choose the relation."), field="relation")
    other = find_by_email(normalise_email(email))
    if other is None or other.role != "person":
        raise ServiceError(_l("No Companion account uses this address. Ask the person to create one first."),
                           field="email")
    if other.id in {o.user_id for o, _ in owners(access.profile.id)}:
        raise ServiceError(_l("This person already manages this profile."), field="email")
    link = ProfileOwner(profile_id=access.profile.id, user_id=other.id, relation=relation)
    db.session.add(link)
    db.session.flush()
    audit.record(actor=actor, actor_role="owner", action="profile.owner_added", profile_id=access.profile.id,
                 object_type="account", object_id=other.id, object_label=other.display_name)
    return link
