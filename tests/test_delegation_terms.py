"""An access's term counted on the owner's clock, not UTC's: renewed for 6 months from 'until 20
February', it runs until 20 August, not into the 21st because summer time began meanwhile."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from companion.extensions import db
from companion.models.profile import Profile
from companion.models.proof import Proof
from companion.services import delegations, proofs
from companion.services.access import OWNER_SCOPES, Access

from .cast import make_delegation, make_person

PARIS = ZoneInfo("Europe/Paris")


def test_renewed_for_six_months_across_summer_time_it_ends_the_same_day(app):
    with app.test_request_context():
        louis, sophie = make_person("louis"), make_person("sophie")
        profile = db.session.scalar(select(Profile).where(Profile.user_id == louis.id))
        until = delegations.end_of_day(date(2027, 2, 20), "Europe/Paris")  # "until 20 February 2027"
        d = make_delegation(profile.id, sophie, "agenda", accepted_at=datetime(2027, 1, 10, 10, tzinfo=PARIS),
                            expires_at=until, granted_by_id=louis.id)
        db.session.commit()
        delegations.renew(Access(profile, "owner", OWNER_SCOPES), louis, d, term="6m",
                          now=datetime(2027, 2, 15, 12, tzinfo=PARIS))
        db.session.commit()
        proof = proofs.read(db.session.scalars(select(Proof).order_by(Proof.id.desc())).first().statement)
        ends = d.expires_at.astimezone(PARIS)
    assert (ends.date(), ends.hour, ends.minute) == (date(2027, 8, 20), 23, 59)
    assert str(proof.until) == "2027-08-20"


def _later(local: datetime, term: str) -> datetime:
    """add_term given the time as the server's clock gives it (UTC), read back in Paris."""
    return delegations.add_term(local.astimezone(UTC), term).astimezone(PARIS)


def test_a_term_accepted_late_on_a_winter_evening_ends_on_the_same_day_of_the_month(app):
    with app.test_request_context():
        assert _later(datetime(2027, 1, 15, 23, 30, tzinfo=PARIS), "6m") == datetime(2027, 7, 15, 23, 30,
                                                                                      tzinfo=PARIS)
        # The day summer time begins: a day later is the next day at the same hour.
        assert _later(datetime(2027, 3, 27, 23, 30, tzinfo=PARIS), "1d") == datetime(2027, 3, 28, 23, 30,
                                                                                      tzinfo=PARIS)
