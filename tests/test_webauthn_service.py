"""The WebAuthn service replays payloads recorded in Chromium with a fixed challenge, and refuses
every kind of bad answer with a 4xx and a log line."""

import base64
import copy
import json
from pathlib import Path

import pytest

from companion.extensions import db
from companion.models.credential import WebAuthnCredential
from companion.services import webauthn as wa

from .cast import make_person

REC = json.loads((Path(__file__).parent / "fixtures" / "webauthn" / "chromium.json").read_text())
META = REC["meta"]
RP = wa.RelyingParty(rp_id=META["rp_id"], origin=META["origin"])


def b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


@pytest.fixture
def fixed(monkeypatch):
    """Make the service hand out the challenge a recording was made with."""

    def use(name):
        monkeypatch.setattr(wa, "challenge_source", lambda: b64d(META["challenges"][name]))

    return use


def make_user(email="anna@example.fr"):
    user = make_person(email=email)
    db.session.commit()  # a refusal rolls back: the account must outlive it
    return user


def registered(fixed, user):
    fixed("registration")
    wa.registration_options(user, RP)
    return wa.register_key(user, RP, copy.deepcopy(REC["registration"]), "Mon téléphone")


def test_recorded_registration_is_stored(app, ctx, fixed):
    with app.test_request_context():
        user = make_user()
        fixed("registration")
        opts = wa.registration_options(user, RP)
        assert opts["challenge"] == META["challenges"]["registration"]
        assert opts["rp"]["id"] == "localhost"
        cred = wa.register_key(user, RP, copy.deepcopy(REC["registration"]), "  Mon   téléphone ")
        db.session.commit()
        assert cred.name == "Mon téléphone"
        assert cred.sign_count == 1
        assert cred.credential_id == b64d(REC["registration"]["rawId"])
        assert "internal" in cred.transport_list
        assert wa.has_key(user)
        # The next registration excludes the key already there.
        fixed("authentication_1")
        opts = wa.registration_options(user, RP)
        assert [c["id"] for c in opts["excludeCredentials"]] == [REC["registration"]["rawId"]]


def test_recorded_authentications_update_counter_and_last_use(app, ctx, fixed):
    with app.test_request_context():
        user = make_user()
        registered(fixed, user)
        fixed("authentication_1")
        opts = wa.authentication_options(RP, "second", user)
        assert [c["id"] for c in opts["allowCredentials"]] == [REC["registration"]["rawId"]]
        cred = wa.authenticate(RP, copy.deepcopy(REC["authentication_1"]), "second", user)
        assert cred.sign_count == 2 and cred.last_used_at is not None
        fixed("passkey")
        wa.authentication_options(RP, "passkey")
        cred = wa.authenticate(RP, copy.deepcopy(REC["passkey"]), "passkey")
        assert cred.user_id == user.id and cred.sign_count == 4


def test_a_challenge_is_used_once(app, ctx, fixed):
    with app.test_request_context():
        user = make_user()
        registered(fixed, user)
        fixed("authentication_1")
        wa.authentication_options(RP, "second", user)
        wa.authenticate(RP, copy.deepcopy(REC["authentication_1"]), "second", user)
        with pytest.raises(wa.KeyRefused) as err:
            wa.authenticate(RP, copy.deepcopy(REC["authentication_1"]), "second", user)
        assert err.value.reason == "challenge reused" and err.value.status == 400


def test_an_expired_challenge_is_refused(app, ctx, fixed, monkeypatch):
    with app.test_request_context():
        user = make_user()
        registered(fixed, user)
        fixed("authentication_1")
        monkeypatch.setattr(wa, "CHALLENGE_TTL", wa.CHALLENGE_TTL * -1)
        wa.authentication_options(RP, "second", user)
        with pytest.raises(wa.KeyRefused) as err:
            wa.authenticate(RP, copy.deepcopy(REC["authentication_1"]), "second", user)
        assert err.value.reason == "challenge expired"


