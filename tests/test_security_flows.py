"""Two-step login, passkey sign-in, recovery codes, key management and the key policy, through the
app's real endpoints with payloads recorded in Chromium (fixed challenges)."""

import base64
import copy
import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from companion.extensions import db
from companion.models.account import User, UserSession
from companion.models.audit import AccessEvent
from companion.models.credential import WebAuthnCredential
from companion.models.types import utcnow
from companion.services import recovery
from companion.services import webauthn as wa
from tests.cast import give_key
from tests.conftest import Browser, csrf_from

REC = json.loads((Path(__file__).parent / "fixtures" / "webauthn" / "chromium.json").read_text())
META = REC["meta"]


def b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


@pytest.fixture
def keys(app, monkeypatch):
    """Make the app expect the recording's origin and hand out its fixed challenges."""
    monkeypatch.setitem(app.config, "WEBAUTHN_ORIGIN", META["origin"])
    monkeypatch.setitem(app.config, "WEBAUTHN_RP_ID", META["rp_id"])

    def fixed(name):
        monkeypatch.setattr(wa, "challenge_source", lambda: b64d(META["challenges"][name]))

    return fixed


def post_json(client, url, body, *, page="/login"):
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(url, json=body, headers={"X-CSRFToken": token, "Accept": "application/json"})


def add_key(web, keys, name="Mon téléphone"):
    keys("registration")
    page = "/account/security/keys/new"
    assert web.get(page).status_code == 200
    opts = post_json(web.client, "/account/security/keys/options", {}, page=page)
    assert opts.status_code == 200 and opts.json["challenge"] == META["challenges"]["registration"]
    return post_json(
        web.client,
        "/account/security/keys",
        {"credential": copy.deepcopy(REC["registration"]), "name": name, "next": "/"},
        page=page,
    )


def home_shows_anna(client) -> bool:
    """Anna is signed in on this client: the home page greets her by name."""
    return "Anna Petit" in client.get("/").get_data(as_text=True)


def test_add_a_key_then_log_in_with_password_and_key(web, keys, ctx):
    web.register()
    resp = add_key(web, keys)
    assert resp.status_code == 200
    assert resp.json["redirect"].startswith("/account/security/recovery")  # first key: the sheet comes next
    page = web.get("/account/security/").get_data(as_text=True)
    assert "Mon téléphone" in page
    web.logout()

    resp = web.login()
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login/key")
    assert not home_shows_anna(web.client)  # the password alone opens nothing
    keys("authentication_1")
    assert post_json(web.client, "/login/key/options", {}).status_code == 200
    resp = post_json(web.client, "/login/key/check", {"credential": copy.deepcopy(REC["authentication_1"])})
    assert resp.status_code == 200 and resp.json["redirect"] == "/"
    assert home_shows_anna(web.client)
    with ctx():
        cred = db.session.scalar(select(WebAuthnCredential))
        assert cred.sign_count == 2 and cred.last_used_at is not None
        assert (
            db.session.scalar(select(UserSession).where(UserSession.revoked_at.is_(None))).method
            == "password+key"
        )
        actions = db.session.scalars(select(AccessEvent.action)).all()
        assert "security.key_added" in actions


def test_passkey_alone_signs_in(web, keys, client):
    web.register()
    add_key(web, keys)
    web.logout()
    assert "data-passkey" in client.get("/login").get_data(as_text=True)
    keys("passkey")
    opts = post_json(client, "/login/passkey/options", {})
    assert opts.json["userVerification"] == "required" and opts.json.get("allowCredentials", []) == []
    resp = post_json(
        client, "/login/passkey/check", {"credential": copy.deepcopy(REC["passkey"]), "next": "//evil"}
    )
    assert resp.status_code == 200 and resp.json["redirect"] == "/"
    assert home_shows_anna(client)


