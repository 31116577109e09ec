"""In production every cookie is a `__Host-` cookie: Secure, Path=/, no Domain. A browser then refuses
one planted by a sibling sub-domain or a plain-HTTP page, so a session or device id cannot be fixed."""

import re
import tempfile

import pytest
from flask_migrate import upgrade

from companion.extensions import db
from companion.web import cookies

from .conftest import Browser, make_app


@pytest.fixture
def production_client(monkeypatch):
    monkeypatch.setenv("COMPANION_MASTER_KEY", "00" * 32)
    monkeypatch.setenv("COMPANION_AUDIT_KEY", "11" * 32)
    monkeypatch.setenv("COMPANION_AUDIT_SIGNING_KEY", "22" * 32)
    monkeypatch.setenv("COMPANION_PROOF_SIGNING_KEY", "33" * 32)
    monkeypatch.setenv("COMPANION_VAPID_SUBJECT", "mailto:ops@companion.example")
    monkeypatch.setenv("COMPANION_RATELIMIT_STORAGE", "memory://")
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app("sqlite", tmp, ENV_NAME="production",
                       SECRET_KEY="k3V9q-Zt8LwX2nRb7HcY4mPj6sDf1GhA0uEo")
        with app.app_context():
            upgrade()
        client = app.test_client()
        client.environ_base["wsgi.url_scheme"] = "https"  # Secure cookies travel over HTTPS only
        yield client
        with app.app_context():
            db.engine.dispose()


def _set_cookies(resp) -> list[str]:
    return resp.headers.getlist("Set-Cookie")


def _assert_host_cookie(header: str) -> None:
    assert header.startswith("__Host-"), header
    flags = [part.strip().lower() for part in header.split(";")]
    assert "secure" in flags and "path=/" in flags and "httponly" in flags, header
    assert not any(f.startswith("domain=") for f in flags), header


def test_every_cookie_set_in_production_is_a_host_cookie(production_client):
    web = Browser(production_client)
    seen = _set_cookies(web.register())
    seen += _set_cookies(web.post("/language", {"lang": "en", "next": "/"}, from_url="/"))
    home = production_client.get("/").get_data(as_text=True)
    profile = re.search(r'href="/p/(\d+)/', home).group(1)
    seen += _set_cookies(production_client.get(f"/p/{profile}/documents"))
    names = {h.split("=", 1)[0] for h in seen}
    assert {"__Host-companion_session", "__Host-lang", "__Host-companion_device"} <= names
    for header in seen:
        _assert_host_cookie(header)


def test_outside_production_the_plain_names_stay(app):
    """Over http://localhost a `__Host-` cookie would be refused by the browser."""
    with app.test_request_context():
        assert cookies.name("companion_onb") == "companion_onb"
    assert app.config["SESSION_COOKIE_NAME"] == "companion_session"
    assert cookies.production_name("companion_onb", "production") == "__Host-companion_onb"
