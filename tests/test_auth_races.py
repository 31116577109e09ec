"""Signing in and getting back in, when two requests arrive at the same instant (SQLite and PostgreSQL):
a recovery code and a password-reset link work once, not once per browser; wrong passwords sent all at
once are throttled like wrong passwords sent one after another; the first two uploads of a development
install agree on one master key.

Each test starts the requests together (a barrier) and, where the race window is narrow, holds every
request at the step between "still valid" and "used" until the others got there too, so that the old
check-then-write would fail every time rather than now and then."""

import threading
import time

from sqlalchemy import func, select

from companion.extensions import db
from companion.models.account import User
from companion.models.audit import AccessEvent
from companion.models.login_throttle import LoginThrottle
from companion.services import accounts, crypto, login_throttle, password_reset, recovery

from .cast import COST, PASSWORD, give_key, make_person
from .conftest import Browser
from .races import at_once

ANNA = "anna@example.fr"


def _meeting(monkeypatch, owner, name: str, parties: int) -> None:
    """`owner.name` waits (at most 2 s) until `parties` calls are inside it before going on."""
    real, meet = getattr(owner, name), threading.Barrier(parties, timeout=2)

    def held(*args, **kwargs):
        try:
            meet.wait()
        except threading.BrokenBarrierError:
            pass  # the others never came: go on alone
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, held)


def _count(ctx, action: str) -> int:
    with ctx():
        return db.session.scalar(select(func.count()).select_from(AccessEvent)
                                 .where(AccessEvent.action == action)) or 0


def test_one_recovery_code_signs_in_one_browser_of_two(app, ctx, monkeypatch):
    with app.test_request_context():
        anna = make_person()
        give_key(anna)
        code, anna_id = recovery.generate(anna)[0], anna.id
        db.session.commit()
    browsers = []
    for _ in range(2):  # two browsers past the password, each asked for the key
        browser = Browser(app.test_client())
        resp = browser.login()
        assert resp.status_code == 302 and "/login/key" in resp.location
        browsers.append((browser, browser.token("/login/key")))
    # Both have found the code unused before either marks it used.
    _meeting(monkeypatch, recovery, "utcnow", 2)
    answers = at_once(*[lambda b=b, t=t: b.client.post("/login/recovery",
                                                         data={"code": code, "csrf_token": t})
                          for b, t in browsers])
    assert sorted(r.status_code for r in answers) == [302, 401], answers
    assert _count(ctx, "security.recovery_code_used") == 1
    with ctx():
        assert recovery.remaining(db.session.get(User, anna_id)) == 9


def test_a_reset_link_sent_twice_at_once_sets_one_password(app, ctx, monkeypatch):
    with app.test_request_context():
        anna = make_person()
        db.session.commit()
        link = password_reset.PATH + password_reset._signer().dumps(
            {"u": anna.id, "f": password_reset._fingerprint(anna)})
    browsers = [Browser(app.test_client()) for _ in range(2)]
    tokens = [b.token(link) for b in browsers]
    chosen = ["un premier mot de passe solide", "un second mot de passe solide"]
    # Both have checked the link (its fingerprint of the old password) before either sets a password.
    _meeting(monkeypatch, password_reset, "user_for", 2)
    answers = at_once(*[lambda b=b, t=t, p=p: b.client.post(link, data={"password": p, "confirm": p,
                                                                          "csrf_token": t})
                          for b, t, p in zip(browsers, tokens, chosen, strict=True)])
    assert sorted(r.status_code for r in answers) == [302, 410], answers
    loser = next(r for r in answers if r.status_code == 410)
    assert "Ce lien a déjà servi" in loser.get_data(as_text=True)
    assert 'name="password"' not in loser.get_data(as_text=True)  # the page of a used link, no form
    assert _count(ctx, "security.password_changed") == 1
    winner = chosen[[r.status_code for r in answers].index(302)]
    with ctx():
        assert accounts.authenticate(ANNA, winner, COST) is not None  # the one told "changed" works
        assert accounts.authenticate(ANNA, next(p for p in chosen if p != winner), COST) is None
        assert accounts.authenticate(ANNA, PASSWORD, COST) is None


def test_ten_wrong_passwords_at_once_are_throttled_like_ten_in_a_row(app, ctx, monkeypatch):
    with app.test_request_context():
        make_person()
        db.session.commit()
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "1000 per minute")  # the pair throttle answers
    real = accounts.authenticate

    def slow(*args, **kwargs):  # a production-cost hash: every try is still being checked when all arrive
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(accounts, "authenticate", slow)
    browsers = [Browser(app.test_client()) for _ in range(10)]
    tokens = [b.token("/login") for b in browsers]
    answers = at_once(*[lambda b=b, t=t, i=i: b.client.post(
        "/login", data={"email": ANNA, "password": f"mauvais essai {i}", "csrf_token": t})
        for i, (b, t) in enumerate(zip(browsers, tokens, strict=True))])
    statuses = sorted(getattr(r, "status_code", r) for r in answers)
    assert statuses == [401] * 5 + [429] * 5, statuses  # five checked, as one after another
    with ctx():
        assert db.session.scalars(select(LoginThrottle.failures)).all() == [5]
    # Her right password from her own address is not slowed down.
    monkeypatch.setattr(accounts, "authenticate", real)
    owner = Browser(app.test_client()).post("/login", {"email": ANNA, "password": PASSWORD},
                                            environ_overrides={"REMOTE_ADDR": "192.0.2.10"})
    assert owner.status_code == 302


def test_a_right_password_clears_the_count_it_was_counted_in(app):
    with app.test_request_context():
        make_person()
        args = {"client": "addr:198.51.100.66", "secret": "s" * 32, "cost": COST, "free": 5, "cap": 900}
        for _ in range(4):
            assert login_throttle.attempt(ANNA, "faux", **args).wait == 0
        assert login_throttle.attempt(ANNA, PASSWORD, **args).user  # the fifth try, right: no wait after
        assert db.session.scalar(select(func.count()).select_from(LoginThrottle)) == 0
        for _ in range(5):
            assert login_throttle.attempt(ANNA, "faux", **args).wait == 0  # a full budget again
        assert login_throttle.attempt(ANNA, PASSWORD, **args).wait == 2


def test_the_first_two_uploads_of_a_development_install_agree_on_one_key(tmp_path, monkeypatch):
    monkeypatch.delenv("COMPANION_MASTER_KEY", raising=False)
    real = crypto.AESGCM

    class Held:  # both requests generate a key before either has written one
        meet = threading.Barrier(2, timeout=2)

        @classmethod
        def generate_key(cls, bit_length: int) -> bytes:
            try:
                cls.meet.wait()
            except threading.BrokenBarrierError:
                pass
            return real.generate_key(bit_length)

    monkeypatch.setattr(crypto, "AESGCM", Held)
    for attempt in range(5):
        Held.meet = threading.Barrier(2, timeout=2)
        instance = tmp_path / str(attempt)
        instance.mkdir()
        keys = at_once(*[lambda d=str(instance): crypto.load_master_key(d, "development")] * 2)
        assert all(isinstance(k, bytes) for k in keys), keys
        assert keys[0] == keys[1] == crypto.decode_master_key((instance / "master.key").read_text())
        assert [p.name for p in instance.iterdir()] == ["master.key"]  # no half-written file left behind
        assert (instance / "master.key").stat().st_mode & 0o777 == 0o600
    monkeypatch.setattr(crypto, "AESGCM", real)
    assert crypto.load_master_key(str(instance), "development") == keys[0]  # kept, not generated again