def test_a_challenge_never_issued_or_for_another_purpose_is_refused(app, ctx, fixed):
    with app.test_request_context():
        user = make_user()
        registered(fixed, user)
        with pytest.raises(wa.KeyRefused):
            wa.authenticate(RP, copy.deepcopy(REC["authentication_1"]), "second", user)
        fixed("authentication_1")
        wa.authentication_options(RP, "reauth", user)
        with pytest.raises(wa.KeyRefused):
            wa.authenticate(RP, copy.deepcopy(REC["authentication_1"]), "second", user)


def test_a_counter_that_goes_back_is_refused_but_zero_keeps_working(app, ctx, fixed):
    with app.test_request_context():
        user = make_user()
        cred = registered(fixed, user)
        cred.sign_count = 5
        fixed("authentication_1")
        wa.authentication_options(RP, "second", user)
        with pytest.raises(wa.CounterWentBack) as err:
            wa.authenticate(RP, copy.deepcopy(REC["authentication_1"]), "second", user)
        assert err.value.status == 403
        db.session.rollback()


def test_an_authenticator_that_always_says_zero_keeps_working(app, ctx, fixed, monkeypatch):
    from webauthn.authentication import verify_authentication_response as mod

    real = mod.verify_authentication_response
    with app.test_request_context():
        user = make_user()
        cred = registered(fixed, user)
        cred.sign_count = 0

        def zero(**kw):
            out = real(**kw)
            return out.__class__(**{**out.__dict__, "new_sign_count": 0})

        monkeypatch.setattr(wa, "verify_authentication_response", zero)
        for name in ("authentication_1", "authentication_2"):
            fixed(name)
            wa.authentication_options(RP, "second", user)
            assert wa.authenticate(RP, copy.deepcopy(REC[name]), "second", user).sign_count == 0


def test_a_key_that_counted_cannot_drop_back_to_zero(app, ctx, fixed, monkeypatch):
    """A clone starting from 0 would otherwise reset the counter and switch detection off."""
    from webauthn.authentication import verify_authentication_response as mod

    real = mod.verify_authentication_response
    with app.test_request_context():
        user = make_user()
        cred = registered(fixed, user)
        cred.sign_count = 7

        def zero(**kw):
            out = real(**kw)
            return out.__class__(**{**out.__dict__, "new_sign_count": 0})

        monkeypatch.setattr(wa, "verify_authentication_response", zero)
        fixed("authentication_1")
        wa.authentication_options(RP, "second", user)
        with pytest.raises(wa.CounterWentBack):
            wa.authenticate(RP, copy.deepcopy(REC["authentication_1"]), "second", user)
        assert cred.sign_count == 7
        db.session.rollback()


def test_the_same_credential_id_cannot_be_stored_twice(app, ctx, fixed):
    with app.test_request_context():
        anna = make_user()
        registered(fixed, anna)
        db.session.commit()
        other = make_user("bob@example.fr")
        fixed("registration")
        wa.registration_options(other, RP)
        with pytest.raises(wa.KeyRefused) as err:
            wa.register_key(other, RP, copy.deepcopy(REC["registration"]), "clé")
        assert err.value.status == 409
        assert db.session.query(WebAuthnCredential).count() == 1


def _tamper_client(payload, **changes):
    data = json.loads(b64d(payload["response"]["clientDataJSON"]))
    data.update(changes)
    payload["response"]["clientDataJSON"] = b64e(json.dumps(data).encode())
    return payload


BAD_REGISTRATIONS = {
    "not an object": lambda p: "hello",
    "a list": lambda p: [p],
    "no response": lambda p: {k: v for k, v in p.items() if k != "response"},
    "rawId of wrong type": lambda p: {**p, "rawId": 12},
    "truncated attestation": lambda p: {
        **p,
        "response": {**p["response"], "attestationObject": p["response"]["attestationObject"][:40]},
    },
    "wrong type": lambda p: _tamper_client(p, type="webauthn.get"),
    "wrong origin": lambda p: _tamper_client(p, origin="http://evil.example"),
}


