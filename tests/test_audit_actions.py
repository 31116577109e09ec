"""The catalogue of access-log actions is the only source of codes: `audit.record` refuses anything
else, and every action a route logs has its plain words."""

import pytest

from companion.services import audit
from companion.services.audit_actions import ACTIONS, phrase_for


def test_an_action_missing_from_the_catalogue_is_refused(app, ctx):
    with ctx():
        with pytest.raises(audit.UnknownAction):
            audit.record(actor=None, actor_role="system", action="document.veiw")


def test_an_action_recorded_with_another_object_type_is_refused(app, ctx):
    with ctx():
        with pytest.raises(audit.UnknownAction):
            audit.record(actor=None, actor_role="system", action="security.key_added", object_type="document")


def test_the_object_type_comes_from_the_catalogue(app, ctx):
    with ctx():
        event = audit.record(actor=None, actor_role="system", action="security.key_removed", object_id=3)
        assert event.object_type == "key"


def test_every_action_a_route_logs_is_in_the_catalogue(app):
    logged = {getattr(view, "audit_action", None) for view in app.view_functions.values()} - {None}
    assert logged and logged <= set(ACTIONS)


def test_every_action_has_its_plain_words_in_french(app):
    with app.test_request_context():
        for code in ACTIONS:
            assert str(phrase_for(code)) != code
        assert "corbeille" in str(phrase_for("document.trash_list"))
    assert phrase_for("gone.action") == "gone.action"  # an entry older than the catalogue still reads
