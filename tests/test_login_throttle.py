"""No lockout by strangers (issue 12): wrong passwords slow down the (account, address) pair that typed
them, with growing delays and no hard lock; a device that signed in before has its own budget; passkey
sign-in never looks at password failures."""

import copy
from datetime import timedelta

import pytest

from companion.models.types import utcnow
from companion.services import login_throttle
from companion.web import device_cookie

from .test_security_flows import REC, add_key, home_shows_anna, keys, post_json  # noqa: F401 (fixture)

OWNER_ADDR, ATTACKER_ADDR = "192.0.2.10", "198.51.100.66"
COST = (1, 1024)


def _try(web, password, addr, email="anna@example.fr"):
    return web.post("/login", {"email": email, "password": password},
                    environ_overrides={"REMOTE_ADDR": addr})


@pytest.fixture
def owner(web):
    web.register()
    web.logout()
    web.client.delete_cookie(device_cookie.NAME, path="/")
    return web


@pytest.fixture
def no_address_limit(app):
    """The per-address limit would answer first; these tests look at the pair throttle behind it."""
    before = app.config["LOGIN_RATE_LIMIT"]
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    yield
    app.config["LOGIN_RATE_LIMIT"] = before


def test_delays_grow_from_the_sixth_failure_and_are_capped():
    assert [login_throttle.delay_after(n, 5, 900) for n in range(1, 14)] == [
        0, 0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    assert login_throttle.delay_after(40, 5, 900) == 900


def test_a_pair_waits_between_tries_and_the_right_password_clears_it(app):
    with app.test_request_context():
        from companion.services import accounts

        accounts.register("anna@example.fr", "une phrase facile", "Anna Petit", cost=COST)
        now = utcnow()
        args = {"client": "addr:" + ATTACKER_ADDR, "secret": "s" * 32, "cost": COST, "free": 5, "cap": 900}
        for _ in range(5):
            assert login_throttle.attempt("anna@example.fr", "faux", now=now, **args).wait == 0
        assert login_throttle.attempt("anna@example.fr", "une phrase facile", now=now, **args).wait == 2
        later = now + timedelta(seconds=2)
        assert login_throttle.attempt("anna@example.fr", "faux", now=later, **args).wait == 0
        assert login_throttle.attempt("anna@example.fr", "faux", now=later, **args).wait == 4  # doubled
        # Another address, the same account: not slowed at all.
        other = {**args, "client": "addr:" + OWNER_ADDR}
        assert login_throttle.attempt("anna@example.fr", "une phrase facile", now=later, **other).user
        done = later + timedelta(seconds=4)
        assert login_throttle.attempt("anna@example.fr", "une phrase facile", now=done, **args).user
        assert login_throttle.attempt("anna@example.fr", "faux", now=done, **args).wait == 0  # cleared


def test_thirty_failures_from_elsewhere_do_not_stop_the_owner(owner):
    statuses = [_try(owner, "pas le bon", ATTACKER_ADDR).status_code for _ in range(30)]
    assert statuses[:5] == [401] * 5 and 401 not in statuses[10:]  # the attacker is stopped...
    statuses = [_try(owner, "pas le bon", f"203.0.113.{i}").status_code for i in range(30)]
    assert set(statuses) == {401}  # ...a spray from many addresses only ever gets 5 per address...
    assert _try(owner, "une phrase facile", OWNER_ADDR).status_code == 302  # ...and the owner gets in


def test_the_attackers_own_pair_waits_longer_each_time(owner, no_address_limit, monkeypatch):
    clock = [utcnow()]
    monkeypatch.setattr(login_throttle, "utcnow", lambda: clock[0])
    assert [_try(owner, "pas le bon", ATTACKER_ADDR).status_code for _ in range(5)] == [401] * 5
    for wait in (2, 4, 8, 16):
        refused = _try(owner, "une phrase facile", ATTACKER_ADDR)  # not even checked while waiting
        page = refused.get_data(as_text=True)
        assert refused.status_code == 429 and f"Attendez {wait} secondes, puis réessayez." in page
        assert "Trop de mots de passe faux" in page and "France Services" in page
        # The later of this wait and the per-address window (Flask-Limiter keeps the larger one).
        assert int(refused.headers["Retry-After"]) >= wait
        clock[0] += timedelta(seconds=wait)
        assert _try(owner, "pas le bon", ATTACKER_ADDR).status_code == 401


def test_the_device_cookie_lets_the_owner_in_when_her_address_is_shared_with_the_attacker(
        owner, app, no_address_limit):
    signed = _try(owner, "une phrase facile", OWNER_ADDR)
    assert signed.status_code == 302
    cookie = next(h for h in signed.headers.getlist("Set-Cookie") if h.startswith(device_cookie.NAME))
    # Path=/ so that in production it is a __Host- cookie like every other (web/cookies.py).
    assert "HttpOnly" in cookie and "Path=/;" in cookie and "anna" not in cookie.lower()
    owner.logout()
    # Someone else behind the same address (a family box, a mobile operator's shared address).
    from .conftest import Browser

    stranger = Browser(app.test_client())
    for _ in range(30):
        _try(stranger, "pas le bon", OWNER_ADDR)
    assert _try(stranger, "une phrase facile", OWNER_ADDR).status_code == 429  # that pair waits
    assert _try(owner, "une phrase facile", OWNER_ADDR).status_code == 302  # her phone does not


def test_a_forged_device_cookie_is_ignored(owner, app, no_address_limit):
    for _ in range(6):
        _try(owner, "pas le bon", ATTACKER_ADDR)
    owner.client.set_cookie(device_cookie.NAME, "W1siYWJjIiwiZGVmIl1d.forged", domain="localhost",
                            path="/")
    assert _try(owner, "une phrase facile", ATTACKER_ADDR).status_code == 429


def test_a_shared_computer_gets_no_device_cookie(owner):
    resp = owner.post("/login", {"email": "anna@example.fr", "password": "une phrase facile",
                                 "shared_computer": "y"})
    assert resp.status_code == 302
    assert not [h for h in resp.headers.getlist("Set-Cookie") if h.startswith(device_cookie.NAME)]


def test_passkey_sign_in_is_never_blocked_by_password_failures(web, keys, client):  # noqa: F811
    web.register()
    add_key(web, keys)
    web.logout()
    for _ in range(30):  # from this very address: the password route is slowed down and limited
        _try(web, "pas le bon", "127.0.0.1")
    assert _try(web, "une phrase facile", "127.0.0.1").status_code == 429
    keys("passkey")
    assert post_json(client, "/login/passkey/options", {}).status_code == 200
    resp = post_json(client, "/login/passkey/check", {"credential": copy.deepcopy(REC["passkey"])})
    assert resp.status_code == 200 and home_shows_anna(client)
