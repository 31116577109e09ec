"""Planning again while a reminder is being sent, or after it reached some devices: no device gets it
twice. Deleting an unsent row that a batch was sending made that batch's answers fail to record (the
whole step's, so everyone in it was sent again at the lease's end); deleting one a device already had
and making it again under the same key sent it to that device a second time."""

from collections import Counter
from datetime import timedelta

from companion.extensions import db
from companion.models.agenda import PersonalReminder, Reminder
from companion.models.types import utcnow
from companion.services import reminders

from .test_push_delivery import NOW, device, person, sender, service  # noqa: F401  (fixtures)


def test_settings_saved_while_a_reminder_is_sent_make_nobody_get_it_twice(app, ctx, service, sender):  # noqa: F811
    now = utcnow()  # the settings are saved at the real time: the batch's leases are read against it
    with ctx():
        louis, louis_profile = person("louis")
        claire, claire_profile = person("claire")
        device(service, louis, "louis")
        device(service, claire, "claire")
        for who, profile in ((louis, louis_profile), (claire, claire_profile)):
            db.session.add(Reminder(key=f"k{who.id}", user_id=who.id, profile_id=profile.id,
                                    kind="appointment", item_ref="p1", due_at=now, scheduled_at=now,
                                    attempts=0))
        db.session.commit()
        claire_id, claire_pid = claire.id, claire_profile.id

    def claire_saves_her_settings():  # on her phone, while the batch waits for her push service
        with app.app_context():
            reminders.save_preferences(claire_id, [claire_pid], {claire_pid}, 21 * 60, 8 * 60, [0], [120],
                                       "each")
            db.session.commit()
            db.session.remove()

    service.meanwhile["claire"] = claire_saves_her_settings
    with ctx():
        for minutes in (0, 6, 12):  # the minute job, past the lease twice
            reminders.send_due(sender, now + timedelta(minutes=minutes))
    assert Counter(m["token"] for m in service.received) == {"louis": 1, "claire": 1}


def test_a_day_message_some_devices_had_is_not_sent_to_them_again_when_planned_again(
        app, ctx, service, sender):  # noqa: F811
    with ctx():
        user, profile = person("louis", batching=None)  # the default: one message a day
        device(service, user, "phone")
        device(service, user, "tablet")
        db.session.commit()
        service.answers["tablet"] = [503]  # the tablet's push service is busy: tried again later
        reminders.run_batch(sender, NOW)
        # He then adds an appointment: the planner looks at his account again.
        db.session.add(PersonalReminder(profile_id=profile.id, kind="appointment", title="Dentiste",
                                        notes="", starts_at=NOW + timedelta(days=7),
                                        timezone="Europe/Paris", repeat=""))
        db.session.commit()
        for minutes in (5, 10, 30):
            reminders.run_batch(sender, NOW + timedelta(minutes=minutes))
    assert Counter(m["token"] for m in service.received) == {"phone": 1, "tablet": 1}
