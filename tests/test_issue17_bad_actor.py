"""Issue 17's features played by a bad actor: a stolen or stale session (a parent's phone left
unlocked, a shared computer) must not take a child's profile with a teen code nor read a whole archive
by asking for it from its second byte; the holes found in review, each shut."""

import re
from datetime import date, timedelta

from sqlalchemy import select

from companion.commands import family as family_job
from companion.extensions import db
from companion.models.account import User, UserSession
from companion.models.closure import Closure
from companion.models.delegation import Delegation
from companion.models.family import TeenCode
from companion.models.profile import Profile
from companion.models.types import utcnow
from companion.services import closure, delegations

from .cast import mediator_browser, registered, signed_in
from .closure_support import open_share
from .documents_support import _empty_document_store  # noqa: F401  (each test starts with no blob)
from .export_support import _export_queue, build_export, fill_profile  # noqa: F401
from .test_dependents import CODE_RE
from .test_dependents import _new as _new_dependent
from .test_family_stages import _child, _joins, at
from .test_onboarding_flow import join, start_session
from .test_shares import _share

CLAIRE = "claire@example.fr"


def _age_sessions(app, minutes: int) -> None:
    with app.app_context():
        for sess in db.session.scalars(select(UserSession)):
            sess.authenticated_at = utcnow() - timedelta(minutes=minutes)
        db.session.commit()


def test_a_stale_session_cannot_make_the_teen_code_that_hands_the_profile_over(app, ctx):
    claire, lea = _child(ctx)
    family_job.job(app, at(date(2026, 3, 10)))  # the teen notice: a code may be made
    parent = signed_in(app.test_client(), claire)
    page = f"/p/{lea}/growing-up"
    parent.get(page)
    _age_sessions(app, 60)
    resp = parent.post(f"{page}/code", {}, from_url=page)
    assert resp.status_code == 302 and "/reauth" in resp.headers["Location"]
    with ctx():
        assert db.session.scalar(select(TeenCode)) is None
    assert not re.search(r'class="code">[A-Z0-9-]+<', parent.get(page).get_data(as_text=True))


def test_a_stale_teen_session_cannot_give_the_parents_more_but_can_give_them_less(app, ctx):
    """A parent holding the teen's unlocked phone (the session open, the login not recent) must not
    widen what the parents see: that is a grant of health data. Seeing less needs no password."""
    claire, lea = _child(ctx)
    teen_id = _joins(app, ctx, claire, lea)
    family_job.job(app, at(date(2026, 6, 10)))  # 15: the parents see the agenda only
    teen = signed_in(app.test_client(), teen_id)
    page = f"/p/{lea}/growing-up"
    teen.get(page)
    _age_sessions(app, 60)
    for wider in ({"scopes": ["agenda", "documents:read"]}, {"scopes": ["agenda"], "keep_parents": "y"}):
        resp = teen.post(f"{page}/parents", wider, from_url=page)
        assert resp.status_code == 302 and "/reauth" in resp.headers["Location"], wider
        with ctx():
            profile = db.session.get(Profile, lea)
            assert (profile.parent_scopes, profile.keep_parents) == ("agenda", False), wider
    assert signed_in(app.test_client(), claire).get(f"/p/{lea}/documents").status_code == 404
    resp = teen.post(f"{page}/parents", {}, from_url=page)  # nothing at all: less, at once
    assert resp.status_code == 302 and "/reauth" not in resp.headers["Location"]
    with ctx():
        assert db.session.get(Profile, lea).parent_scopes == ""


def test_a_stale_session_cannot_read_the_archive_by_skipping_its_first_byte(app, web, claire):
    fill_profile(app, claire, CLAIRE)
    link = build_export(web, app, claire)
    _age_sessions(app, 60)
    # A ZIP always begins with "P": from the second byte on is the whole archive, less one known byte.
    for asked in ("bytes=1-", "bytes=100-"):
        resp = web.get(link, headers={"Range": asked})
        assert resp.status_code == 302 and "/reauth" in resp.headers["Location"], asked
        assert b"PK" not in resp.data


def _closes_after_cooling_off(app) -> None:
    with app.test_request_context():
        closure.run_due(utcnow() + closure.cooling_off() + timedelta(days=1))


def test_a_closure_the_manager_asked_does_not_erase_the_profile_the_adult_took_back(app, ctx):
    sophie = registered(app, "sophie")
    pid = int(_new_dependent(sophie).headers["Location"].split("/")[2])
    assert sophie.post(f"/p/{pid}/close", {"understood": "y"}, from_url=f"/p/{pid}/close").status_code == 302
    code = CODE_RE.search(sophie.post(f"/p/{pid}/dependent/claim-code", from_url=f"/p/{pid}/dependent")
                          .get_data(as_text=True)).group(1)
    mediator, _mid = mediator_browser(app)
    louis = join(app, start_session(mediator)[0])
    louis.post("/onboarding/consent", {"answer": "agree"}, from_url="/onboarding/consent")
    account = {"display_name": "Louis Bernard", "email": "louis@example.fr", "password": "une phrase facile"}
    assert louis.post("/onboarding/claim", {**account, "code": code}).status_code == 302
    _closes_after_cooling_off(app)
    with ctx():
        profile = db.session.get(Profile, pid)
        assert profile is not None and profile.user_id is not None, "Louis's own space was erased"
        assert db.session.scalar(select(Closure)) is None
    assert "Votre propre profil" in louis.get(f"/p/{pid}/").get_data(as_text=True)


def test_a_closure_a_parent_asked_does_not_erase_the_profile_the_teen_joined(app, ctx):
    claire, lea = _child(ctx)
    family_job.job(app, at(date(2026, 3, 10)))
    parent = signed_in(app.test_client(), claire)
    assert parent.post(f"/p/{lea}/close", {"understood": "y"}, from_url=f"/p/{lea}/close").status_code == 302
    teen_id = _joins(app, ctx, claire, lea, now=utcnow())
    _closes_after_cooling_off(app)
    with ctx():
        profile = db.session.get(Profile, lea)
        assert profile is not None and profile.user_id == teen_id, "Léa's own space was erased"


def test_a_former_managers_share_ends_with_the_help_the_adult_ends(app, ctx):
    sophie = registered(app, "sophie")
    pid = int(_new_dependent(sophie).headers["Location"].split("/")[2])
    public_id, _key, _code = _share(sophie, pid)  # made as the manager, before Louis takes the profile
    code = CODE_RE.search(sophie.post(f"/p/{pid}/dependent/claim-code", from_url=f"/p/{pid}/dependent")
                          .get_data(as_text=True)).group(1)
    mediator, _mid = mediator_browser(app)
    louis = join(app, start_session(mediator)[0])
    louis.post("/onboarding/consent", {"answer": "agree"}, from_url="/onboarding/consent")
    account = {"display_name": "Louis Bernard", "email": "louis@example.fr", "password": "une phrase facile"}
    assert louis.post("/onboarding/claim", {**account, "code": code}).status_code == 302
    assert open_share(app, public_id) == 200  # she still helps him: her link still opens
    with app.test_request_context():
        kept = db.session.scalar(select(Delegation).where(Delegation.profile_id == pid))
        delegations.end(db.session.get(User, kept.granted_by_id), kept, role="owner")
        db.session.commit()
    assert sophie.get(f"/p/{pid}/").status_code == 404
    assert open_share(app, public_id) == 410, "the former manager's link still opens Louis's data"