@pytest.mark.parametrize("case", sorted(BAD_REGISTRATIONS))
def test_bad_registrations_are_refused(app, ctx, fixed, case, caplog):
    with app.test_request_context():
        user = make_user()
        fixed("registration")
        wa.registration_options(user, RP)
        payload = BAD_REGISTRATIONS[case](copy.deepcopy(REC["registration"]))
        with pytest.raises(wa.KeyRefused) as err:
            wa.register_key(user, RP, payload, "clé")
        assert 400 <= err.value.status < 500
        db.session.rollback()
        assert not wa.has_key(user)


def test_wrong_rp_id_or_origin_is_refused(app, ctx, fixed):
    with app.test_request_context():
        user = make_user()
        fixed("registration")
        wa.registration_options(user, RP)
        with pytest.raises(wa.KeyRefused):
            wa.register_key(
                user,
                wa.RelyingParty("companion.example", META["origin"]),
                copy.deepcopy(REC["registration"]),
                "clé",
            )
        db.session.rollback()
        registered(fixed, user)
        for rp in (
            wa.RelyingParty("companion.example", META["origin"]),
            wa.RelyingParty("localhost", "http://localhost:9999"),
        ):
            fixed("authentication_1")
            wa.authentication_options(RP, "second", user)
            with pytest.raises(wa.KeyRefused):
                wa.authenticate(rp, copy.deepcopy(REC["authentication_1"]), "second", user)


def _flip_signature(p):
    sig = bytearray(b64d(p["response"]["signature"]))
    sig[-1] ^= 1
    p["response"]["signature"] = b64e(bytes(sig))
    return p


BAD_LOGINS = {
    "tampered signature": _flip_signature,
    "tampered authenticator data": lambda p: {
        **p,
        "response": {**p["response"], "authenticatorData": p["response"]["authenticatorData"][:-2] + "AA"},
    },
    "unknown credential": lambda p: {**p, "id": b64e(b"x" * 32), "rawId": b64e(b"x" * 32)},
    "wrong type": lambda p: _tamper_client(p, type="webauthn.create"),
    "malformed": lambda p: {"rawId": p["rawId"], "response": "nope"},
}


@pytest.mark.parametrize("case", sorted(BAD_LOGINS))
def test_bad_logins_are_refused(app, ctx, fixed, case):
    with app.test_request_context():
        user = make_user()
        registered(fixed, user)
        fixed("authentication_1")
        wa.authentication_options(RP, "second", user)
        payload = BAD_LOGINS[case](copy.deepcopy(REC["authentication_1"]))
        with pytest.raises(wa.KeyRefused) as err:
            wa.authenticate(RP, payload, "second", user)
        assert 400 <= err.value.status < 500


def test_a_credential_of_another_account_is_refused(app, ctx, fixed):
    with app.test_request_context():
        anna = make_user()
        registered(fixed, anna)
        bob = make_user("bob@example.fr")
        fixed("authentication_1")
        wa.authentication_options(RP, "second", bob)
        with pytest.raises(wa.KeyRefused) as err:
            wa.authenticate(RP, copy.deepcopy(REC["authentication_1"]), "second", bob)
        assert err.value.reason == "credential of another account"


def test_a_passkey_needs_user_verification(app, ctx, fixed):
    with app.test_request_context():
        user = make_user()
        registered(fixed, user)
        payload = copy.deepcopy(REC["passkey"])
        data = bytearray(b64d(payload["response"]["authenticatorData"]))
        data[32] &= ~0x04  # clear the UV flag: the signature no longer matches either way
        payload["response"]["authenticatorData"] = b64e(bytes(data))
        fixed("passkey")
        wa.authentication_options(RP, "passkey")
        with pytest.raises(wa.KeyRefused):
            wa.authenticate(RP, payload, "passkey")
