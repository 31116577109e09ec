""""Today" is the person's day, not the server's: the server runs in UTC and people live in France, so
between midnight and 02:00 in Paris the UTC day is still yesterday. Each test moves the clock of the
module it exercises (its `utcnow`, as tests/test_login_throttle.py does) to 00:30 Paris time."""

import io
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import g
from sqlalchemy import select

import companion.views.dependents as dependents_view
import companion.views.emergency as emergency_view
import companion.views.profiles as profiles_view
from companion.demo.documents import make_pdf
from companion.extensions import db
from companion.models.account import User
from companion.models.profile import Profile
from companion.models.proof import Dependent
from companion.services import dates, documents, onboarding
from companion.services.access import OWNER_SCOPES, Access

from .cast import make_person, make_profile, signed_in
from .documents_support import PDF

PARIS = ZoneInfo("Europe/Paris")
CAYENNE = ZoneInfo("America/Cayenne")
JUDGEMENT = make_pdf("Jugement de tutelle", ["Tribunal judiciaire de Guéret"])


def paris(y: int, mo: int, d: int, h: int, mi: int) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=PARIS).astimezone(UTC)


BIRTHDAY = paris(2027, 6, 15, 0, 30)  # 00:30 in Paris on 15 June: still 14 June (22:30) in UTC


def _person(app, who: str = "claire", tz: str | None = None) -> int:
    with app.app_context():
        person = make_person(who)
        if tz is not None:
            person.timezone = tz
        db.session.commit()
        return person.id


def _sign_in(person: User) -> None:
    g._login_user = person  # what Flask-Login's current_user reads in this request


def test_local_today_is_the_day_in_the_signed_in_persons_time_zone(app):
    with app.test_request_context():
        assert dates.local_today(now=BIRTHDAY) == date(2027, 6, 15)  # nobody signed in: France
        person = make_person("claire")
        _sign_in(person)
        assert dates.local_today(now=BIRTHDAY) == date(2027, 6, 15)
        person.timezone = "America/Cayenne"  # UTC-3: 19:30 on 14 June
        assert dates.local_today(now=BIRTHDAY) == date(2027, 6, 14)
        person.timezone = "Nowhere/Else"  # an unknown zone is France's, as the agenda reads it
        assert dates.local_today(now=BIRTHDAY) == date(2027, 6, 15)
        other = make_person("louis")  # a named person (an uploader) rather than whoever is signed in
        assert dates.local_today(other, now=BIRTHDAY) == date(2027, 6, 15)


def test_a_baby_born_today_is_accepted_just_after_midnight_in_paris(app, monkeypatch):
    web = signed_in(app.test_client(), _person(app))
    monkeypatch.setattr(profiles_view, "utcnow", lambda: BIRTHDAY)
    resp = web.post("/profiles/new", {"first_name": "Léo", "last_name": "Martin", "birth_date": "2027-06-15",
                                      "sex": "M"}, from_url="/profiles/new")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        born = db.session.scalar(select(Profile.birth_date).where(Profile.first_name == "Léo"))
    assert born == date(2027, 6, 15)


def test_a_first_birthday_shows_twelve_months_just_after_midnight_in_paris(app, monkeypatch):
    parent_id = _person(app)
    with app.app_context():
        parent = db.session.get(User, parent_id)
        kid_id = make_profile(parent, "Léa", birth_date=date(2026, 6, 15), sex="F").id
        db.session.commit()
    web = signed_in(app.test_client(), parent_id)
    monkeypatch.setattr(profiles_view, "utcnow", lambda: BIRTHDAY)
    page = web.get(f"/p/{kid_id}/").get_data(as_text=True)
    line = re.search(r"<dd>[^<]*2026[^<]*</dd>", page)
    assert line is not None and "(12\u00a0mois)" in line.group(0), line and line.group(0)


def _new_dependent(web, review_on: date):
    data = {"first_name": "Louis", "last_name": "Bernard", "birth_date": "1940-02-03", "sex": "M",
            "legal_basis": "tutelle", "review_on": review_on.isoformat(),
            "proof": (io.BytesIO(JUDGEMENT), "jugement.pdf")}
    return web.post("/dependents/new", data, content_type="multipart/form-data")


