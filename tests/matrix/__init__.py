"""The access matrix: every profile data route x every kind of actor.

Each area adds a module `tests/matrix/cases_<area>.py` with `CASES: list[Case]`. The matrix test
(`tests/test_access_matrix.py`) builds a fresh world per (case, actor) for writes (reads, which change
nothing, share one world per case), calls `prepare` to create the area's objects in the target
profile, sends the request as that actor, and checks it is allowed exactly when the actor's access
includes the case's scope, and that every refusal is a 404 and is logged.
A test fails when a `profile_route` view has no case, so new routes must join.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class World:
    """What a case sees. `profile_id` is the target profile, owned by `users['owner']`."""

    profile_id: int
    users: dict[str, Any]  # actor name -> User (the `anonymous` actor has none)
    objects: dict[str, Any] = field(default_factory=dict)  # filled by Case.prepare


@dataclass
class Case:
    endpoint: str  # e.g. "documents.index"
    scope: str  # must equal the view's profile_scope
    method: str = "GET"
    # URL arguments other than profile_id, from the prepared objects.
    kwargs: Callable[[World], dict] = lambda world: {}
    # Form fields for a write (the CSRF token is added by the test); JSON body if `json=True`.
    data: Callable[[World], dict] | None = None
    json: bool = False
    # Runs inside an app context before the request: create what the route needs, in world.objects.
    prepare: Callable[[World], None] | None = None
    # Statuses that count as "allowed" (the route did its job).
    ok: tuple[int, ...] = (200, 201, 204, 302, 303)
