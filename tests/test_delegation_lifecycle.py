"""The delegation lifecycle is defined once on the model and must give the same answer in Python (on a
loaded row) and in SQL (in a WHERE clause), on every database: a table of delegations, one per state
and per boundary, at one fixed `now`."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import not_, select

from companion.extensions import db
from companion.models.delegation import (
    ENDING_SOON,
    IMPLIED_SCOPES,
    Delegation,
    DelegationState,
    with_implied,
)
from companion.services import accounts

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
DAY, SECOND = timedelta(days=1), timedelta(seconds=1)
S = DelegationState

# name: (fields set on the delegation, its state at NOW, ending soon at NOW)
CASES = {
    "invited": (dict(invitation_expires_at=NOW + 3 * DAY), S.PENDING, False),
    "invitation lapsed": (dict(invitation_expires_at=NOW - SECOND), S.LAPSED, False),
    "invitation lapses now": (dict(invitation_expires_at=NOW), S.LAPSED, False),
    "invitation without a date": (dict(invitation_expires_at=None), S.LAPSED, False),
    "declined": (dict(invitation_expires_at=NOW + DAY, declined_at=NOW - DAY), S.DECLINED, False),
    "cancelled before an answer": (dict(invitation_expires_at=NOW + DAY, revoked_at=NOW - DAY), S.ENDED,
                                   False),
    "active": (dict(accepted_at=NOW - DAY, expires_at=NOW + 30 * DAY), S.ACTIVE, False),
    "active, ends in 3 days": (dict(accepted_at=NOW - DAY, expires_at=NOW + 3 * DAY), S.ACTIVE, True),
    "active, ends at the soon limit": (dict(accepted_at=NOW - DAY, expires_at=NOW + ENDING_SOON), S.ACTIVE,
                                       True),
    "active, ends just after it": (dict(accepted_at=NOW - DAY, expires_at=NOW + ENDING_SOON + SECOND),
                                   S.ACTIVE, False),
    "ends now": (dict(accepted_at=NOW - DAY, expires_at=NOW), S.EXPIRED, False),
    "expired": (dict(accepted_at=NOW - 9 * DAY, expires_at=NOW - DAY), S.EXPIRED, False),
    "ended by a side": (dict(accepted_at=NOW - DAY, expires_at=NOW + 3 * DAY, revoked_at=NOW - SECOND),
                        S.ENDED, False),
    "ended after it expired": (dict(accepted_at=NOW - 9 * DAY, expires_at=NOW - DAY, revoked_at=NOW),
                               S.ENDED, False),
}
PREDICATES = ("is_pending", "is_active", "is_open", "is_expired", "is_ending_soon")


@pytest.fixture
def table(app, ctx):
    """Every case saved as a row of one profile; yields {case name: delegation id}."""
    with app.test_request_context():
        owner = accounts.register("owner@example.fr", None, "Owner", cost=(1, 1024))
        profile_id = accounts.own_profile(owner).id
        ids = {}
        for name, (fields, _state, _soon) in CASES.items():
            values = {"expires_at": NOW + 30 * DAY, **fields}
            d = Delegation(profile_id=profile_id, granted_by_id=owner.id, scopes="agenda",
                           created_at=NOW - 10 * DAY, **values)
            db.session.add(d)
            db.session.flush()
            ids[name] = d.id
        db.session.commit()
        yield ids


def _loaded(ids):
    db.session.expire_all()  # read back from the database, as a request would
    return {name: db.session.get(Delegation, i) for name, i in ids.items()}


def test_each_case_has_the_expected_state_and_reminder(table):
    for name, d in _loaded(table).items():
        _fields, state, soon = CASES[name]
        assert (d.state(NOW), d.is_ending_soon(NOW)) == (state, soon), name
        assert isinstance(d.state(NOW), DelegationState)


def test_the_state_in_sql_is_the_state_in_python(table):
    in_sql = dict(db.session.execute(select(Delegation.id, Delegation.state(NOW))).all())
    for name, d in _loaded(table).items():
        assert in_sql[d.id] == d.state(NOW), name
    for state in DelegationState:
        chosen = set(db.session.scalars(select(Delegation.id).where(Delegation.state(NOW) == state)))
        assert chosen == {i for name, i in table.items() if CASES[name][1] == state}, state


@pytest.mark.parametrize("predicate", PREDICATES)
def test_each_predicate_selects_in_sql_what_it_says_in_python(table, predicate):
    rows = _loaded(table)
    expected = {d.id for d in rows.values() if getattr(d, predicate)(NOW)}
    clause = getattr(Delegation, predicate)(NOW)
    assert set(db.session.scalars(select(Delegation.id).where(clause))) == expected
    # The negation too: a NULL time must not drop a row from both sides.
    negated = set(db.session.scalars(select(Delegation.id).where(not_(clause))))
    assert negated == set(table.values()) - expected


def test_the_predicates_agree_with_the_named_states(table):
    for name, d in _loaded(table).items():
        state = d.state(NOW)
        assert d.is_pending(NOW) == (state == S.PENDING), name
        assert d.is_active(NOW) == (state == S.ACTIVE), name
        assert d.is_open(NOW) == (state in (S.ACTIVE, S.PENDING)), name
        assert d.is_expired(NOW) == (state == S.EXPIRED), name


def test_a_scope_brings_what_it_implies():
    assert IMPLIED_SCOPES["documents:write"] == {"documents:read"}
    assert with_implied(["documents:write"]) == {"documents:write", "documents:read"}
    assert with_implied(["agenda"]) == {"agenda"}
    assert with_implied([]) == frozenset()
    older = Delegation(scopes="documents:write agenda")
    assert older.scope_set == {"documents:write", "agenda"}  # what the owner chose, as shown
    assert older.granted_scopes == {"documents:write", "documents:read", "agenda"}  # what access allows
