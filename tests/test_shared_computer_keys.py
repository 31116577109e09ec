"""A shared computer (France Services) never keeps a key: the next person at that desk must not be
able to sign in with one. Keys there are a phone reached by QR code or a USB key, a password is
required, and the session cookie ends with the browser."""

import copy
import re

from companion.extensions import db
from companion.models.account import User
from companion.services import webauthn as wa

from . import test_webauthn_service as recorded
from .cast import mediator_browser
from .conftest import Browser
from .test_onboarding_flow import join, start_session
from .test_webauthn_service import REC, RP, make_user

fixed = recorded.fixed  # the fixture that replays the recorded challenges


def _cross_platform(payload):
    """What a phone reached by QR code answers: the attachment and transports sit outside the signed
    data, so the recorded answer stands for a phone once they say so."""
    payload = copy.deepcopy(payload)
    payload["authenticatorAttachment"] = "cross-platform"
    payload["response"]["transports"] = ["hybrid"]
    return payload


def test_on_a_shared_computer_the_browser_is_asked_for_a_key_that_leaves_with_the_person(app, ctx, fixed):
    with app.test_request_context():
        user = make_user()
        fixed("registration")
        shared = wa.registration_options(user, RP, shared_device=True)
        own = wa.registration_options(user, RP)
    assert shared["authenticatorSelection"]["authenticatorAttachment"] == "cross-platform"
    assert shared["hints"] == ["hybrid", "security-key"]
    assert "authenticatorAttachment" not in own["authenticatorSelection"]


def test_a_key_inside_a_shared_computer_is_refused_and_nothing_is_stored(app, ctx, fixed):
    with app.test_request_context():
        user = make_user()
        fixed("registration")
        wa.registration_options(user, RP, shared_device=True)
        platform = copy.deepcopy(REC["registration"])
        assert platform["authenticatorAttachment"] == "platform"
        try:
            wa.register_key(user, RP, platform, "Ordinateur", shared_device=True)
        except wa.KeyRefused as exc:
            assert exc.status == 403
            assert "ordinateur partagé" in str(exc.message)
        else:
            raise AssertionError("a platform key was accepted on a shared computer")
        db.session.rollback()
        assert not wa.has_key(user)


def test_a_phone_reached_by_qr_code_is_accepted_on_a_shared_computer(app, ctx, fixed):
    with app.test_request_context():
        user = make_user()
        fixed("registration")
        wa.registration_options(user, RP, shared_device=True)
        cred = wa.register_key(user, RP, _cross_platform(REC["registration"]), "Mon téléphone",
                               shared_device=True)
        db.session.commit()
        assert cred.transport_list == ["hybrid"]


def test_a_transport_saying_internal_is_refused_even_if_the_attachment_is_missing(app, ctx, fixed):
    with app.test_request_context():
        user = make_user()
        fixed("registration")
        wa.registration_options(user, RP, shared_device=True)
        payload = copy.deepcopy(REC["registration"])
        payload.pop("authenticatorAttachment")
        try:
            wa.register_key(user, RP, payload, "x", shared_device=True)
        except wa.KeyRefused:
            pass
        else:
            raise AssertionError("an internal key was accepted on a shared computer")


def test_passkey_sign_in_ticked_shared_refuses_the_computers_own_key(app, ctx, fixed):
    with app.test_request_context():
        user = make_user()
        fixed("registration")
        wa.registration_options(user, RP)
        wa.register_key(user, RP, copy.deepcopy(REC["registration"]), "Ordinateur")
        db.session.commit()
        fixed("passkey")
        wa.authentication_options(RP, "passkey")
        passkey = copy.deepcopy(REC["passkey"])
        passkey["authenticatorAttachment"] = "platform"
        try:
            wa.authenticate(RP, passkey, "passkey", shared_device=True)
        except wa.KeyRefused as exc:
            assert exc.status == 403
        else:
            raise AssertionError("the shared computer's own key signed someone in")


def _shared_person(app):
    mediator, _ = mediator_browser(app)
    code, sid = start_session(mediator)
    person = join(app, code, shared=True)
    person.post("/onboarding/consent", {"answer": "agree"}, from_url="/onboarding/consent")
    return person, sid


def test_on_a_shared_computer_an_account_needs_a_password(app, ctx):
    person, _ = _shared_person(app)
    page = person.get("/onboarding/account").get_data(as_text=True)
    assert "laissez-le vide" not in page and "ordinateur partagé" in page
    data = {"display_name": "Anna Petit", "email": "anna@example.fr", "password": ""}
    resp = person.post("/onboarding/account", data, from_url="/onboarding/account")
    assert resp.status_code == 422
    assert "Sur un ordinateur partagé, choisissez un mot de passe" in resp.get_data(as_text=True)
    with ctx():
        assert db.session.query(User).filter_by(email="anna@example.fr").count() == 0


def test_the_key_step_on_a_shared_computer_says_the_phone_scans_a_qr_code(app, ctx):
    person, _ = _shared_person(app)
    data = {"display_name": "Anna Petit", "email": "anna@example.fr", "password": "une phrase facile"}
    resp = person.post("/onboarding/account", data, from_url="/onboarding/account")
    assert resp.headers["Location"].endswith("/onboarding/step/key")
    assert "QR code" in person.get("/onboarding/step/key").get_data(as_text=True)
    assert "QR code" in person.get("/account/security/keys/new").get_data(as_text=True)
    # The options the page asks for on this computer name a key that leaves with the person.
    token = re.search(r'name="csrf-token" content="([^"]+)"',
                      person.get("/account/security/keys/new").get_data(as_text=True)).group(1)
    opts = person.client.post("/account/security/keys/options", json={}, headers={"X-CSRFToken": token})
    assert opts.get_json()["authenticatorSelection"]["authenticatorAttachment"] == "cross-platform"


def _cookie_header(resp, name="companion_session") -> str:
    return next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith(name + "="))


def test_a_shared_computer_login_cookie_ends_with_the_browser(app, ctx):
    web = Browser(app.test_client())
    web.register()
    web.logout()
    shared = web.login(shared_computer="y")
    assert shared.status_code == 302
    assert "Expires=" not in _cookie_header(shared)
    web.logout()
    own = web.login()
    assert "Expires=" in _cookie_header(own)
