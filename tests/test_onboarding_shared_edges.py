"""A help session on a France Services computer, at its edges: the hour passes while the person (or
the next one) goes on using the computer; the person signs in with the account she already has instead
of creating one; the pages of the session itself. Nothing of hers may stay on the computer."""

import re
from datetime import timedelta

from sqlalchemy import select

from companion.extensions import db
from companion.models.account import UserSession
from companion.models.audit import AccessEvent
from companion.models.onboarding import AssistedSession
from companion.models.profile import Profile
from companion.models.types import utcnow
from companion.services import onboarding

from .cast import mediator_browser
from .conftest import Browser
from .test_onboarding_flow import consent_and_create, join, start_session

WIPE_ALL = '"cache", "storage"'


def _an_hour_later(ctx, sid: int, minutes: int = 61) -> None:
    """Move the session and the computer's login back by `minutes`, as a clock moved forward would, but
    for the login's last request: the computer was in use all along, so idleness does not end it."""
    with ctx():
        help_session = db.session.get(AssistedSession, sid)
        for attr in ("created_at", "expires_at", "claimed_at", "consent_at"):
            setattr(help_session, attr, getattr(help_session, attr) - timedelta(minutes=minutes))
        for login in db.session.scalars(select(UserSession).where(UserSession.shared_device.is_(True))):
            login.created_at -= timedelta(minutes=minutes)
            login.authenticated_at -= timedelta(minutes=minutes)
            if login.ends_at is not None:
                login.ends_at -= timedelta(minutes=minutes)
            login.last_seen_at = utcnow()
        db.session.commit()


def test_the_shared_computers_login_ends_with_the_help_sessions_hour_though_in_use(app, ctx):
    """The consent page promises the session ends by itself after an hour: the login made in it ends
    then too, on any page, not only when an onboarding page happens to be opened."""
    mediator, _ = mediator_browser(app)
    code, sid = start_session(mediator)
    shared = join(app, code, shared=True)
    consent_and_create(shared)
    with ctx():
        pid = db.session.scalar(select(Profile.id))
    assert "Anna Petit" in shared.get(f"/p/{pid}/documents").get_data(as_text=True)
    _an_hour_later(ctx, sid, minutes=59)
    assert shared.get(f"/p/{pid}/documents").status_code == 200  # still within the hour
    _an_hour_later(ctx, sid, minutes=2)
    resp = shared.get(f"/p/{pid}/documents")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert "Anna Petit" not in shared.get("/").get_data(as_text=True)


def test_housekeeping_closes_a_help_session_past_its_hour_and_the_log_says_so(app, ctx):
    mediator, _ = mediator_browser(app)
    code, sid = start_session(mediator)
    consent_and_create(join(app, code, shared=True))
    _an_hour_later(ctx, sid)
    assert f"/mediators/sessions/{sid}" not in mediator.get("/mediators/").get_data(as_text=True)
    with app.test_request_context():
        assert onboarding.close_expired() == 1
        db.session.commit()
        assert onboarding.close_expired() == 0  # once
        ended = db.session.get(AssistedSession, sid)
        assert ended.ended_by == "expiry" and ended.ended_at == ended.expires_at
        assert db.session.scalar(select(AccessEvent.object_id).where(
            AccessEvent.action == "onboarding.session_ended")) == "expiry"
        assert not db.session.scalars(select(UserSession).where(
            UserSession.shared_device.is_(True), UserSession.revoked_at.is_(None))).all()


def test_closing_a_past_help_session_leaves_a_later_shared_login_of_hers_alone(app, ctx):
    """Housekeeping closes a session an hour or more after its end: a shared-computer login she began
    after that end (at the library, say) is not the help session's, and is not ended with it."""
    mediator, _ = mediator_browser(app)
    code, sid = start_session(mediator)
    consent_and_create(join(app, code, shared=True))
    _an_hour_later(ctx, sid, minutes=90)
    library = Browser(app.test_client())
    assert library.login(shared_computer="y").status_code == 302
    with app.test_request_context():
        assert onboarding.close_expired() == 1
        db.session.commit()
        live = db.session.scalars(select(UserSession).where(UserSession.revoked_at.is_(None),
                                                            UserSession.shared_device.is_(True))).all()
        assert len(live) == 1 and live[0].ends_at is None  # the library's, not the help session's
    assert "Anna Petit" in library.get("/").get_data(as_text=True)


