"""Matrix cases for a child growing up (issue 17): the page, the teen's login code, the parents' view."""

from . import Case

# A business refusal (too early for a code, only the teen chooses) still proves the route let them in.
ANSWERED = (200, 302, 400, 403, 409)

CASES = [
    Case("family.growing_up", "manage"),
    Case("family.make_code", "manage", method="POST", ok=ANSWERED),
    Case("family.parent_view", "manage", method="POST", ok=ANSWERED,
         data=lambda w: {"scopes": ["agenda"]}),
]
