"""A push service that refuses for good: the reminder is not recorded as sent into the void, and a device
whose subscription the service keeps saying is not ours (403: made for other server keys, as after the
keys were replaced) is forgotten after a few answers in a row, so its settings page offers to turn
reminders on again instead of saying they are on."""

from datetime import timedelta

from sqlalchemy import func, select

from companion.extensions import db
from companion.models.agenda import Reminder
from companion.models.push import PushSubscription
from companion.services import delivery_rows, reminders

from .test_push_delivery import NOW, device, person, sender, service  # noqa: F401  (fixtures)


def _appointments(user, profile, days: int) -> None:
    for day in range(days):
        when = NOW + timedelta(days=day)
        db.session.add(Reminder(key=f"k{day}", user_id=user.id, profile_id=profile.id, kind="appointment",
                                item_ref="p1", due_at=when, scheduled_at=when, attempts=0))
    db.session.commit()


def test_a_device_refused_as_not_ours_is_forgotten_and_nothing_is_called_sent(app, ctx, service, sender):  # noqa: F811
    service.outage = (403, {})
    with ctx():
        user, profile = person("louis")
        device(service, user, "phone")
        _appointments(user, profile, 5)
        for day in range(5):
            reminders.send_due(sender, NOW + timedelta(days=day))
        failed = db.session.scalar(select(func.count()).select_from(Reminder)
                                   .where(Reminder.failed_at.is_not(None), Reminder.sent_at.is_(None)))
        devices = db.session.scalar(select(func.count()).select_from(PushSubscription))
    assert service.received == []
    assert service.refused == delivery_rows.REFUSED_LIMIT  # asked that many times, then left alone
    assert failed == delivery_rows.REFUSED_LIMIT  # each refused one is failed, not "sent"
    assert devices == 0


def test_one_refusal_among_answers_that_arrive_keeps_the_device(app, ctx, service, sender):  # noqa: F811
    with ctx():
        user, profile = person("louis")
        device(service, user, "phone")
        _appointments(user, profile, 4)
        service.answers["phone"] = [403, 403]  # twice in a row, then the service accepts again
        for day in range(4):
            reminders.send_due(sender, NOW + timedelta(days=day))
        devices = db.session.scalar(select(func.count()).select_from(PushSubscription))
        sent = db.session.scalar(select(func.count()).select_from(Reminder)
                                 .where(Reminder.sent_at.is_not(None)))
    assert devices == 1 and len(service.received) == 2 and sent == 2
