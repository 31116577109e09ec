"""Assisted recovery: a mediator checks identity in person and gives a single-use code valid 24 hours.
The new password chosen with it waits for a hold the owner controls (tests/test_recovery_hold.py)."""

from datetime import timedelta

import pytest

from companion.extensions import db
from companion.models.account import User, UserSession
from companion.models.audit import AccessEvent
from companion.models.credential import RecoveryCode, WebAuthnCredential
from companion.models.onboarding import AssistedRecoveryCode, PendingRecovery
from companion.models.types import utcnow
from companion.services import ServiceError, accounts, assisted_recovery, recovery_hold

from .cast import COST, give_key, make_mediator, make_person, make_structure, mediator_browser
from .conftest import Browser

HOLD = timedelta(hours=72)


def test_issue_limits_identity_check_and_unknown_accounts(app):
    with app.test_request_context():
        mediator = make_mediator(make_structure())
        make_person()
        with pytest.raises(ServiceError) as unchecked:
            assisted_recovery.issue(mediator, "anna@example.fr", False, daily_limit=2)
        assert unchecked.value.field == "identity_checked"
        with pytest.raises(ServiceError) as unknown:
            assisted_recovery.issue(mediator, "nobody@example.fr", True, daily_limit=2)
        assert unknown.value.field == "email"
        with pytest.raises(ServiceError):  # never for another mediator's account
            assisted_recovery.issue(mediator, "karim@fs.example.fr", True, daily_limit=2)
        assisted_recovery.issue(mediator, "anna@example.fr", True, daily_limit=2)
        assisted_recovery.issue(mediator, "anna@example.fr", True, daily_limit=2)
        with pytest.raises(ServiceError) as limited:
            assisted_recovery.issue(mediator, "anna@example.fr", True, daily_limit=2)
        assert limited.value.status == 429
        # The next day the mediator may issue again.
        later = utcnow() + timedelta(hours=25)
        assisted_recovery.issue(mediator, "anna@example.fr", True, daily_limit=2, now=later)


def test_a_code_works_once_within_24_hours_and_replaces_earlier_codes(app):
    with app.test_request_context():
        mediator = make_mediator(make_structure())
        make_person()
        _r1, first = assisted_recovery.issue(mediator, "anna@example.fr", True, daily_limit=5)
        _r2, second = assisted_recovery.issue(mediator, "anna@example.fr", True, daily_limit=5)
        with pytest.raises(ServiceError):  # the earlier code stopped working
            assisted_recovery.redeem("anna@example.fr", first, "un nouveau départ", cost=(1, 1024), hold=HOLD)
        with pytest.raises(ServiceError):  # expired after 24 hours
            assisted_recovery.redeem("anna@example.fr", second, "un nouveau départ", cost=(1, 1024),
                                     hold=HOLD, now=utcnow() + timedelta(hours=24, minutes=1))
        assisted_recovery.redeem("anna@example.fr", second.lower(), "un nouveau départ", cost=(1, 1024),
                                 hold=HOLD)
        with pytest.raises(ServiceError):  # single use
            assisted_recovery.redeem("anna@example.fr", second, "encore un autre", cost=(1, 1024), hold=HOLD)
        db.session.commit()
        assert recovery_hold.apply_due(utcnow() + HOLD + timedelta(minutes=1)) == 1
        assert accounts.authenticate("anna@example.fr", "un nouveau départ", (1, 1024)) is not None


