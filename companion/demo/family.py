"""Demo family: birth dates, a child profile (Léa, Claire's baby), Louis delegating to his daughter
Sophie (documents read + agenda, 6 months), and Claire's expired delegation to Nadia."""

from datetime import date, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models.delegation import Delegation
from ..models.profile import Profile, ProfileOwner
from ..models.types import utcnow
from ..services import audit
from ..services.delegations import INVITATION_DAYS, add_term

ORDER = 20

BIRTHS = {
    "claire": (date(1974, 3, 12), "F"),
    "louis": (date(1959, 5, 4), "M"),
    "sophie": (date(1988, 9, 21), "F"),
    "nadia": (date(1991, 1, 15), "F"),
}


def _lea(ctx) -> Profile:
    claire = ctx.users["claire"]
    lea = db.session.scalar(select(Profile).join(ProfileOwner).where(
        ProfileOwner.user_id == claire.id, Profile.user_id.is_(None), Profile.first_name == "Léa"))
    if lea is None:
        lea = Profile(first_name="Léa", last_name="Martin", birth_date=date(2026, 7, 10), sex="F")
        db.session.add(lea)
        db.session.flush()
        db.session.add(ProfileOwner(profile_id=lea.id, user_id=claire.id, relation="parent"))
        db.session.flush()
    return lea


def _delegation(owner_key, caregiver_key, ctx, scopes, start, end) -> bool:
    """Create an accepted delegation once; True when it was created now."""
    owner, caregiver = ctx.users[owner_key], ctx.users[caregiver_key]
    profile = ctx.profiles[owner_key]
    exists = db.session.scalar(select(Delegation.id).where(
        Delegation.profile_id == profile.id, Delegation.caregiver_id == caregiver.id))
    if exists is not None:
        return False
    d = Delegation(profile_id=profile.id, caregiver_id=caregiver.id, granted_by_id=owner.id,
                   invited_email=caregiver.email, scopes=" ".join(scopes), created_at=start,
                   invitation_expires_at=start + timedelta(days=INVITATION_DAYS), accepted_at=start,
                   expires_at=end)
    db.session.add(d)
    db.session.flush()
    audit.record(actor=owner, actor_role="owner", action="delegation.invited", profile_id=profile.id,
                 object_type="delegation", object_id=d.id, object_label=caregiver.email)
    audit.record(actor=caregiver, actor_role="caregiver", action="delegation.accepted", profile_id=profile.id,
                 object_type="delegation", object_id=d.id, object_label=profile.full_name)
    return True


def seed(ctx) -> list[str]:
    for key, (born, sex) in BIRTHS.items():
        profile = ctx.profiles.get(key)
        if profile is not None:
            profile.birth_date, profile.sex = born, sex
    ctx.profiles["lea"] = _lea(ctx)
    now = utcnow()
    _delegation("louis", "sophie", ctx, ["documents:read", "agenda"], now, add_term(now, "6m"))
    # Claire let Nadia help for a month; it ended, as planned, last month.
    start = now - timedelta(days=65)
    _delegation("claire", "nadia", ctx, ["agenda"], start, start + timedelta(days=30))
    db.session.flush()
    return [
        "Family: Claire Martin manages her baby Léa (born 10 July 2026);",
        "  Louis Bernard lets his daughter Sophie see his documents and agenda for 6 months;",
        "  Claire's delegation to Nadia Haddad ended last month.",
    ]
