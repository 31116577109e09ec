"""Reminders follow the calendar's windows: nothing is planned for an item no longer recommended
(issue 13: an HPV catch-up reminder was pushed to a woman of 31)."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from companion.extensions import db
from companion.models.agenda import AgendaItem, Reminder
from companion.models.profile import Profile
from companion.services import accounts, reminders
from companion.services import push as push_service

from .push_receiver import PushService

LOCAL = push_service.allowed_hosts({"PUSH_ALLOWED_HOSTS": "127.0.0.1"})
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
STOPPED = {"ADO_HPV", "ADO_HPV_2", "HPV_CATCHUP", "HPV_CATCHUP_2", "HPV_CATCHUP_3", "ADO_MENACWY",
           "ADO_MENACWY_CATCHUP"}


@pytest.fixture
def service():
    svc = PushService()
    yield svc
    svc.close()


def planned_for(service, email, birth, sex, done=None) -> set[str]:
    user = accounts.register(email, None, "Anne Petit", locale="fr", cost=(1, 1024))
    profile = db.session.scalar(select(Profile).where(Profile.user_id == user.id))
    profile.birth_date, profile.sex = birth, sex
    reminders.preferences(user.id).batching = "each"  # one row per item: what this test reads
    for rule_id, day in (done or {}).items():
        db.session.add(AgendaItem(profile_id=profile.id, rule_id=rule_id, done_on=day, dismiss_reason=""))
    dev = service.device(email)
    push_service.subscribe(user, service.endpoint(email), dev.p256dh, push_service.b64url(dev.auth),
                           allowed=LOCAL)
    db.session.flush()
    reminders.schedule(NOW)
    return set(db.session.scalars(select(Reminder.item_ref).where(Reminder.user_id == user.id)))


def test_no_reminder_for_a_vaccine_past_its_upper_age(app, ctx, service):
    with ctx():
        assert planned_for(service, "w31@example.fr", date(1995, 6, 1), "F").isdisjoint(STOPPED)
        assert planned_for(service, "w27@example.fr", date(1999, 11, 23), "F").isdisjoint(STOPPED)
        # The last day of 26: the catch-up is still recommended, so it is reminded.
        assert "HPV_CATCHUP" in planned_for(service, "w26@example.fr", date(1999, 11, 24), "F")


def test_a_teen_dose_done_leaves_no_catch_up_reminder(app, ctx, service):
    with ctx():
        refs = planned_for(service, "t19@example.fr", date(2007, 6, 1), "M",
                           {"ADO_HPV": date(2019, 9, 1), "ADO_MENACWY": date(2020, 4, 1)})
        assert "ADO_HPV_2" in refs  # the 2-dose series started in time is finished, even at 19
        assert refs.isdisjoint({"HPV_CATCHUP", "HPV_CATCHUP_2", "HPV_CATCHUP_3", "ADO_MENACWY_CATCHUP"})