def test_recovery_removes_old_keys_and_recovery_codes_and_signs_out_other_devices(app, ctx):
    with app.test_request_context():
        make_structure()
        person = make_person()
        give_key(person)
        db.session.add(RecoveryCode(user_id=person.id, code_hash="x" * 64))
        db.session.commit()
        person_id = person.id
    from .cast import signed_in
    thief = signed_in(app.test_client(), person_id)  # another device signed in before
    mediator_web, _ = mediator_browser(app, structure={"name": "FS Aubusson", "commune": "23008"},
                                       email="lea@fs.example.fr")
    resp = mediator_web.post("/mediators/recovery", {"email": "anna@example.fr", "identity_checked": "y"},
                             from_url="/mediators/recovery")
    assert resp.status_code == 201
    code = resp.get_data(as_text=True).split('class="onb-digits">')[1].split("<")[0]
    assert len(code) == 14  # XXXX-XXXX-XXXX
    person_web = Browser(app.test_client())
    resp = person_web.post("/onboarding/recover", {"email": "anna@example.fr", "code": code,
                                                   "password": "un nouveau départ"})
    # Nobody is signed in at the counter: the new password waits for the owner's hold (issue 12).
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/onboarding/recover/waiting")
    waiting = person_web.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Votre nouveau mot de passe marchera à partir du" in waiting
    assert "Anna Petit" not in person_web.get("/").get_data(as_text=True)  # not signed in
    with ctx():
        assert db.session.query(WebAuthnCredential).filter_by(user_id=person_id).count() == 1
        assert "Anna Petit" in thief.get("/").get_data(as_text=True)  # the other device is still in
        assert recovery_hold.apply_due(utcnow() + HOLD + timedelta(minutes=1)) == 1
    with ctx():
        assert db.session.query(WebAuthnCredential).filter_by(user_id=person_id).count() == 0
        assert db.session.query(RecoveryCode).filter_by(user_id=person_id).count() == 0
        alive = db.session.query(UserSession).filter(UserSession.user_id == person_id,
                                                     UserSession.revoked_at.is_(None)).count()
        assert alive == 0  # every device signs in again, with the new password
        actions = [e.action for e in db.session.query(AccessEvent).filter_by(account_id=person_id)]
        assert "recovery.assisted_issued" in actions and "recovery.assisted_applied" in actions
    assert "Anna Petit" not in thief.get("/").get_data(as_text=True)
    assert person_web.login(password="un nouveau départ").status_code == 302


def test_the_person_is_told_at_next_login_and_the_lead_sees_the_log(app, ctx):
    with app.test_request_context():
        structure = make_structure()
        lead = make_mediator(structure, lead=True)
        helper = make_mediator(structure, email="lea@fs.example.fr", name="Léa Roux")
        make_person()
        assisted_recovery.issue(helper, "anna@example.fr", True, daily_limit=5)
        db.session.commit()
        lead_id, helper_id = lead.id, helper.id
    person = Browser(app.test_client())
    person.login()
    page = person.get("/").get_data(as_text=True)
    assert "France Services a donné un code de récupération" in page
    person.logout()
    person.login()
    assert "code de récupération pour votre compte" not in person.get("/").get_data(as_text=True)  # once
    from .cast import signed_in
    log = signed_in(app.test_client(), lead_id).get("/mediators/recovery/log")
    assert log.status_code == 200 and "Léa Roux" in log.get_data(as_text=True)
    assert "anna@example.fr" not in log.get_data(as_text=True)
    helper = signed_in(app.test_client(), helper_id)
    assert helper.get("/mediators/recovery/log").status_code == 404  # not the lead
    with ctx():
        assert db.session.query(AssistedRecoveryCode).one().notified_at is not None


def test_people_cannot_reach_mediator_pages(app, web):
    web.register()
    for url in ("/mediators/", "/mediators/recovery", "/mediators/activation", "/mediators/activation.csv"):
        assert web.get(url).status_code == 404
    with app.app_context():
        assert db.session.query(User).filter_by(role="mediator").count() == 0


def test_the_daily_limit_comes_from_the_configuration(app):
    mediator, _ = mediator_browser(app)
    with app.test_request_context():
        make_person()
        db.session.commit()
    before = app.config["ASSISTED_RECOVERY_DAILY_LIMIT"]
    app.config["ASSISTED_RECOVERY_DAILY_LIMIT"] = 1
    try:
        data = {"email": "anna@example.fr", "identity_checked": "y"}
        first = mediator.post("/mediators/recovery", data, from_url="/mediators/recovery")
        second = mediator.post("/mediators/recovery", data, from_url="/mediators/recovery")
    finally:
        app.config["ASSISTED_RECOVERY_DAILY_LIMIT"] = before
    assert first.status_code == 201
    assert second.status_code == 429
    assert "limite de codes de récupération" in second.get_data(as_text=True)


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
