"""E-mails about caregivers' access (issue 14): "access ends in 7 days" to both sides. Names and a
date only, never what the caregiver may see; each message in its recipient's language."""

from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models.account import User
from ..models.delegation import Delegation
from ..models.profile import Profile, ProfileOwner
from ..models.types import utcnow
from . import mail


def _first(user: User) -> str:
    return user.display_name.split(" ")[0]


def warn_ending_soon(now: datetime | None = None) -> int:
    """Once per delegation (`reminded_at`; a renewal clears it), 7 days before its end: tell the
    caregiver and every owner of the profile. Housekeeping runs it, then sends."""
    now = now or utcnow()
    rows = db.session.scalars(select(Delegation).where(
        Delegation.is_ending_soon(now), Delegation.reminded_at.is_(None)).order_by(Delegation.id)).all()
    for d in rows:
        profile = db.session.get(Profile, d.profile_id)
        caregiver = db.session.get(User, d.caregiver_id) if d.caregiver_id else None
        if profile is None or caregiver is None:
            continue
        owners = db.session.scalars(select(User).join(ProfileOwner, ProfileOwner.user_id == User.id)
                                    .where(ProfileOwner.profile_id == profile.id)).all()
        mail.queue(caregiver.email, caregiver.locale, "access_ending_caregiver",
                   tz=caregiver.timezone, name=_first(caregiver),
                   person=profile.full_name, date=d.expires_at,
                   link=mail.public_url("/caregiving"))
        for owner in owners:
            mail.queue(owner.email, owner.locale, "access_ending_owner",
                       tz=owner.timezone, name=_first(owner),
                       caregiver=caregiver.display_name, person=profile.full_name,
                       date=d.expires_at,
                       link=mail.public_url(f"/p/{profile.id}/caregivers"))
        d.reminded_at = now
    db.session.flush()
    return len(rows)


def send_invitation(invitation, inviter: User, profile: Profile) -> None:
    """An invitation to an address with no account: the code, and where to type it. The recipient's
    language is unknown: the inviter's is the best guess (they likely share it)."""
    d = invitation.delegation
    mail.queue(d.invited_email, inviter.locale, "invitation", inviter=inviter.display_name,
               person=profile.full_name, code=invitation.code, days=7,
               register=mail.public_url("/register"), link=mail.public_url("/invitations/code"))
