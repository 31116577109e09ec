"""Register, log in, log out, and the protections around them."""

from companion.extensions import db
from companion.models.account import User, UserSession
from companion.models.profile import Profile, ProfileOwner


def test_a_newcomer_registers_and_lands_on_their_space_with_their_own_profile(web, ctx):
    resp = web.register()
    assert resp.status_code == 302
    home = web.get("/").get_data(as_text=True)
    assert "Anna Petit" in home
    with ctx():
        user = db.session.query(User).filter_by(email="anna@example.fr").one()
        profile = db.session.query(Profile).filter_by(user_id=user.id).one()
        assert profile.first_name == "Anna" and profile.last_name == "Petit"
        assert db.session.query(ProfileOwner).filter_by(profile_id=profile.id, user_id=user.id).count() == 1
        assert user.password_hash.startswith("$argon2id$")


def test_registration_refuses_short_and_common_passwords_with_a_clear_message(web, ctx):
    resp = web.register(password="court")
    assert resp.status_code == 422
    assert "au moins 8 caractères" in resp.get_data(as_text=True)
    resp = web.register(password="motdepasse1")
    assert "trop courant" in resp.get_data(as_text=True)
    with ctx():
        assert db.session.query(User).count() == 0


def test_registering_twice_with_the_same_address_is_refused_and_creates_nothing(web, ctx):
    web.register()
    web.logout()
    resp = web.register(email="ANNA@example.fr")
    assert resp.status_code == 422
    assert "existe déjà" in resp.get_data(as_text=True)
    with ctx():
        assert db.session.query(User).count() == 1


def test_login_then_logout_ends_the_server_side_session(web, client, ctx):
    web.register()
    web.logout()
    resp = web.login()
    assert resp.status_code == 302
    assert client.get("/").get_data(as_text=True).count("Anna Petit") >= 1
    cookie = client.get_cookie("companion_session")
    out = web.logout()
    assert out.status_code == 200
    assert out.headers["Clear-Site-Data"] == '"cache"'
    # Replaying the old cookie after logout gives nothing: the server row is revoked.
    client.set_cookie("companion_session", cookie.value, domain=cookie.domain)
    assert "Anna Petit" not in client.get("/").get_data(as_text=True)
    with ctx():
        assert db.session.query(UserSession).filter(UserSession.revoked_at.is_(None)).count() == 0


def test_unknown_account_and_wrong_password_get_the_same_message(web, ctx):
    web.register()
    web.logout()
    wrong = web.login(password="pas le bon mot de passe")
    unknown = web.login(email="personne@example.fr")
    assert wrong.status_code == unknown.status_code == 401
    msg = "ne correspondent pas"
    assert msg in wrong.get_data(as_text=True) and msg in unknown.get_data(as_text=True)