def test_recovery_code_replaces_the_key_once_then_asks_for_a_new_key(web, keys, ctx):
    web.register()
    add_key(web, keys)
    sheet = web.post("/account/security/recovery", {"next": "/"}, from_url="/account/security/recovery")
    codes = re.findall(r"<code>([A-Z0-9-]{11})</code>", sheet.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert sheet.headers["Cache-Control"] == "no-store"
    web.logout()

    web.login()
    wrong = web.post("/login/recovery", {"code": "AAAAA-BBBBB"}, from_url="/login/key")
    assert wrong.status_code == 401 and not home_shows_anna(web.client)
    web.login()
    resp = web.post("/login/recovery", {"code": codes[0].lower().replace("-", " ")}, from_url="/login/key")
    assert resp.status_code == 302 and "/account/security/keys/new" in resp.headers["Location"]
    assert home_shows_anna(web.client)
    web.logout()
    web.login()
    again = web.post("/login/recovery", {"code": codes[0]}, from_url="/login/key")
    assert again.status_code == 401 and not home_shows_anna(web.client)
    with ctx():
        assert recovery.remaining(db.session.scalar(select(User))) == 9


def test_a_new_sheet_invalidates_the_old_codes(web, keys):
    web.register()
    add_key(web, keys)
    first = re.findall(
        r"<code>([A-Z0-9-]{11})</code>",
        web.post("/account/security/recovery", {}, from_url="/account/security/recovery").get_data(
            as_text=True
        ),
    )
    web.post("/account/security/recovery", {}, from_url="/account/security/recovery")
    web.logout()
    web.login()
    assert web.post("/login/recovery", {"code": first[0]}, from_url="/login/key").status_code == 401


def test_second_step_refuses_bad_input_with_json_4xx_and_no_login(web, keys, caplog):
    caplog.set_level(logging.INFO, logger="companion.webauthn")
    web.register()
    add_key(web, keys)
    web.logout()
    web.login()
    keys("authentication_1")
    post_json(web.client, "/login/key/options", {})
    token = csrf_from(web.get("/login/key").get_data(as_text=True))
    raw = web.client.post(
        "/login/key/check",
        data="{not json",
        headers={"X-CSRFToken": token, "Content-Type": "application/json", "Accept": "application/json"},
    )
    assert raw.status_code == 400 and raw.json["message"]
    assert "webauthn refused" in caplog.text
    no_csrf = web.client.post("/login/key/check", json={"credential": REC["authentication_1"]})
    assert no_csrf.status_code == 400
    # The malformed try spent the challenge: the real answer now fails too.
    late = post_json(web.client, "/login/key/check", {"credential": copy.deepcopy(REC["authentication_1"])})
    assert late.status_code == 400 and not home_shows_anna(web.client)


def test_a_challenge_cannot_be_reused(web, keys, client):
    web.register()
    add_key(web, keys)
    web.logout()
    web.login()
    keys("authentication_1")
    post_json(client, "/login/key/options", {})
    assert post_json(client, "/login/key/check", {"credential": REC["authentication_1"]}).status_code == 200
    web.logout()
    web.login()
    again = post_json(client, "/login/key/check", {"credential": REC["authentication_1"]})
    assert again.status_code == 400 and not home_shows_anna(client)


def test_a_key_whose_counter_goes_back_is_refused_and_reported(web, keys, ctx, client):
    web.register()
    add_key(web, keys)
    with ctx():
        db.session.scalar(select(WebAuthnCredential)).sign_count = 50
        db.session.commit()
    web.logout()
    web.login()
    keys("authentication_1")
    post_json(client, "/login/key/options", {})
    resp = post_json(client, "/login/key/check", {"credential": REC["authentication_1"]})
    assert resp.status_code == 403 and not home_shows_anna(client)
    with ctx():
        event = db.session.scalar(
            select(AccessEvent).where(AccessEvent.action == "security.key_counter_refused")
        )
        assert event is not None and event.account_id == db.session.scalar(select(User.id))


def test_another_account_cannot_use_the_first_accounts_key(web, keys, client, ctx):
    web.register()
    add_key(web, keys)
    web.logout()
    web.register(email="bob@example.fr", name="Bob Durand")
    with ctx():  # Bob has a key of his own, so his login has a second step
        give_key(db.session.scalar(select(User).where(User.email == "bob@example.fr")))
        db.session.commit()
    web.logout()
    assert web.login(email="bob@example.fr").headers["Location"].endswith("/login/key")
    keys("authentication_1")
    opts = post_json(client, "/login/key/options", {})
    assert [c["id"] for c in opts.json["allowCredentials"]] != [REC["registration"]["rawId"]]
    resp = post_json(client, "/login/key/check", {"credential": REC["authentication_1"]})
    assert resp.status_code == 400 and resp.json["message"]
    assert "Bob Durand" not in client.get("/").get_data(as_text=True)


def test_adding_and_removing_a_key_need_a_fresh_login(web, keys, ctx, client, monkeypatch, app):
    web.register()
    add_key(web, keys)
    monkeypatch.setitem(app.config, "FRESH_LOGIN_MINUTES", -1)
    page = web.get("/account/security/keys/new")
    assert page.status_code == 302 and "/reauth" in page.headers["Location"]
    stale = post_json(client, "/account/security/keys/options", {}, page="/account/security/")
    assert stale.status_code == 401 and "/reauth" in stale.json["redirect"]
    with ctx():
        key_id = db.session.scalar(select(WebAuthnCredential.id))
    resp = web.post(f"/account/security/keys/{key_id}/remove", {}, from_url="/account/security/")
    assert "/reauth" in resp.headers["Location"]
    with ctx():
        assert db.session.scalar(select(WebAuthnCredential.id)) == key_id
    # The reauth page offers the key; using it makes the login fresh again.
    assert 'data-webauthn="reauth"' in web.get("/reauth").get_data(as_text=True)
    monkeypatch.setitem(app.config, "FRESH_LOGIN_MINUTES", 5)
    keys("authentication_1")
    post_json(client, "/reauth/key/options", {}, page="/reauth")
    ok = post_json(
        client,
        "/reauth/key/check",
        {"credential": REC["authentication_1"], "next": "/account/security/"},
        page="/reauth",
    )
    assert ok.status_code == 200 and ok.json["redirect"] == "/account/security/"
    resp = web.post(f"/account/security/keys/{key_id}/remove", {}, from_url="/account/security/")
    assert resp.headers["Location"].endswith("/account/security/")
    with ctx():
        assert db.session.scalar(select(WebAuthnCredential.id)) is None
        assert "security.key_removed" in db.session.scalars(select(AccessEvent.action)).all()


def test_with_a_key_the_password_alone_does_not_confirm_a_sensitive_action(web, keys, ctx, client, app,
                                                                         monkeypatch):
    """A stolen session plus a known password must not be enough to replace the second factor."""
    web.register()
    add_key(web, keys)
    monkeypatch.setitem(app.config, "FRESH_LOGIN_MINUTES", -1)
    page = web.get("/reauth").get_data(as_text=True)
    assert 'data-webauthn="reauth"' in page and 'type="password"' not in page
    form = {"password": "une phrase facile", "next": "/account/security/"}
    resp = web.post("/reauth", form, from_url="/reauth")
    assert resp.status_code == 403
    with ctx():
        key_id = db.session.scalar(select(WebAuthnCredential.id))
    resp = web.post(f"/account/security/keys/{key_id}/remove", {}, from_url="/account/security/")
    assert "/reauth" in resp.headers["Location"]
    with ctx():
        assert db.session.scalar(select(WebAuthnCredential.id)) == key_id


def test_rename_a_key(web, keys, ctx):
    web.register()
    add_key(web, keys)
    with ctx():
        key_id = db.session.scalar(select(WebAuthnCredential.id))
    web.post(f"/account/security/keys/{key_id}/rename", {"name": "Clé bleue"}, from_url="/account/security/")
    assert "Clé bleue" in web.get("/account/security/").get_data(as_text=True)
    # Another account's key id is a 404, never a rename.
    other = web.post("/account/security/keys/999/rename", {"name": "x"}, from_url="/account/security/")
    assert other.status_code == 404


def test_devices_list_and_sign_out_everywhere_else(app, web, ctx):
    web.register()
    other = app.test_client()
    Browser(other).login()
    assert home_shows_anna(other)
    page = web.get("/account/security/").get_data(as_text=True)
    assert page.count("Sign out this device") + page.count("Déconnecter cet appareil") == 1
    web.post("/account/security/devices/others/sign-out", {}, from_url="/account/security/")
    assert not home_shows_anna(other) and home_shows_anna(web.client)


def test_change_password_offers_to_sign_out_elsewhere(web, ctx):
    web.register()
    resp = web.post(
        "/account/security/password", {"password": "une autre phrase"}, from_url="/account/security/password"
    )
    assert resp.status_code == 302
    web.logout()
    assert web.login(password="une autre phrase").status_code == 302
    assert home_shows_anna(web.client)


def test_mediator_without_key_reaches_only_enrolment(web, keys, ctx):
    web.register(email="karim@example.fr", name="Anna Petit")
    with ctx():
        db.session.scalar(select(User)).role = "mediator"
        db.session.commit()
    home = web.get("/")
    assert home.status_code == 302 and "/account/security/keys/new" in home.headers["Location"]
    assert web.get("/account/security/").status_code == 200
    assert web.get("/healthz").status_code == 200
    add_key(web, keys)
    assert web.get("/").location.endswith("/mediators/")  # a mediator's home is their tools (issue 14)


def test_banner_invites_people_without_a_key(web, keys):
    web.register()
    assert 'class="banner key-banner"' in web.get("/").get_data(as_text=True)
    add_key(web, keys)
    assert 'class="banner key-banner"' not in web.get("/").get_data(as_text=True)  # the CSS names it too


def test_refusals_are_translated_json(web, keys, client):
    web.register()
    add_key(web, keys)
    web.logout()
    client.set_cookie("lang", "fr", domain="localhost")
    web.login()
    post_json(client, "/login/key/options", {})
    resp = post_json(client, "/login/key/check", {"credential": {"rawId": 3}})
    assert resp.status_code == 400 and resp.json["message"] == "Cette demande a expiré. Merci de réessayer."
    client.set_cookie("lang", "en", domain="localhost")
    resp = post_json(client, "/login/key/check", {"credential": REC["authentication_1"]})
    assert resp.status_code == 400 and resp.json["message"] == "This request has expired. Please try again."


def test_the_key_step_without_a_password_first_goes_back_to_login(client):
    resp = client.get("/login/key")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    resp = post_json(client, "/login/key/options", {})
    assert resp.status_code == 401 and resp.json["message"]


@pytest.mark.parametrize(
    ("public", "host", "expected"),
    [
        ("http://localhost:5000", "localhost:43121", ("localhost", "http://localhost:43121")),
        (
            "https://companion.example",
            "companion.example",
            ("companion.example", "https://companion.example"),
        ),
        ("https://companion.example", "evil.example", ("companion.example", "https://companion.example")),
    ],
)
def test_relying_party_comes_from_config_and_request_host(app, monkeypatch, public, host, expected):
    from companion.web.webauthn_io import relying_party

    monkeypatch.setitem(app.config, "PUBLIC_ORIGIN", public)
    with app.test_request_context("/", base_url=f"http://{host}"):
        rp = relying_party()
    assert (rp.rp_id, rp.origin) == expected


def test_mediator_without_key_gets_403_json_on_writes(web, ctx, client):
    web.register(email="karim@example.fr")
    with ctx():
        db.session.scalar(select(User)).role = "admin"
        db.session.commit()
    token = csrf_from(client.get("/account/security/").get_data(as_text=True))
    resp = client.post("/language", data={"lang": "en", "csrf_token": token})
    assert resp.status_code == 302  # the language switch stays open
    resp = client.post("/profiles/new", data={"csrf_token": token}, headers={"Accept": "application/json"})
    assert resp.status_code == 403 and resp.json["message"]


def test_a_background_fetch_without_key_is_refused_plainly_not_redirected(web, ctx, client):
    """A script's fetch must not be sent to the key page: that would queue a message and rewrite the
    session under the page that is open (seen as a 'form expired' right after login)."""
    web.register(email="karim@example.fr")
    with ctx():
        db.session.scalar(select(User)).role = "mediator"
        db.session.commit()
    resp = client.get("/", headers={"Sec-Fetch-Mode": "cors"})
    assert resp.status_code == 403 and resp.json["error"] == 403
    page = client.get("/", headers={"Sec-Fetch-Mode": "navigate"})
    assert page.status_code == 302 and "/account/security/keys/new" in page.headers["Location"]


def test_the_devices_list_shows_those_signed_in_now_and_a_lost_one_is_still_told_to_forget(app, web, ctx):
    """A phone not used since yesterday is signed out (30 minutes without a visit): the list does not
    show it as signed in. "Sign out everywhere else" still marks it, so if it was lost it forgets
    everything the day it connects again."""
    web.register()
    phone, tablet = app.test_client(), app.test_client()
    Browser(phone).login()
    Browser(tablet).login()
    page = web.get("/account/security/").get_data(as_text=True)
    assert page.count("Sign out this device") + page.count("Déconnecter cet appareil") == 2
    with ctx():  # the phone's last visit was yesterday; the tablet's, 5 minutes ago
        rows = db.session.scalars(select(UserSession).order_by(UserSession.id)).all()
        yesterday, lately = utcnow() - timedelta(days=1), utcnow() - timedelta(minutes=5)
        rows[1].last_seen_at, rows[2].last_seen_at = yesterday, lately
        phone_id = rows[1].id
        db.session.commit()
    page = web.get("/account/security/").get_data(as_text=True)
    assert page.count("Sign out this device") + page.count("Déconnecter cet appareil") == 1
    web.post("/account/security/devices/others/sign-out", {}, from_url="/account/security/")
    with ctx():
        lost = db.session.get(UserSession, phone_id)
        assert lost.revoked_at is not None and lost.wipe_all
    assert phone.get("/").headers.get("X-Signed-Out") == "1"
