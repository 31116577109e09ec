"""What the app is made of beyond its blueprints, declared in one place instead of registered as a
side effect of importing some module: the links on a profile card, the background jobs `flask serve`
runs, and the signal receivers. create_app reads these; a test checks every endpoint named here exists,
so renaming one fails a test instead of silently dropping a link."""

from collections.abc import Callable
from dataclasses import dataclass

from flask_login import user_logged_in

from .commands import closures, family, housekeeping, reminders
from .texts import lazy_gettext as _l
from .web.navigation import ProfileLink
from .web.signin import tell_about_assisted_recovery

# The links on each profile card (home page and profile page), in this order, for those whose access
# includes the scope.
PROFILE_LINKS = (
    ProfileLink("emergency.show", _l("Emergency card"), "documents:read"),
    ProfileLink("documents.index", _l("Documents"), "documents:read"),
    ProfileLink("agenda.index", _l("Prevention agenda"), "agenda"),
    ProfileLink("caregivers.index", _l("Caregivers"), "manage"),
    ProfileLink("access_log.show", _l("Access log"), "manage"),
    ProfileLink("onboarding.resume", _l("Setup steps"), "manage"),
    ProfileLink("exports.page", _l("Download all the data"), "manage"),
)


@dataclass(frozen=True)
class Job:
    """A periodic job: the queue's worker runs it every `every_seconds` (companion/tasks.py)."""

    name: str
    every_seconds: int
    run: Callable  # called with the app; opens its own app context


JOBS = (
    Job("reminders", 60, reminders.job),
    Job("housekeeping", 3600, housekeeping.job),
    # Hourly: a closure is done within the hour its cooling-off period ends (services/closure.py).
    Job("closures", 3600, closures.job),
    Job("family_stages", 3600, family.job),  # a child reaching the teen age or majority
)

# (signal, receiver): connected for each app, receiving only that app's signals.
SIGNALS = (
    (user_logged_in, tell_about_assisted_recovery),
)


def connect(app) -> None:
    for signal, receiver in SIGNALS:
        signal.connect(receiver, app)
