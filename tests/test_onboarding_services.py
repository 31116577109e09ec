"""Assisted onboarding rules: session life cycle, consent first, expiry, one person per code, steps that
count as done only when what they set up exists."""

from datetime import timedelta

import pytest

from companion.extensions import db
from companion.models.audit import AccessEvent
from companion.models.onboarding import AssistedSession
from companion.models.types import utcnow
from companion.services import ServiceError, onboarding, recovery

from .cast import give_key, make_mediator, make_person, make_structure


def test_a_session_goes_from_code_to_consent_to_steps_to_end_and_the_person_log_shows_it(app, ctx):
    with app.test_request_context():
        mediator = make_mediator(make_structure())
        sess, code = onboarding.start(mediator)
        assert len(code) == 6 and code.isdigit() and sess.code_hash != code
        claimed, token = onboarding.claim(code, shared_device=False)
        assert claimed.id == sess.id and onboarding.for_device(token).id == sess.id
        onboarding.consent(sess)
        person = make_person()
        onboarding.attach_person(sess, person)
        onboarding.record_step(sess, person, "account", "done")
        onboarding.record_step(sess, person, "key", "skipped")
        assert onboarding.next_step(sess) == "recovery"
        onboarding.end(sess, "mediator")
        assert sess.ended_at is not None and sess.ended_by == "mediator"
        db.session.commit()  # the log is written at the commit (services/audit.py)
        actions = [e.action for e in db.session.query(AccessEvent).filter_by(account_id=person.id)
                   .order_by(AccessEvent.id)]
        assert actions[-4:] == ["onboarding.session_started", "onboarding.step_done",
                                "onboarding.step_skipped", "onboarding.session_ended"]
        ended = db.session.query(AccessEvent).filter_by(action="onboarding.session_ended").one()
        assert ended.actor_name == "Karim Benali" and ended.actor_role == "mediator"
        assert ended.object_label in ("Compte", "Account")  # which steps were done, in plain words


def test_no_step_is_recorded_before_the_person_consents(app, ctx):
    with app.test_request_context():
        mediator = make_mediator(make_structure())
        sess, code = onboarding.start(mediator)
        onboarding.claim(code, shared_device=False)
        with pytest.raises(ServiceError):
            onboarding.record_step(sess, None, "account", "done")
        with pytest.raises(ServiceError):
            onboarding.attach_person(sess, make_person())
        assert sess.steps == []


def test_a_code_works_for_the_first_phone_only(app, ctx):
    with app.test_request_context():
        mediator = make_mediator(make_structure())
        _sess, code = onboarding.start(mediator)
        onboarding.claim(code, shared_device=False)
        with pytest.raises(ServiceError) as second:
            onboarding.claim(code, shared_device=False)
        assert second.value.field == "code"


def test_a_code_expires_after_15_minutes_and_a_session_after_an_hour(app, ctx):
    with app.test_request_context():
        mediator = make_mediator(make_structure())
        now = utcnow()
        sess, code = onboarding.start(mediator, now=now)
        with pytest.raises(ServiceError):
            onboarding.claim(code, False, now=now + timedelta(minutes=16))
        sess2, code2 = onboarding.start(mediator, now=now)
        onboarding.claim(code2, False, now=now + timedelta(minutes=14))
        onboarding.consent(sess2, now=now + timedelta(minutes=15))
        onboarding.expire_if_due(sess2, now=now + timedelta(minutes=61))
        assert sess2.ended_by == "expiry" and not onboarding.is_live(sess2)
        with pytest.raises(ServiceError):
            onboarding.consent(sess2)


def test_a_mediator_of_another_structure_cannot_see_the_session(app, ctx):
    with app.test_request_context():
        mine = make_mediator(make_structure())
        other = make_mediator(make_structure("France Services d'Aubusson", "23008"),
                              email="lea@fs.example.fr")
        sess, _code = onboarding.start(mine)
        with pytest.raises(ServiceError) as refused:
            onboarding.for_mediator(other, sess.id)
        assert refused.value.status == 404
        assert onboarding.for_mediator(mine, sess.id).id == sess.id


def test_people_and_unattached_mediators_cannot_start_a_session(app, ctx):
    with app.test_request_context():
        person = make_person()
        loose = make_person(email="loose@fs.example.fr", name="Loose", role="mediator")
        for actor in (person, loose):
            with pytest.raises(ServiceError):
                onboarding.start(actor)
        assert db.session.query(AssistedSession).count() == 0


def test_a_done_step_stays_done_and_a_skipped_one_can_be_done_later_alone(app, ctx):
    with app.test_request_context():
        mediator = make_mediator(make_structure())
        sess, code = onboarding.start(mediator)
        onboarding.claim(code, False)
        onboarding.consent(sess)
        person = make_person()
        onboarding.attach_person(sess, person)
        onboarding.record_step(sess, person, "profile", "skipped")
        onboarding.end(sess, "person")
        onboarding.record_step(sess, person, "profile", "done")  # resumed from the home page
        onboarding.record_step(sess, person, "profile", "skipped")
        assert sess.status_of("profile") == "done"
        db.session.commit()  # the log is written at the commit
        last = db.session.query(AccessEvent).order_by(AccessEvent.id.desc()).first()
        assert last.actor_role == "owner"  # done alone, after the session
        with pytest.raises(ServiceError):
            onboarding.record_step(sess, make_person(email="x@example.fr"), "key", "done")


def _live_session_with_person(password=True):
    mediator = make_mediator(make_structure())
    sess, code = onboarding.start(mediator)
    onboarding.claim(code, shared_device=False)
    onboarding.consent(sess)
    person = make_person()
    if not password:
        person.password_hash = None
    onboarding.attach_person(sess, person)
    return sess, person


def test_the_key_and_sheet_steps_are_done_only_when_they_exist(app):
    """The step rules live in the service: a claimed key or sheet that does not exist is refused."""
    with app.test_request_context():
        sess, person = _live_session_with_person()
        for step in ("key", "recovery"):
            with pytest.raises(ServiceError):
                onboarding.confirm_done(sess, person, step)
            assert sess.status_of(step) == "todo"
        give_key(person)
        recovery.generate(person)
        onboarding.confirm_done(sess, person, "key")  # the key page goes on to the sheet by itself
        assert sess.status_of("key") == "done" and sess.status_of("recovery") == "done"
        onboarding.confirm_done(sess, person, "reminders")  # not checkable: the person's word
        assert sess.status_of("reminders") == "done"


def test_without_a_password_the_key_step_cannot_be_skipped_in_the_service(app):
    with app.test_request_context():
        sess, person = _live_session_with_person(password=False)
        with pytest.raises(ServiceError):
            onboarding.skip(sess, person, "key")
        assert sess.status_of("key") == "todo"
        onboarding.skip(sess, person, "recovery")
        assert sess.status_of("recovery") == "skipped"
