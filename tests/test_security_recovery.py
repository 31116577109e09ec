"""Recovery codes: ten distinct codes from the CSPRNG, stored hashed, single use, replaced as a set."""

from sqlalchemy import select

from companion.extensions import db
from companion.models.credential import RecoveryCode
from companion.services import recovery

from .cast import make_person


def test_codes_are_ten_distinct_hashed_single_use(app):
    with app.test_request_context():
        user = make_person()
        codes = recovery.generate(user)
        assert len(codes) == 10 and len(set(codes)) == 10
        assert all(
            len(recovery.normalise(c)) == 10 and set(recovery.normalise(c)) <= set(recovery.ALPHABET)
            for c in codes
        )
        stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
        assert len(stored) == 10 and not any(
            recovery.normalise(c) in h or c in h for c in codes for h in stored
        )
        # Typed the way people type: lower case, spaces instead of the dash.
        assert recovery.use(user, codes[0].lower().replace("-", " "))
        assert not recovery.use(user, codes[0])
        assert not recovery.use(user, "")
        assert not recovery.use(user, "2" * 10)
        assert recovery.remaining(user) == 9


def test_a_new_set_replaces_the_old_one(app):
    with app.test_request_context():
        user = make_person()
        old = recovery.generate(user)
        new = recovery.generate(user)
        assert not set(old) & set(new)
        assert not recovery.use(user, old[1])
        assert recovery.use(user, new[1])
        assert recovery.remaining(user) == 9


def test_codes_of_one_account_do_not_open_another(app):
    with app.test_request_context():
        anna = make_person()
        bob = make_person(email="bob@example.fr", name="Bob Durand")
        codes = recovery.generate(anna)
        assert not recovery.use(bob, codes[0])
        assert recovery.use(anna, codes[0])
