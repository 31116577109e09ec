"""Reminders turned on in the evening: what is already due is named the next morning, once. The planner
put it at 09:00 that same day, already more than 12 hours gone, so it was dropped; the profile was
planned again a day later, in the evening again, and what was due was never named at all."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from companion.extensions import db
from companion.services import reminders

from .test_push_delivery import device, person, sender, service  # noqa: F401  (fixtures)

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize("batching", ["each", None])  # one message per reminder; the daily digest
@pytest.mark.parametrize("hour", [21, 23])
def test_reminders_turned_on_in_the_evening_name_what_is_due_the_next_morning_once(
        app, ctx, service, sender, batching, hour):  # noqa: F811
    with ctx():
        user, _ = person("louis", batching=batching)  # 67 in the flu season: several items due now
        device(service, user, "phone")
        db.session.commit()
        reminders.run_batch(sender, datetime(2026, 11, 23, hour, 30, tzinfo=PARIS))
        assert service.received == []  # nothing in the night
        morning = datetime(2026, 11, 24, 9, 1, tzinfo=PARIS)
        reminders.run_batch(sender, morning)
        named = len(service.received)
        for later in (3, 13, 25, 49):  # later that day, that evening, the next mornings
            reminders.run_batch(sender, morning + timedelta(hours=later))
    assert named >= 1
    assert len(service.received) == named  # once, not again each day
