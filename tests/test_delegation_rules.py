"""Delegation rules at the service level: terms, limits per caregiver, reminders for the push batch."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from companion.extensions import db
from companion.models.delegation import Delegation
from companion.services import ServiceError, accounts, delegation_rows, delegations
from companion.services.access import find_access, require_access


def _people(n):
    users = [accounts.register(f"p{i}@example.fr", None, f"Person {i}", cost=(1, 1024)) for i in range(n)]
    db.session.flush()
    return users


def _own(user):
    return require_access(user, accounts.own_profile(user).id, "manage")


def test_terms_count_calendar_months_and_clamp_month_ends():
    start = datetime(2026, 1, 31, 10, tzinfo=UTC)
    assert delegations.add_term(start, "1d") == datetime(2026, 2, 1, 10, tzinfo=UTC)
    assert delegations.add_term(start, "1m") == datetime(2026, 2, 28, 10, tzinfo=UTC)
    assert delegations.add_term(start, "6m") == datetime(2026, 7, 31, 10, tzinfo=UTC)
    assert delegations.add_term(start, "1y") == datetime(2027, 1, 31, 10, tzinfo=UTC)
    with pytest.raises(ServiceError):
        delegations.add_term(start, "10y")


def test_a_caregiver_cannot_help_more_people_than_allowed(app, ctx):
    app.config["DELEGATION_MAX_PEOPLE"] = 2
    try:
        with app.test_request_context():
            helper, *owners = _people(4)
            for owner in owners[:2]:
                inv = delegations.invite(_own(owner), owner, scopes=["agenda"], email=helper.email, term="1m")
                delegations.accept(helper, inv.delegation)
            with pytest.raises(ServiceError) as refused:
                delegations.invite(_own(owners[2]), owners[2], scopes=["agenda"], email=helper.email,
                                   term="1m")
            assert refused.value.field == "email"
            # By code, the limit is checked when the helper accepts.
            inv = delegations.invite(_own(owners[2]), owners[2], scopes=["agenda"], term="1m")
            with pytest.raises(ServiceError):
                delegations.accept(helper, delegations.find_by_code(inv.code))
            assert find_access(helper, accounts.own_profile(owners[2]).id) is None
    finally:
        app.config["DELEGATION_MAX_PEOPLE"] = 5


def test_ending_soon_lists_active_delegations_near_their_end(app, ctx):
    def ending_soon(now):
        query = select(Delegation.id).where(Delegation.is_ending_soon(now)).order_by(Delegation.expires_at)
        return list(db.session.scalars(query))

    with app.test_request_context():
        owner, helper, other = _people(3)
        now = datetime.now(UTC)
        soon = delegations.invite(_own(owner), owner, scopes=["agenda"], email=helper.email,
                                  end_date=(now + timedelta(days=3)).date())
        delegations.accept(helper, soon.delegation)
        later = delegations.invite(_own(owner), owner, scopes=["agenda"], email=other.email, term="6m")
        delegations.accept(other, later.delegation)
        assert ending_soon(now) == [soon.delegation.id]
        reminders = delegation_rows.reminders_for_owner(owner, now)
        assert [r.delegation.id for r in reminders] == [soon.delegation.id]
        assert delegation_rows.reminders_for_owner(helper, now) == []
        # Once ended, it is no longer "ending soon".
        delegations.end(owner, soon.delegation, role="owner")
        assert ending_soon(now) == []
        assert delegation_rows.reminders_for_owner(owner, now) == []


def test_a_code_is_long_hashed_and_typed_loosely(app, ctx):
    with app.test_request_context():
        owner, helper = _people(2)
        inv = delegations.invite(_own(owner), owner, scopes=["agenda"], term="1m")
        raw = inv.code.replace("-", "")
        assert len(raw) == 12 and set(raw) <= set(delegations.CODE_ALPHABET)
        assert raw not in inv.delegation.code_hash
        assert delegations.find_by_code(f"  {inv.code.lower()} ").id == inv.delegation.id
        with pytest.raises(ServiceError):
            delegations.find_by_code(raw[:-1])


def test_two_people_racing_with_one_code_only_one_gets_it(app):
    with app.test_request_context():
        owner, first, second = _people(3)
        inv = delegations.invite(_own(owner), owner, scopes=["agenda"], term="1m")
        db.session.commit()
        stale = delegations.find_by_code(inv.code)  # the second person's page, loaded before
        with app.test_request_context():  # meanwhile, the first person accepts (another session)
            delegations.accept(db.session.get(type(first), first.id), delegations.find_by_code(inv.code))
            db.session.commit()
        with pytest.raises(ServiceError):
            delegations.accept(second, stale)
        db.session.rollback()
        assert find_access(second, accounts.own_profile(owner).id) is None
        assert find_access(first, accounts.own_profile(owner).id) is not None