def test_login_is_rate_limited_per_address_with_a_translated_429(web, ctx):
    # A different account each time: this is the limit on one client address.
    statuses = [web.login(email=f"x{i}@example.fr", password="nothing-here").status_code for i in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    last = web.login(email="y@example.fr", password="nothing-here")
    assert "Trop de tentatives" in last.get_data(as_text=True)


def test_failed_logins_on_one_account_never_lock_the_owner_out(app, web, ctx):
    # Was a hard per-account limit (5 failures from anywhere made the right password answer 429): a
    # stranger could lock the owner out (issue 12). Failures now slow down their own address only
    # (tests/test_login_throttle.py). The stranger's browser has never signed in to the account, so
    # its failures count per address; the owner's own browser counts apart (its device cookie).
    from .conftest import Browser

    web.register()
    web.logout()
    stranger = Browser(app.test_client())

    def attempt(email, addr, password="pas le bon"):
        form = {"email": email, "password": password}
        who = web if password == "une phrase facile" else stranger
        return who.post("/login", form, environ_overrides={"REMOTE_ADDR": addr}).status_code

    assert [attempt("anna@example.fr", f"10.0.0.{i}") for i in range(5)] == [401] * 5
    assert attempt("anna@example.fr", "10.0.0.99") == 401  # counted per address, not per account
    assert attempt("anna@example.fr", "10.0.0.98", "une phrase facile") == 302


def test_behind_a_proxy_the_forwarded_client_address_is_the_one_limited(tmp_path):
    from flask_migrate import upgrade

    from .conftest import Browser, make_app

    def statuses(hops):
        app = make_app("sqlite", str(tmp_path / f"h{hops}"), PROXY_HOPS=hops)
        with app.app_context():
            upgrade()
        web = Browser(app.test_client())
        return [web.post("/login", {"email": f"p{i}@example.fr", "password": "pas le bon"},
                         headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(12)]

    # Without the proxy fix, every person shares the proxy's address and the 11th is refused.
    assert 429 in statuses(0)
    assert 429 not in statuses(1)


def test_a_form_without_its_csrf_token_is_refused(client, ctx):
    resp = client.post("/login", data={"email": "a@example.fr", "password": "whatever-123"})
    assert resp.status_code == 400
    assert "formulaire a expiré" in resp.get_data(as_text=True)


def test_a_json_write_without_the_csrf_header_is_refused_with_json(client, ctx):
    resp = client.post("/language", json={"lang": "en"})
    assert resp.status_code == 400
    assert resp.is_json and resp.get_json()["error"] == 400


def test_session_cookie_is_httponly_and_samesite_lax(web, ctx):
    resp = web.register()
    cookie = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("companion_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_secure_in_production(monkeypatch):
    from companion.config import build_config

    monkeypatch.setenv("COMPANION_ENV", "production")
    monkeypatch.setenv("COMPANION_SECRET_KEY", "k3V9q-Zt8LwX2nRb7HcY4mPj6sDf1GhA0uEo5iTy")
    monkeypatch.setenv("COMPANION_MASTER_KEY", "00" * 32)
    monkeypatch.setenv("COMPANION_RATELIMIT_STORAGE", "redis://127.0.0.1:6379")
    monkeypatch.setenv("COMPANION_AUDIT_KEY", "11" * 32)
    monkeypatch.setenv("COMPANION_AUDIT_SIGNING_KEY", "22" * 32)
    monkeypatch.setenv("COMPANION_PROOF_SIGNING_KEY", "33" * 32)
    monkeypatch.setenv("COMPANION_VAPID_SUBJECT", "mailto:ops@companion.example")
    assert build_config()["SESSION_COOKIE_SECURE"] is True


def test_production_refuses_per_process_rate_limits_unless_chosen(monkeypatch):
    import pytest

    from companion.config import ConfigError, build_config

    monkeypatch.setenv("COMPANION_ENV", "production")
    monkeypatch.setenv("COMPANION_SECRET_KEY", "k3V9q-Zt8LwX2nRb7HcY4mPj6sDf1GhA0uEo5iTy")
    monkeypatch.setenv("COMPANION_MASTER_KEY", "00" * 32)
    monkeypatch.setenv("COMPANION_AUDIT_KEY", "11" * 32)
    monkeypatch.setenv("COMPANION_AUDIT_SIGNING_KEY", "22" * 32)
    monkeypatch.setenv("COMPANION_PROOF_SIGNING_KEY", "33" * 32)
    monkeypatch.delenv("COMPANION_RATELIMIT_STORAGE", raising=False)
    monkeypatch.setenv("COMPANION_VAPID_SUBJECT", "mailto:ops@companion.example")
    with pytest.raises(ConfigError, match="COMPANION_RATELIMIT_STORAGE"):
        build_config()
    monkeypatch.setenv("COMPANION_RATELIMIT_STORAGE", "memory://")
    assert build_config()["RATELIMIT_STORAGE_URI"] == "memory://"


def test_production_refuses_to_start_on_the_default_secret(monkeypatch):
    import pytest

    from companion.config import ConfigError, build_config

    monkeypatch.setenv("COMPANION_ENV", "production")
    monkeypatch.delenv("COMPANION_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        build_config()


def test_login_gives_a_new_session_token_each_time(web, client, ctx):
    web.register()
    first = client.get_cookie("companion_session").value
    web.logout()
    web.login()
    assert client.get_cookie("companion_session").value != first


def test_open_redirects_after_login_are_refused(web, ctx):
    web.register()
    web.logout()
    for target in ["https://evil.example", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
                   "http:/evil.example"]:
        resp = web.login(next=target)
        assert resp.status_code == 302
        assert resp.headers["Location"] in ("/", "http://localhost/"), target
        web.logout()
    resp = web.login(next="/healthz")
    assert resp.headers["Location"].endswith("/healthz")


def test_idle_sessions_expire_on_the_server(web, client, ctx):
    from datetime import timedelta

    web.register()
    with ctx():
        sess = db.session.query(UserSession).one()
        sess.last_seen_at = sess.last_seen_at - timedelta(minutes=31)
        db.session.commit()
    assert "Anna Petit" not in client.get("/").get_data(as_text=True)
    with ctx():
        assert db.session.query(UserSession).one().revoked_at is not None


def test_sensitive_actions_ask_for_the_password_again_after_a_few_minutes(web, client, ctx):
    from datetime import timedelta

    web.register()
    with ctx():
        sess = db.session.query(UserSession).one()
        stale = sess.authenticated_at - timedelta(minutes=10)
        sess.authenticated_at = stale
        db.session.commit()
    resp = web.post("/reauth", {"password": "une phrase facile", "next": "/healthz"}, from_url="/reauth")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/healthz")
    with ctx():
        assert db.session.query(UserSession).one().authenticated_at > stale
