"""The daily digest, through the real queue (Huey on SQLite and Redis) and the local push service that
checks VAPID and decrypts: several reminders due for two people give ONE message a day per device,
naming first names only; the person can choose one message per reminder instead."""

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from companion import tasks as tasks_module
from companion.extensions import db
from companion.models.agenda import PersonalReminder, Reminder
from companion.prevention import load_rules
from companion.services import delivery, reminders

from .cast import make_delegation, make_profile
from .test_push_delivery import NOW, device, person
from .test_push_queue import keys, queue, register, service  # noqa: F401 (fixtures)


def _family(push, batching="daily"):
    """Sophie, on her phone and her tablet, with her baby Léa and her father Louis (whom she helps)."""
    sophie, _ = person("sophie", batching=None)  # the default: one message a day
    louis, louis_profile = person("louis")
    lea = make_profile(sophie, "Léa", "Bernard", birth_date=NOW.date() - timedelta(days=100), sex="F")
    make_delegation(louis_profile.id, sophie, "agenda", accepted_at=NOW - timedelta(days=3),
                    expires_at=NOW + timedelta(days=90))
    for token in ("phone", "tablet"):
        device(push, sophie, token)
    if batching != "daily":
        reminders.save_preferences(sophie.id, [lea.id, louis_profile.id], {lea.id, louis_profile.id},
                                   21 * 60, 8 * 60, [20160, 0], [1440, 120], batching)
    db.session.commit()
    return sophie.id, lea.id, louis_profile.id


def _round(app, ctx, tasks, now):
    with ctx():
        reminders.plan_round(now)
        due = delivery.due_count(now)
    tasks.fan_out(due, now)
    tasks_module.drain(tasks.queue)


def _sophies(push):
    return [m for m in push.received if m["token"] in ("phone", "tablet")]


def test_several_reminders_for_two_people_make_one_message_a_day_per_device(app, ctx, queue, service, keys):  # noqa: F811
    with ctx():
        sophie, lea, louis = _family(service)
    tasks = register(queue, app, keys)
    _round(app, ctx, tasks, NOW)
    with ctx():  # Léa also has an appointment this afternoon, added after the morning's message
        db.session.add(PersonalReminder(profile_id=lea, kind="appointment", title="Pédiatre", notes="",
                                        starts_at=NOW + timedelta(hours=5), timezone="Europe/Paris",
                                        repeat=""))
        db.session.commit()
    for hours in (1, 3, 5):  # rounds later the same day
        _round(app, ctx, tasks, NOW + timedelta(hours=hours))
    got = _sophies(service)
    assert not service.errors
    assert Counter(m["token"] for m in got) == {"phone": 1, "tablet": 1}
    body = got[0]["payload"]
    assert body["url"] == "/family" and body["tag"] == "family-digest"
    assert "Léa" in body["body"] and "Louis" in body["body"]
    words = {w.lower() for r in load_rules().values() for w in (r.label_fr + " " + r.label_en).split()
             if len(w) > 4} - {"rappel", "rappels"}
    for msg in got:
        text = str(msg["payload"]).lower()
        assert not [w for w in words if w in text] and "pédiatre" not in text, text
    with ctx():
        rows = db.session.scalars(select(Reminder).where(Reminder.user_id == sophie)).all()
        assert {r.kind for r in rows} == {"digest"}  # no message per item was even planned
    # A week of rounds: never more than one message a day on each device (one digest row per day, sent
    # once to each device), and what is already late is not named again every day.
    for day in range(1, 8):
        for hours in (0, 6):
            _round(app, ctx, tasks, NOW + timedelta(days=day, hours=hours))
    with ctx():
        sent = db.session.scalars(select(Reminder.key).where(Reminder.user_id == sophie,
                                                             Reminder.sent_at.is_not(None))).all()
    days = [k.split(":")[2] for k in sent]
    assert len(days) == len(set(days)) < 8
    assert Counter(m["token"] for m in _sophies(service)) == {"phone": len(days), "tablet": len(days)}


def test_one_message_per_reminder_when_the_person_chooses_so(app, ctx, queue, service, keys):  # noqa: F811
    with ctx():
        _family(service, batching="each")
    tasks = register(queue, app, keys)
    _round(app, ctx, tasks, NOW)
    counts = Counter(m["token"] for m in _sophies(service))
    assert counts["phone"] == counts["tablet"] > 1  # Léa's and Louis's items, each its own message
    assert "/family" not in {m["payload"]["url"] for m in _sophies(service)}


def test_the_setting_is_on_the_reminders_page_in_both_languages(app, ctx):
    from .cast import signed_in

    with ctx():
        sophie, _ = person("sophie", batching=None)
        db.session.commit()
        sid = sophie.id
    web = signed_in(app.test_client(), sid)
    html = web.get("/settings/reminders").get_data(as_text=True)
    assert "Un seul message par jour" in html
    assert '<input checked id="batching-0" name="batching" type="radio" value="daily">' in html
    resp = web.post("/settings/reminders", {"batching": "each", "quiet_start": "21:00", "quiet_end": "08:00",
                                             "prevention_leads": ["0"], "appointment_leads": ["120"]})
    assert resp.status_code == 302
    with ctx():
        assert reminders.preferences(sid).batching == "each"
    web.post("/language", {"lang": "en", "next": "/"}, from_url="/")
    assert "One message a day" in web.get("/settings/reminders").get_data(as_text=True)


