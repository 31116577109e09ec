"""Matrix cases for the emergency card (issue 16): caregivers who read documents read it, owners edit."""

from . import Case

CARD_FIELDS = {"allergies": "penicillin", "treatments": "", "conditions": "", "blood_group": "O+",
               "devices": "",
               "contacts": "", "languages": "français", "gp": "", "directives": "", "notes": ""}

CASES = [
    Case("emergency.show", "documents:read"),
    Case("emergency.ips", "documents:read"),
    Case("emergency.edit", "manage"),
    Case("emergency.locked", "manage"),
    Case("emergency.edit", "manage", method="POST", data=lambda w: dict(CARD_FIELDS)),
]


def _share(world):
    """A share made by the caregiver who holds the scope: the owners see it, and so does she."""
    from datetime import timedelta

    from sqlalchemy import select

    from companion.extensions import db
    from companion.models.delegation import Delegation
    from companion.models.share import ClinicianShare
    from companion.models.types import utcnow

    helper = world.users["caregiver_with_scope"]
    delegation = db.session.scalar(select(Delegation).where(Delegation.profile_id == world.profile_id,
                                                            Delegation.caregiver_id == helper.id))
    share = ClinicianShare(public_id=f"m{world.profile_id}", code_lookup=f"m{world.profile_id}",
                           code_wrapped_key=b"k", ciphertext=b"c", profile_id=world.profile_id,
                           created_by_id=helper.id, delegation_id=delegation.id, summary="card",
                           expires_at=utcnow() + timedelta(hours=1))
    db.session.add(share)
    db.session.flush()
    world.objects["share_id"] = share.id


def _share_kwargs(world):
    return {"share_id": world.objects["share_id"]}


CASES += [
    Case("shares.index", "documents:read"),
    Case("shares.index", "documents:read", method="POST", data=lambda w: {"card": "y", "lifetime": "1h"}),
    Case("shares.show", "documents:read", prepare=_share, kwargs=_share_kwargs),
    Case("shares.revoke", "documents:read", method="POST", prepare=_share, kwargs=_share_kwargs),
]

# The printed card needs the share's link in the session that made it: a 409 still proves the route let
# the actor in (only a 404 or a login redirect means "refused").
CASES += [
    Case("shares.wallet", "documents:read", prepare=_share, kwargs=_share_kwargs, ok=(200, 409)),
    Case("shares.lock_screen", "documents:read", prepare=_share, kwargs=_share_kwargs, ok=(200, 409)),
]

CASES += [
    Case("emergency.counter", "documents:read"),
    Case("emergency.counter_set", "documents:write", method="POST", ok=(302, 422),
         data=lambda w: {"prescription": "0", "renewal_on": ""}),
]
