"""Whether a profile is in a closure's cooling-off period (services/closure.py): then nothing new may be
opened to others (a caregiver's invitation, a share), since the closure ended those at its request."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ..extensions import db
from ..models.closure import Closure
from ..models.profile import Profile, ProfileOwner
from . import ServiceError


def is_closing(profile: Profile) -> bool:
    """Closed alone, with its person's account, or with the account of its only owner."""
    owners = select(ProfileOwner.user_id).where(ProfileOwner.profile_id == profile.id)
    rows = db.session.execute(select(Closure.profile_id, Closure.account_id).where(
        or_(Closure.profile_id == profile.id, Closure.account_id.in_(owners)))).all()
    if not rows:
        return False
    if any(pid == profile.id or (aid is not None and aid == profile.user_id) for pid, aid in rows):
        return True
    return profile.user_id is None and len(db.session.scalars(owners).all()) == 1


def refuse_if_closing(profile: Profile) -> None:
    if is_closing(profile):
        raise ServiceError(_l("This space is closing: nothing new can be shared. To share again, cancel "
                              "the closure first."), status=409)
