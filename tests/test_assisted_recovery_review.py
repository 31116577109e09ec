"""Review fixes of assisted recovery: one code, one new password, even when two tries come at once."""

from datetime import timedelta

import pytest

from companion.extensions import db
from companion.models.onboarding import AssistedRecoveryCode, PendingRecovery
from companion.models.types import utcnow
from companion.services import ServiceError, accounts, assisted_recovery, recovery_hold

from .test_onboarding_services import make_mediator, make_person, make_structure

COST = (1, 1024)
HOLD = timedelta(hours=72)


def _after_the_hold():
    db.session.commit()
    recovery_hold.apply_due(utcnow() + HOLD + timedelta(minutes=1))


def test_two_redemptions_of_one_code_at_the_same_moment_let_only_the_first_in(app, monkeypatch):
    """Another request redeems the code between this one's lookup and its write (a race)."""
    with app.test_request_context():
        mediator = make_mediator(make_structure())
        make_person()
        _row, code = assisted_recovery.issue(mediator, "anna@example.fr", True, daily_limit=5)
        checked = assisted_recovery.policy_error
        raced = []

        def other_request_goes_first(password, **kw):
            if not raced:
                raced.append(True)
                assisted_recovery.redeem("anna@example.fr", code, "la première phrase", cost=COST, hold=HOLD)
            return checked(password, **kw)

        monkeypatch.setattr(assisted_recovery, "policy_error", other_request_goes_first)
        with pytest.raises(ServiceError) as refused:
            assisted_recovery.redeem("anna@example.fr", code, "la seconde phrase", cost=COST, hold=HOLD)
        assert refused.value.field == "code"
        assert raced  # the other request did run in between
        assert db.session.query(PendingRecovery).count() == 1
        _after_the_hold()
        assert accounts.authenticate("anna@example.fr", "la première phrase", COST) is not None
        assert accounts.authenticate("anna@example.fr", "la seconde phrase", COST) is None
        assert db.session.query(AssistedRecoveryCode).one().used_at is not None


def test_a_used_code_is_refused_and_keeps_the_password_it_set(app, ctx):
    with app.test_request_context():
        mediator = make_mediator(make_structure())
        make_person()
        _row, code = assisted_recovery.issue(mediator, "anna@example.fr", True, daily_limit=5)
        db.session.commit()
    with app.test_request_context():
        assisted_recovery.redeem("anna@example.fr", code, "la première phrase", cost=COST, hold=HOLD)
        db.session.commit()
    with app.test_request_context():
        with pytest.raises(ServiceError):
            assisted_recovery.redeem("anna@example.fr", code, "la seconde phrase", cost=COST, hold=HOLD)
        db.session.rollback()
        _after_the_hold()
        assert accounts.authenticate("anna@example.fr", "la première phrase", COST) is not None
