"""Matrix cases for a dependent adult's page: the legal basis, its review, the code to take it back."""

from datetime import timedelta

from companion.extensions import db
from companion.models.proof import Dependent
from companion.models.types import utcnow

from . import Case, World


def _dependent(world: World) -> None:
    db.session.add(Dependent(profile_id=world.profile_id, manager_id=world.users["owner"].id,
                             legal_basis="tutelle", review_on=utcnow().date() + timedelta(days=200)))
    db.session.flush()


REVIEW = {"legal_basis": "tutelle", "review_on": (utcnow().date() + timedelta(days=400)).isoformat()}

CASES = [
    Case("dependents.show", "manage", prepare=_dependent),
    Case("dependents.review", "manage", method="POST", prepare=_dependent, data=lambda w: dict(REVIEW)),
    Case("dependents.claim_code", "manage", method="POST", prepare=_dependent),
]
