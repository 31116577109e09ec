"""Whether a profile is in a closure's cooling-off period (services/closure.py): then nothing new may be
opened to others (a caregiver's invitation, a share), since the closure ended those at its request."""

from sqlalchemy import or_, select

from ..extensions import db
from ..models.closure import Closure
from ..models.profile import Profile, ProfileOwner
from ..texts import lazy_gettext as _l
from . import ServiceError


def closure_of(profile: Profile) -> Closure | None:
    """The closure that takes this profile: its own, its person's account's, or its only owner's."""
    owners = select(ProfileOwner.user_id).where(ProfileOwner.profile_id == profile.id)
    rows = db.session.scalars(select(Closure).where(
        or_(Closure.profile_id == profile.id, Closure.account_id.in_(owners)))).all()
    for row in rows:
        if row.profile_id == profile.id or (row.account_id is not None and row.account_id == profile.user_id):
            return row
    if rows and profile.user_id is None and len(db.session.scalars(owners).all()) == 1:
        return rows[0]
    return None


def is_closing(profile: Profile) -> bool:
    return closure_of(profile) is not None


def refuse_if_closing(profile: Profile) -> None:
    if is_closing(profile):
        raise ServiceError(_l("This space is closing: nothing new can be shared. To share again, cancel "
                              "the closure first."), status=409)
