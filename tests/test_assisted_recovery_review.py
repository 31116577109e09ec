"""Review fixes of assisted recovery: one code, one new password, even when two tries come at once."""

import pytest

from companion.extensions import db
from companion.models.onboarding import AssistedRecoveryCode
from companion.services import ServiceError, accounts, assisted_recovery

from .cast import make_mediator, make_person, make_structure

COST = (1, 1024)


def test_two_redemptions_of_one_code_at_the_same_moment_let_only_the_first_in(app, monkeypatch):
    """Another request redeems the code between this one's lookup and its write (a race)."""
    with app.test_request_context():
        mediator = make_mediator(make_structure())
        make_person()
        _row, code = assisted_recovery.issue(mediator, "anna@example.fr", True, daily_limit=5)
        checked = assisted_recovery.policy_error
        raced = []

        def other_request_goes_first(password):
            if not raced:
                raced.append(True)
                assisted_recovery.redeem("anna@example.fr", code, "la première phrase", cost=COST)
            return checked(password)

        monkeypatch.setattr(assisted_recovery, "policy_error", other_request_goes_first)
        with pytest.raises(ServiceError) as refused:
            assisted_recovery.redeem("anna@example.fr", code, "la seconde phrase", cost=COST)
        assert refused.value.field == "code"
        assert raced  # the other request did run in between
        db.session.flush()
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
        assisted_recovery.redeem("anna@example.fr", code, "la première phrase", cost=COST)
        db.session.commit()
    with app.test_request_context():
        with pytest.raises(ServiceError):
            assisted_recovery.redeem("anna@example.fr", code, "la seconde phrase", cost=COST)
        db.session.rollback()
        assert accounts.authenticate("anna@example.fr", "la première phrase", COST) is not None
