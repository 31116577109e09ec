"""What companion/wiring.py declares is real: a renamed endpoint or a dropped job fails here instead of
silently removing a link from every profile card."""

from flask_login import user_logged_in

from companion import wiring
from companion.views import onboarding
from companion.web.signin import tell_about_assisted_recovery


def test_every_profile_link_is_a_profile_route(app):
    for link in wiring.PROFILE_LINKS:
        view = app.view_functions[link.endpoint]  # KeyError: a link to a route that does not exist
        assert getattr(view, "profile_scope", None), link.endpoint
        rules = [r for r in app.url_map.iter_rules() if r.endpoint == link.endpoint]
        assert rules and all("profile_id" in r.arguments for r in rules), link.endpoint


def test_every_onboarding_step_target_exists(app):
    for step, targets in onboarding.TARGETS.items():
        for endpoint, _needs_profile in targets:
            assert endpoint in app.view_functions, (step, endpoint)


def test_the_jobs_and_signals_are_declared_once(app):
    assert [job.name for job in wiring.JOBS] == ["reminders", "housekeeping", "closures"]
    assert tell_about_assisted_recovery in list(user_logged_in.receivers_for(app))
