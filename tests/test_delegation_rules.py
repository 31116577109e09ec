"""Delegation rules at the service level: terms, limits per caregiver (held under concurrent
invitations), reminders for the push batch."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from companion.extensions import db
from companion.models.account import User
from companion.models.delegation import Delegation
from companion.services import ServiceError, accounts, audit, delegation_rows, delegations
from companion.services.access import find_access, require_access

from .cast import make_person


def _people(n):
    return [make_person(email=f"p{i}@example.fr", name=f"Person {i}", password=None) for i in range(n)]


def _own(user):
    return require_access(user, accounts.own_profile(user).id, "manage")


def test_terms_count_calendar_months_and_clamp_month_ends():
    """On the owner's clock (Paris): 11:00 on 31 January, 6 months later, is 11:00 on 31 July in Paris,
    09:00 UTC in summer time."""
    start = datetime(2026, 1, 31, 10, tzinfo=UTC)  # 11:00 in Paris
    assert delegations.add_term(start, "1d") == datetime(2026, 2, 1, 10, tzinfo=UTC)
    assert delegations.add_term(start, "1m") == datetime(2026, 2, 28, 10, tzinfo=UTC)
    assert delegations.add_term(start, "6m") == datetime(2026, 7, 31, 9, tzinfo=UTC)
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
        # The home page's two lists (one statement built once, the times bound): her invitation...
        assert [r.delegation.id for r in delegation_rows.for_home(helper, now)[0]] == [soon.delegation.id]
        delegations.accept(helper, soon.delegation)
        assert delegation_rows.for_home(helper, now) == ([], [])
        later = delegations.invite(_own(owner), owner, scopes=["agenda"], email=other.email, term="6m")
        delegations.accept(other, later.delegation)
        assert ending_soon(now) == [soon.delegation.id]
        reminders = delegation_rows.reminders_for_owner(owner, now)
        assert [r.delegation.id for r in reminders] == [soon.delegation.id]
        # ...then the owner's reminder, the same on the home page, and gone once the access has ended.
        assert [r.delegation.id for r in delegation_rows.for_home(owner, now)[1]] == [soon.delegation.id]
        assert delegation_rows.for_home(owner, now + timedelta(days=5)) == ([], [])
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


def test_two_invitations_at_the_same_moment_do_not_exceed_the_caregiver_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "DELEGATION_MAX_CAREGIVERS", 1)
    with app.app_context():
        owner = make_person(email="owner@example.fr", name="Owner", password=None)
        db.session.commit()
        owner_id, pid = owner.id, accounts.own_profile(owner).id
        # A log that already has entries, as in real life (its first entry is another race).
        audit.record(actor=owner, actor_role="owner", action="profile.view", profile_id=pid)
        db.session.commit()
    outcome = {}

    def second_invitation():
        with app.test_request_context():
            user = db.session.get(User, owner_id)
            try:
                delegations.invite(require_access(user, pid, "manage"), user, scopes=["agenda"], term="1m")
                db.session.commit()
                outcome["second"] = "sent"
            except ServiceError as exc:
                db.session.rollback()
                outcome["second"] = str(exc.message)

    with app.app_context():
        user = db.session.get(User, owner_id)
        delegations.invite(require_access(user, pid, "manage"), user, scopes=["agenda"], term="1m")
        other = threading.Thread(target=second_invitation)
        other.start()
        time.sleep(0.5)  # the other request counts while this one is not yet committed
        db.session.commit()
    other.join(10)
    assert "le maximum autorisé" in outcome["second"]
    with app.app_context():
        assert db.session.query(Delegation).filter_by(profile_id=pid).count() == 1


def test_two_invitations_to_one_person_at_the_same_moment_do_not_exceed_their_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "DELEGATION_MAX_PEOPLE", 1)
    with app.app_context():
        owners = [make_person(email=f"o{i}@example.fr", name=f"Owner {i}", password=None) for i in range(2)]
        make_person(email="helper@example.fr", name="Helper", password=None)
        db.session.flush()
        audit.record(actor=owners[0], actor_role="owner", action="profile.view",
                     profile_id=accounts.own_profile(owners[0]).id)
        db.session.commit()
        ids = [(o.id, accounts.own_profile(o).id) for o in owners]
    outcome = {}

    def send(index):
        user = db.session.get(User, ids[index][0])
        access = require_access(user, ids[index][1], "manage")
        delegations.invite(access, user, scopes=["agenda"], email="helper@example.fr", term="1m")

    def second_invitation():
        with app.test_request_context():
            try:
                send(1)
                db.session.commit()
                outcome["second"] = "sent"
            except ServiceError as exc:
                db.session.rollback()
                outcome["second"] = str(exc.message)

    with app.app_context():
        send(0)
        other = threading.Thread(target=second_invitation)
        other.start()
        time.sleep(0.5)
        db.session.commit()
    other.join(10)
    assert "le maximum autorisé" in outcome["second"]
