"""Matrix cases for the profile, caregiver and access-log routes (issue 4)."""

from datetime import timedelta

from companion.extensions import db
from companion.models.account import User
from companion.models.types import utcnow

from ..cast import make_delegation
from . import Case, World

# A business-rule refusal (a limit, a profile that cannot be shared) still proves the route let
# the actor in: only a 404 or a login redirect means "refused".
ANSWERED = (200, 302, 400, 409, 422)


def _extra_delegation(world: World, *, accepted: bool) -> None:
    now = utcnow()
    helper = User(email=f"helper.{world.profile_id}.{now.timestamp()}@matrix.test", display_name="Helper",
                  role="person")
    db.session.add(helper)
    db.session.flush()
    d = make_delegation(world.profile_id, helper if accepted else None, "agenda", accepted=accepted,
                        accepted_at=now, expires_at=now + timedelta(days=3), created_at=now,
                        granted_by_id=world.users["owner"].id,
                        invited_email=None if accepted else helper.email,
                        invitation_expires_at=now + timedelta(days=7))
    world.objects["delegation_id"] = d.id


def _pending(world):
    _extra_delegation(world, accepted=False)


def _active(world):
    _extra_delegation(world, accepted=True)


PROFILE_FIELDS = {"first_name": "Louis", "last_name": "Changed", "birth_date": "1959-05-04", "sex": "M",
                  "ins": ""}

CASES = [
    Case("profiles.show", "profile"),
    Case("profiles.edit", "manage"),
    Case("profiles.edit", "manage", method="POST", data=lambda w: dict(PROFILE_FIELDS)),
    Case("profiles.owners", "manage"),
    Case("profiles.owners", "manage", method="POST", ok=ANSWERED,
         data=lambda w: {"email": w.users["stranger"].email, "relation": "guardian"}),
    Case("caregivers.index", "manage"),
    Case("caregivers.invite", "manage", method="POST", ok=ANSWERED,
         data=lambda w: {"how": "code", "scopes": "agenda", "term": "1m"}),
    Case("caregivers.revoke", "manage", prepare=_pending,  # the confirmation page
         kwargs=lambda w: {"delegation_id": w.objects["delegation_id"]}),
    Case("caregivers.revoke", "manage", method="POST", prepare=_pending,
         kwargs=lambda w: {"delegation_id": w.objects["delegation_id"]}),
    Case("caregivers.renew", "manage", method="POST", prepare=_active, data=lambda w: {"term": "1m"},
         kwargs=lambda w: {"delegation_id": w.objects["delegation_id"]}),
    Case("caregivers.change", "manage", method="POST", prepare=_active, data=lambda w: {"scopes": "agenda"},
         kwargs=lambda w: {"delegation_id": w.objects["delegation_id"]}),
    Case("access_log.show", "manage"),
    Case("access_log.csv", "manage"),
]


def _second_owner(world: World) -> None:
    from sqlalchemy import select

    from companion.models.profile import ProfileOwner

    world.objects["owner_link"] = db.session.scalar(select(ProfileOwner.id).where(
        ProfileOwner.profile_id == world.profile_id, ProfileOwner.user_id == world.users["co_owner"].id))


CASES.append(Case("profiles.remove_owner", "manage", method="POST", prepare=_second_owner,
                  kwargs=lambda w: {"owner_id": w.objects["owner_link"]}))


# Closing (issue 17): the world's target is an adult's own profile, so a close is refused with a 409 (it
# closes with its account) once the route let the owner in; the cancel finds nothing to cancel (302).
CASES += [
    Case("closure.profile_page", "manage"),
    Case("closure.close_profile", "manage", method="POST", ok=ANSWERED, data=lambda w: {"understood": "y"}),
    Case("closure.cancel_profile", "manage", method="POST"),
]
