"""The family agenda: one page with what is due for everyone an account manages or helps, each person
with their name and colour; helped people's reads in their own access log, once per view; kept offline."""

from datetime import date, timedelta

from sqlalchemy import func, select

from companion.extensions import db
from companion.models.account import User
from companion.models.audit import AccessEvent
from companion.models.delegation import Delegation
from companion.models.profile import Profile
from companion.models.types import utcnow
from companion.services import accounts

from .cast import CAST, make_delegation, make_person, make_profile, signed_in, sync_token


def _family(ctx, *, scopes="agenda"):
    """Sophie (born 1988) with a baby, Léa, and her father Louis, whom she helps."""
    with ctx():
        sophie = make_person("sophie", with_birth=True)
        louis = make_person("louis", with_birth=True)
        lea = make_profile(sophie, "Léa", "Bernard", birth_date=date.today() - timedelta(days=100), sex="F")
        make_delegation(accounts.own_profile(louis).id, sophie, scopes)
        db.session.commit()
        return sophie.id, lea.id, accounts.own_profile(louis).id


def _views(ctx, pid, action="agenda.view"):
    with ctx():
        return db.session.scalar(select(func.count()).select_from(AccessEvent).where(
            AccessEvent.profile_id == pid, AccessEvent.action == action))


def test_the_family_agenda_lists_everyone_with_their_colour_and_logs_each_helped_person_once(app, ctx):
    sophie, lea, louis = _family(ctx)
    web = signed_in(app.test_client(), sophie)
    resp = web.get("/family")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Agenda de la famille" in html
    for name in ("Sophie Bernard", "Léa Bernard", "Louis Bernard"):
        assert name in html
    # Each person in their own band; Louis, whom she helps, in the caregiver's "acting for" colour.
    assert f'class="person helped" aria-labelledby="person-{louis}"' in html
    assert f'class="person child" aria-labelledby="person-{lea}"' in html
    assert "Vous aidez cette personne" in html
    # Léa, 3 months old, has vaccines to do now; Louis (born 1959) is named with what is due for him.
    lea_part = html.split(f'id="person-{lea}"')[1].split("</section>")[0]
    assert "À faire maintenant" in lea_part
    # Louis's log: one entry for this view, whatever the number of his items; none for Sophie's own.
    assert _views(ctx, louis) == 1 and _views(ctx, lea) == 0
    web.get("/family")
    assert _views(ctx, louis) == 2
    # Kept by the service worker, naming the people it shows.
    assert resp.headers["X-Offline-Cache"] == "1"
    assert set(resp.headers["X-Page-Profiles"].split()) == {str(lea), str(louis), str(
        _own(ctx, "sophie"))}
    manifest = web.get("/offline/manifest.json", headers={"Accept": "application/json"}).get_json()
    assert "/family" in manifest["pages"]
    # The home page links to it in plain words.
    assert 'href="/family"' in web.get("/").get_data(as_text=True)


def _own(ctx, who):
    with ctx():
        return db.session.scalar(select(Profile.id).join(User, Profile.user_id == User.id)
                                 .where(User.email == CAST[who].email))


def test_the_background_copy_is_logged_as_a_copy_and_people_without_the_agenda_scope_are_left_out(app, ctx):
    sophie, lea, louis = _family(ctx, scopes="documents:read")
    web = signed_in(app.test_client(), sophie)
    html = web.get("/family", headers={"X-Companion-Copy": sync_token(web)}).get_data(as_text=True)
    assert "Louis" not in html and "Léa Bernard" in html  # her delegation does not include the agenda
    assert _views(ctx, louis) == 0 and _views(ctx, louis, "agenda.copied_offline") == 0
    with ctx():
        d = db.session.scalar(select(Delegation))
        d.scopes = "agenda"
        db.session.commit()
    web.get("/family", headers={"X-Companion-Copy": sync_token(web)})
    assert _views(ctx, louis, "agenda.copied_offline") == 1 and _views(ctx, louis) == 0
    web.get("/family", headers={"X-Companion-Copy": "x"})  # a look dressed as the worker's copy
    assert _views(ctx, louis, "agenda.copied_offline") == 1 and _views(ctx, louis) == 1


def test_an_ended_access_and_a_stranger_see_nobody_else(app, ctx):
    sophie, lea, louis = _family(ctx)
    with ctx():
        db.session.scalar(select(Delegation)).revoked_at = utcnow()
        nadia = make_person("nadia", with_birth=True)
        db.session.commit()
        nadia_id = nadia.id
    html = signed_in(app.test_client(), sophie).get("/family").get_data(as_text=True)
    assert "Louis" not in html
    stranger = signed_in(app.test_client(), nadia_id).get("/family").get_data(as_text=True)
    assert "Nadia Haddad" in stranger and "Léa" not in stranger and "Louis" not in stranger
    assert app.test_client().get("/family").status_code == 302  # signed out: to the login page


def test_the_family_agenda_in_english(app, ctx):
    sophie, _lea, _louis = _family(ctx)
    web = signed_in(app.test_client(), sophie)
    web.post("/language", {"lang": "en", "next": "/family"}, from_url="/")
    html = web.get("/family").get_data(as_text=True)
    assert "Family agenda" in html and "You help this person as a caregiver" in html
