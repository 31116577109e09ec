"""Where a person lives sets their dates and times: a parent in Nouméa or Cayenne is not on Paris
time. The account page lists the places (metropolitan France and each overseas territory); the choice
moves the person's "today", and an access "until 29 May" chosen there ends at midnight there, as its
signed proof says."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from companion.extensions import db
from companion.models.account import User
from companion.models.agenda import Reminder
from companion.models.profile import Profile
from companion.models.proof import Proof
from companion.services import dates, delegations, proofs, time_zones
from companion.services.access import OWNER_SCOPES, Access

from .cast import make_person, sign_up
from .test_push_delivery import NOW

CAYENNE = ZoneInfo("America/Cayenne")
PAGE = "/account/security/"


def _choose(web, place: str):
    return web.post(PAGE + "time-zone", {"timezone": place}, from_url=PAGE)


def test_every_place_listed_is_a_zone_of_the_tz_database():
    for name in time_zones.ZONES:
        assert str(ZoneInfo(name)) == name


def test_a_person_chooses_where_she_lives_and_her_day_follows(web, ctx):
    sign_up(web, ctx, "claire")
    page = web.client.get(PAGE).get_data(as_text=True)
    assert "Où je vis" in page and "Nouvelle-Calédonie" in page and "Guyane" in page
    answer = _choose(web, "Pacific/Noumea")
    assert answer.status_code == 302
    page = web.client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "les dates et les heures suivent maintenant l’heure de l’endroit où vous vivez" in page
    assert '<option selected value="Pacific/Noumea">' in page
    with ctx():
        claire = db.session.scalar(select(User).where(User.email.like("claire%")))
        # 20:00 UTC on 1 March is already 2 March in Nouméa (UTC+11).
        assert dates.local_today(claire, datetime(2027, 3, 1, 20, tzinfo=UTC)) == date(2027, 3, 2)


def test_a_place_not_listed_is_refused_in_plain_words(web, ctx):
    sign_up(web, ctx, "claire")
    answer = _choose(web, "Asia/Tokyo")
    assert answer.status_code == 400
    assert "Choisissez dans la liste l’endroit où vous vivez." in answer.get_data(as_text=True)
    with ctx():
        assert db.session.scalar(select(User.timezone).where(User.email.like("claire%"))) == "Europe/Paris"


def test_reminders_not_sent_yet_are_planned_again_for_the_new_hours(web, ctx):
    pid = sign_up(web, ctx, "claire")
    with ctx():
        user_id = db.session.scalar(select(User.id).where(User.email.like("claire%")))
        db.session.add(Reminder(key="k", user_id=user_id, profile_id=pid, kind="prevention", item_ref="x",
                                due_at=NOW, scheduled_at=NOW, attempts=0))
        db.session.commit()
    _choose(web, "Indian/Reunion")
    with ctx():
        assert db.session.scalar(select(Reminder.id).where(Reminder.user_id == user_id)) is None


def test_an_access_chosen_in_cayenne_ends_at_midnight_there_and_its_proof_says_that_day(app):
    with app.test_request_context():
        louis, sophie = make_person("louis"), make_person("sophie")
        louis.timezone = sophie.timezone = "America/Cayenne"
        profile = db.session.scalar(select(Profile).where(Profile.user_id == louis.id))
        access = Access(profile, "owner", OWNER_SCOPES)
        now = datetime(2027, 5, 1, 12, tzinfo=UTC)
        invited = delegations.invite(access, louis, scopes=["agenda"], email=sophie.email,
                                     end_date=date(2027, 5, 29), tz=louis.timezone, now=now)
        d = delegations.accept(sophie, invited.delegation, now=now)
        db.session.commit()
        ends = d.expires_at.astimezone(CAYENNE)
        proof = proofs.read(db.session.scalars(select(Proof).order_by(Proof.id.desc())).first().statement)
    assert (ends.date(), ends.hour) == (date(2027, 5, 29), 23)
    assert proof.until == date(2027, 5, 29)  # not the 30th, as it is in Paris then


def test_a_new_account_starts_on_the_browsers_zone_when_it_is_a_place_listed(web, ctx):
    for email, zone, kept in (("reunion@example.fr", "Indian/Reunion", "Indian/Reunion"),
                              ("tokyo@example.fr", "Asia/Tokyo", "Europe/Paris"),
                              ("nothing@example.fr", "", "Europe/Paris")):
        answer = web.post("/register", {"email": email, "password": "une phrase facile",
                                        "display_name": "Anna Petit", "timezone": zone}, from_url="/register")
        assert answer.status_code == 302
        web.logout()
        with ctx():
            assert db.session.scalar(select(User.timezone).where(User.email == email)) == kept


def test_an_e_mail_gives_the_day_where_its_reader_lives(app):
    """Louis (Paris) gave Sophie access until 29 May, midnight in Paris: 08:59 on 30 May in Nouméa,
    where she lives. The week-before e-mails each say the day as their reader lives it."""
    from companion.models.mail import OutgoingMail
    from companion.services import delegation_mail

    from .cast import make_delegation

    with app.test_request_context():
        louis, sophie = make_person("louis"), make_person("sophie")
        sophie.timezone = "Pacific/Noumea"
        profile = db.session.scalar(select(Profile).where(Profile.user_id == louis.id))
        make_delegation(profile.id, sophie, "agenda", granted_by_id=louis.id,
                        accepted_at=datetime(2027, 1, 10, tzinfo=UTC),
                        expires_at=delegations.end_of_day(date(2027, 5, 29), "Europe/Paris"))
        db.session.commit()
        delegation_mail.warn_ending_soon(datetime(2027, 5, 25, 10, tzinfo=UTC))
        mails = db.session.scalars(select(OutgoingMail))
        bodies = {m.recipient: m.body.replace("\u00a0", " ") for m in mails}
    assert "se termine le 30 mai 2027" in bodies[sophie.email]
    assert "29 mai 2027" in bodies[louis.email] and "30 mai" not in bodies[louis.email]
