"""Assisted recovery with the owner in control (issue 12): a new password chosen at a France Services
counter waits for a hold; the owner's devices and e-mail are told; she confirms or cancels; it applies
exactly once, never after a cancel, and every step is in the access log and the lead's view."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from companion.extensions import db
from companion.models.account import User, UserSession
from companion.models.audit import AccessEvent
from companion.models.credential import WebAuthnCredential
from companion.models.onboarding import PendingRecovery
from companion.models.types import utcnow
from companion.services import ServiceError, accounts, assisted_recovery, recovery_hold
from companion.services import push as push_service

from .cast import give_key, make_mediator, make_person, make_structure, signed_in
from .conftest import Browser
from .push_receiver import PushService
from .smtp_server import smtp  # noqa: F401 (fixture)

COST = (1, 1024)
HOLD = timedelta(hours=72)
OLD, NEW = "une phrase facile", "un nouveau départ"
PAGE = "/account/recovery-requests"


def _pending(app) -> tuple[int, int]:
    """Anna (with a key and a signed-in phone) and a recovery redeemed at the counter."""
    with app.test_request_context():
        structure = make_structure()
        mediator = make_mediator(structure, lead=True)
        person = make_person()
        give_key(person)
        _row, code = assisted_recovery.issue(mediator, person.email, True, daily_limit=5)
        pending = assisted_recovery.redeem(person.email, code, NEW, cost=COST, hold=HOLD)
        db.session.commit()
        return person.id, pending.id


def _actions(person_id: int) -> list[str]:
    query = select(AccessEvent).where(AccessEvent.account_id == person_id).order_by(AccessEvent.id)
    return [e.action for e in db.session.scalars(query)]


def test_before_the_hold_nothing_changes(app, ctx):
    person_id, _pid = _pending(app)
    phone = signed_in(app.test_client(), person_id)
    with ctx():
        assert recovery_hold.apply_due(utcnow() + HOLD - timedelta(minutes=1)) == 0
        assert accounts.authenticate("anna@example.fr", OLD, COST) is not None  # old password works
        assert accounts.authenticate("anna@example.fr", NEW, COST) is None  # the new one is refused
        assert db.session.query(WebAuthnCredential).filter_by(user_id=person_id).count() == 1
        assert db.session.query(UserSession).filter_by(user_id=person_id, revoked_at=None).count() == 1
    assert "Anna Petit" in phone.get("/").get_data(as_text=True)


def test_after_the_hold_it_applies_exactly_once(app, ctx):
    person_id, _pid = _pending(app)
    later = utcnow() + HOLD + timedelta(minutes=1)
    with ctx():
        assert recovery_hold.apply_due(later) == 1
        assert recovery_hold.apply_due(later + timedelta(hours=1)) == 0
        assert accounts.authenticate("anna@example.fr", NEW, COST) is not None
        assert accounts.authenticate("anna@example.fr", OLD, COST) is None
        assert db.session.query(WebAuthnCredential).filter_by(user_id=person_id).count() == 0
        assert db.session.query(UserSession).filter_by(user_id=person_id, revoked_at=None).count() == 0
        assert _actions(person_id).count("recovery.assisted_applied") == 1
        assert db.session.query(PendingRecovery).one().password_hash is None  # not kept once used


def test_concurrent_appliers_apply_it_once(app, ctx):
    person_id, _pid = _pending(app)
    later = utcnow() + HOLD + timedelta(minutes=1)
    results, errors, start = [], [], threading.Barrier(4)

    def run():
        try:
            with app.app_context():
                start.wait()
                results.append(recovery_hold.apply_due(later))
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and sum(results) == 1
    with ctx():
        assert _actions(person_id).count("recovery.assisted_applied") == 1


def test_a_cancelled_request_never_applies(app, ctx):
    person_id, pending_id = _pending(app)
    with app.test_request_context():
        owner = db.session.get(User, person_id)
        recovery_hold.cancel(owner, pending_id)
        db.session.commit()
        with pytest.raises(ServiceError):  # once stopped, it cannot be confirmed either
            recovery_hold.confirm(owner, pending_id, None)
        db.session.rollback()
        assert recovery_hold.apply_due(utcnow() + HOLD * 10) == 0
        assert accounts.authenticate("anna@example.fr", OLD, COST) is not None
        assert accounts.authenticate("anna@example.fr", NEW, COST) is None
        assert db.session.query(WebAuthnCredential).filter_by(user_id=person_id).count() == 1
        assert "recovery.assisted_cancelled" in _actions(person_id)


def test_another_account_cannot_answer_for_the_owner(app, ctx):
    _person_id, pending_id = _pending(app)
    with app.test_request_context():
        stranger = make_person(email="eve@example.fr", name="Ève Martin")
        for answer in (lambda: recovery_hold.cancel(stranger, pending_id),
                       lambda: recovery_hold.confirm(stranger, pending_id, None)):
            with pytest.raises(ServiceError) as refused:
                answer()
            assert refused.value.status == 404
        assert db.session.get(PendingRecovery, pending_id).waiting


def test_the_owner_cancels_from_her_phone_without_a_fresh_login(app, ctx):
    person_id, pending_id = _pending(app)
    phone = signed_in(app.test_client(), person_id)
    with ctx():  # her phone signed in long ago: cancelling must not ask for the password again
        db.session.query(UserSession).update({"authenticated_at": utcnow() - timedelta(days=1)})
        db.session.commit()
    home = phone.get("/").get_data(as_text=True)
    assert "Quelqu’un a demandé un nouveau mot de passe pour votre compte" in home
    page = phone.get("/account/recovery-requests").get_data(as_text=True)
    assert "Non, annuler" in page and "Oui, c’est moi" in page
    # Confirming is sensitive: it asks for a fresh login first.
    confirm = phone.post(f"{PAGE}/{pending_id}/confirm", from_url=PAGE)
    assert confirm.status_code == 302 and "/reauth" in confirm.headers["Location"]
    # A form without its token is refused.
    assert phone.client.post(f"/account/recovery-requests/{pending_id}/cancel").status_code == 400
    done = phone.post(f"{PAGE}/{pending_id}/cancel", from_url=PAGE)
    assert done.status_code == 302
    after = phone.get(done.headers["Location"]).get_data(as_text=True)
    assert "C’est arrêté" in after and "Aucune demande n’est en attente" in after
    assert "Était-ce vous" not in phone.get("/").get_data(as_text=True)
    with ctx():
        assert db.session.get(PendingRecovery, pending_id).cancelled_by == "owner"


def test_the_owner_confirms_after_a_fresh_login_and_keeps_this_device(app, ctx):
    person_id, pending_id = _pending(app)
    phone, other = signed_in(app.test_client(), person_id), signed_in(app.test_client(), person_id)
    done = phone.post(f"{PAGE}/{pending_id}/confirm", from_url=PAGE)
    assert done.status_code == 302 and "/reauth" not in done.headers["Location"]  # just signed in: fresh
    assert "Anna Petit" in phone.get("/").get_data(as_text=True)
    assert "Anna Petit" not in other.get("/").get_data(as_text=True)
    with ctx():
        assert accounts.authenticate("anna@example.fr", NEW, COST) is not None
        actions = _actions(person_id)
        assert actions.index("recovery.assisted_confirmed") < actions.index("recovery.assisted_applied")


def test_the_counter_is_told_plainly_and_the_owner_gets_a_push_and_an_email(app, ctx, smtp):  # noqa: F811
    service = PushService()
    keys = push_service.generate_keys()
    app.config.update(VAPID_PRIVATE_KEY=keys["private_key"], VAPID_PUBLIC_KEY=keys["public_key"],
                      PUSH_ALLOWED_HOSTS="127.0.0.1", PUBLIC_ORIGIN="https://companion.example.fr")
    try:
        with app.test_request_context():
            structure = make_structure()
            mediator = make_mediator(structure, lead=True)
            person = make_person()
            person.locale = "en"
            for token in ("phone", "tablet"):
                dev = service.device(token)
                push_service.subscribe(person, service.endpoint(token), dev.p256dh,
                                       push_service.b64url(dev.auth), allowed=("127.0.0.1",))
            _row, code = assisted_recovery.issue(mediator, person.email, True, daily_limit=5)
            db.session.commit()
            person_id = person.id
        counter = Browser(app.test_client())  # nobody signed in at the counter's computer
        resp = counter.post("/onboarding/recover", {"email": person.email, "code": code, "password": NEW})
        page = counter.get(resp.headers["Location"]).get_data(as_text=True)
    finally:
        for key in ("VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY"):
            app.config.pop(key)
        app.config.update(PUSH_ALLOWED_HOSTS="", PUBLIC_ORIGIN="http://localhost:5000")
        service.close()
    assert "Votre nouveau mot de passe marchera à partir du" in page
    assert "envoyé un message aux téléphones et à l’adresse e-mail" in page
    assert sorted(r["token"] for r in service.received) == ["phone", "tablet"] and not service.errors
    payload = service.received[0]["payload"]
    assert payload["body"] == "A change to your account's security was requested. Open Companion to check."
    assert payload["url"] == "/account/recovery-requests" and "Guéret" not in str(payload)
    ((rcpt, msg),) = smtp.messages
    assert rcpt == ["anna@example.fr"] and msg["Content-Language"] == "en"
    assert "https://companion.example.fr/account/recovery-requests" in msg.get_content()
    with ctx():
        actions = _actions(person_id)
        assert actions[-2:] == ["recovery.assisted_started", "recovery.assisted_notified"]
        told = select(AccessEvent).where(AccessEvent.action == "recovery.assisted_notified")
        assert db.session.scalar(told).object_id == "2"


def test_the_lead_sees_every_step_and_no_account(app, ctx):
    person_id, pending_id = _pending(app)
    with ctx():
        lead_id = db.session.scalar(select(User.id).where(User.role == "mediator"))
        recovery_hold.cancel(db.session.get(User, person_id), pending_id)
        db.session.commit()
    page = signed_in(app.test_client(), lead_id).get("/mediators/recovery/log").get_data(as_text=True)
    assert "Demandé\u00a0:" in page and "Arrêté par la personne\u00a0:" in page
    assert "anna@example.fr" not in page and "Anna" not in page


def test_housekeeping_applies_due_requests_and_pushes_to_owners_not_told(app, ctx):
    from companion.commands.housekeeping import run_once

    person_id, _pid = _pending(app)
    with ctx():
        assert run_once()["recoveries_applied"] == 0
        db.session.query(PendingRecovery).update({"takes_effect_at": utcnow() - timedelta(minutes=1)})
        db.session.commit()
        assert run_once()["recoveries_applied"] == 1
        assert accounts.authenticate("anna@example.fr", NEW, COST) is not None