def _cookies(browser: Browser) -> set[str]:
    return {name for name in ("companion_signin", "companion_device") if browser.client.get_cookie(name)}


def test_signing_in_with_her_own_account_in_a_shared_help_session_leaves_nothing_of_hers(app, ctx):
    """She said at the start that the computer is shared: the login form knows it (the box is ticked),
    and even unticked, the login is a shared computer's: no cookie naming her account, no device id
    that would make this computer a known one (no "new device" e-mail, no login limit for the next)."""
    own_phone = Browser(app.test_client())
    own_phone.register()
    mediator, _ = mediator_browser(app)
    code, sid = start_session(mediator)
    shared = Browser(app.test_client())
    shared.post("/onboarding/join", {"code": code, "shared_computer": "y"}, from_url="/onboarding/join")
    shared.post("/onboarding/consent", {"answer": "agree"}, from_url="/onboarding/consent")
    form = shared.get("/login?next=/onboarding/account").get_data(as_text=True)
    assert '<input checked id="shared_computer" name="shared_computer" type="checkbox"' in form
    resp = shared.login(next="/onboarding/account")  # the box unticked by hand: still a shared computer
    assert resp.status_code == 302
    assert shared.get("/onboarding/account").headers["Location"].endswith("/onboarding/step/key")
    shared.get("/")
    assert _cookies(shared) == set()
    with ctx():
        login = db.session.scalar(select(UserSession).where(UserSession.revoked_at.is_(None),
                                                            UserSession.shared_device.is_(True)))
        assert login is not None and login.ends_at == db.session.get(AssistedSession, sid).expires_at
    end = shared.post("/onboarding/end", from_url="/onboarding/step/key")
    assert end.headers["Clear-Site-Data"] == WIPE_ALL


def test_the_end_of_a_shared_session_removes_her_cookies_by_name_too(app, ctx):
    """The cookies that name her account and make the computer a known device are deleted by name."""
    own = Browser(app.test_client())
    own.register()
    own.logout()
    own.login()  # an ordinary login on this computer first: it remembers her and the device
    own.get("/")
    assert _cookies(own) == {"companion_signin", "companion_device"}
    mediator, _ = mediator_browser(app)
    code, _sid = start_session(mediator)
    own.post("/onboarding/join", {"code": code, "shared_computer": "y"}, from_url="/onboarding/join")
    own.post("/onboarding/consent", {"answer": "agree"}, from_url="/onboarding/consent")
    own.get("/onboarding/account")
    end = own.post("/onboarding/end", from_url="/onboarding/step/key")
    assert end.status_code == 200 and end.headers["Clear-Site-Data"] == WIPE_ALL
    assert _cookies(own) == set()


def test_a_help_sessions_own_pages_are_never_stored_on_the_computer(app):
    mediator, _ = mediator_browser(app)
    code, _sid = start_session(mediator)
    shared = join(app, code, shared=True)
    for url in ("/onboarding/consent", "/onboarding/status.json", "agree", "/onboarding/account"):
        if url == "agree":
            shared.post("/onboarding/consent", {"answer": "agree"}, from_url="/onboarding/consent")
            continue
        resp = shared.get(url)
        assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store", url
    assert Browser(app.test_client()).get("/login").headers["Cache-Control"] == "no-cache"  # no session


def test_the_account_form_on_a_shared_computer_asks_the_browser_to_keep_nothing_typed(app):
    mediator, _ = mediator_browser(app)
    for shared, kept in ((True, 'autocomplete="off"'), (False, 'autocomplete="email"')):
        code, _sid = start_session(mediator)
        person = join(app, code, shared=shared)
        person.post("/onboarding/consent", {"answer": "agree"}, from_url="/onboarding/consent")
        form = person.get("/onboarding/account").get_data(as_text=True)
        email = re.search(r'<input[^>]*id="email"[^>]*>', form)[0]
        name = re.search(r'<input[^>]*id="display_name"[^>]*>', form)[0]
        assert kept in email and (kept.replace("email", "name") in name), (email, name)