def test_a_dependents_review_date_follows_the_managers_day(app, monkeypatch):
    web = signed_in(app.test_client(), _person(app, "sophie"))
    monkeypatch.setattr(dependents_view, "utcnow", lambda: BIRTHDAY)
    today = _new_dependent(web, date(2027, 6, 15))  # it is already 15 June for Sophie: not after today
    assert today.status_code == 400 and "après aujourd’hui" in today.get_data(as_text=True)
    resp = _new_dependent(web, date(2027, 6, 16))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Dependent.review_on)) == date(2027, 6, 16)
    monkeypatch.setattr(dependents_view, "utcnow", lambda: paris(2027, 6, 17, 0, 30))  # the day after
    page = web.get(resp.headers["Location"]).get_data(as_text=True)
    assert "La date de vérification est passée" in page


def test_the_counters_renewal_date_is_bounded_from_the_persons_day(app, monkeypatch):
    person_id = _person(app, "louis")
    with app.app_context():
        pid = db.session.scalar(select(Profile.id).where(Profile.user_id == person_id))
    web = signed_in(app.test_client(), person_id)
    monkeypatch.setattr(emergency_view, "utcnow", lambda: BIRTHDAY)
    furthest = date(2027, 6, 15) + timedelta(days=732)  # two years ahead of Louis's day, not of UTC's
    resp = web.post(f"/p/{pid}/counter", {"prescription": "0", "renewal_on": furthest.isoformat()},
                    from_url=f"/p/{pid}/counter")
    assert resp.status_code == 302, resp.get_data(as_text=True)


def test_the_help_sessions_birth_date_step_uses_the_persons_day(app, monkeypatch):
    with app.test_request_context():
        person = make_person("nadia")
        profile = db.session.scalar(select(Profile).where(Profile.user_id == person.id))
        access = Access(profile, "owner", OWNER_SCOPES)
        _sign_in(person)
        monkeypatch.setattr(onboarding, "utcnow", lambda: BIRTHDAY)
        onboarding.complete_profile(access, date(2027, 6, 15), "F")  # born today, Paris time: accepted
        assert profile.birth_date == date(2027, 6, 15)
        person.timezone = "America/Cayenne"  # 2 hours later in UTC it is still 14 June in Cayenne
        monkeypatch.setattr(onboarding, "utcnow", lambda: paris(2027, 6, 15, 3, 30))
        try:
            onboarding.complete_profile(access, date(2027, 6, 15), "F")
        except onboarding.ServiceError as exc:
            assert exc.field == "birth_date"
        else:
            raise AssertionError("15 June is tomorrow in Cayenne")


def test_an_undated_document_is_titled_with_the_uploaders_day(app):
    with app.test_request_context():
        owner = make_person("claire")
        profile = db.session.scalar(select(Profile).where(Profile.user_id == owner.id))
        access = Access(profile, "owner", OWNER_SCOPES)
        added = documents.add(access, owner, PDF, now=paris(2027, 3, 1, 0, 30))
        assert added.document.title == "Document du 1 mars 2027"
        assert added.document.care_date is None
        helper = make_person("marie")
        helper.timezone = "America/Cayenne"  # 02:30 UTC on 1 March is 23:30 on 28 February there
        other = documents.add(access, helper, make_pdf("Radio", ["Poignet"]),
                              now=datetime(2027, 3, 1, 2, 30, tzinfo=UTC))
        assert other.document.title == "Document du 28 février 2027"


def test_a_closure_asked_just_after_midnight_logs_the_day_its_page_shows(app):
    """Asked at 00:30 in Paris on 1 March: the access log's day is the one the page and the e-mails give,
    not the UTC day before."""
    from companion.models.audit import AccessEvent
    from companion.services import closure, log_labels

    with app.test_request_context():
        owner = make_person("claire")
        kid = make_profile(owner, "Léa", birth_date=date(2020, 1, 1))
        db.session.commit()
        row = closure.request_profile(Access(kid, "owner", OWNER_SCOPES), owner, now=paris(2027, 3, 1, 0, 30))
        db.session.commit()
        label = db.session.scalar(select(AccessEvent.object_label)
                                  .where(AccessEvent.action == "closure.requested"))
        assert log_labels.shown(label) == dates.day(row.closes_at)
