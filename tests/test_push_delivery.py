"""Reminders delivered as real encrypted Web Push to a local push service that checks VAPID and
decrypts the body; pruning on 410, retries on 503, exactly once under concurrent batches; never to an
address that is not a known push service; never from inside a web request."""

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from companion.extensions import db
from companion.models.agenda import PersonalReminder, Reminder
from companion.models.push import PushDelivery, PushSubscription
from companion.prevention import load_rules
from companion.services import accounts, reminders
from companion.services import push as push_service

from .cast import make_delegation, make_person
from .push_receiver import PushService, b64e

# The local push service is accepted only because the tests configure it, as an operator would.
LOCAL = push_service.allowed_hosts({"PUSH_ALLOWED_HOSTS": "127.0.0.1"})
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday morning in Paris, in the flu season


@pytest.fixture
def service():
    svc = PushService()
    yield svc
    svc.close()


@pytest.fixture
def sender():
    return push_service.Sender(push_service.generate_keys(), subject="mailto:test@companion.example",
                               allowed=LOCAL)


def person(who, locale="fr", batching="each"):
    """A person of the cast with the demo's birth date, and their own profile. These tests are about
    one message per reminder (`batching="each"`); None leaves the default, one message a day."""
    user = make_person(who, password=None, locale=locale, with_birth=True)
    if batching is not None:
        reminders.preferences(user.id).batching = batching
    return user, accounts.own_profile(user)


def device(service, user, token):
    dev = service.device(token)
    push_service.subscribe(user, service.endpoint(token), dev.p256dh, push_service.b64url(dev.auth),
                           allowed=LOCAL)
    return dev


def schedule_and_send(sender, now=NOW):
    reminders.schedule(now)
    db.session.commit()
    return reminders.send_due(sender, now)


def test_a_due_reminder_arrives_encrypted_and_says_nothing_about_health(app, ctx, service, sender):
    with ctx():
        user, profile = person("louis")
        device(service, user, "phone")
        db.session.commit()
        pid = profile.id
        counts = schedule_and_send(sender)
    assert counts["sent"] >= 1 and not service.errors
    # Louis is due flu, shingles, pneumococcal...: reminders "on the day" are due now.
    got = service.received[0]
    assert got["payload"]["body"] == "Un rappel pour Louis vous attend dans Companion."
    assert got["payload"]["url"] == f"/p/{pid}/agenda"
    assert got["ttl"] == 7 * 86400 and got["urgency"] == "normal"
    words = {w.lower() for r in load_rules().values() for w in (r.label_fr + " " + r.label_en).split()
             if len(w) > 4} - {"rappel"}  # "rappel" is the generic word "reminder" too
    for msg in service.received:
        text = str(msg["payload"]).lower()
        assert not [w for w in words if w in text], text


def test_reminders_go_to_the_caregiver_with_the_agenda_scope(app, ctx, service, sender):
    with ctx():
        louis, profile = person("louis")
        sophie, _ = person("sophie", locale="en")
        nadia, _ = person("nadia")
        for who, scopes in ((sophie, "documents:read agenda"), (nadia, "documents:read")):
            make_delegation(profile.id, who, scopes, accepted_at=NOW - timedelta(days=3),
                            expires_at=NOW + timedelta(days=90))
        device(service, sophie, "sophie")
        device(service, nadia, "nadia")
        db.session.commit()
        pid = profile.id
        schedule_and_send(sender)
    about_louis = [m for m in service.received if m["payload"]["url"] == f"/p/{pid}/agenda"]
    assert {m["token"] for m in about_louis} == {"sophie"}
    assert about_louis[0]["payload"]["body"] == "A reminder for Louis is waiting in Companion."


def test_a_gone_subscription_is_deleted_and_the_answer_recorded(app, ctx, service, sender):
    with ctx():
        user, _ = person("louis")
        device(service, user, "old-phone")
        service.answers["old-phone"] = [410]
        db.session.commit()
        schedule_and_send(sender)
        assert db.session.scalar(select(func.count()).select_from(PushSubscription)) == 0
        assert db.session.scalar(select(PushDelivery.status).where(PushDelivery.result == "gone")) == 410


@pytest.mark.parametrize("status", [503, 429])
def test_a_busy_push_service_is_retried_later_with_backoff(app, ctx, service, sender, status):
    with ctx():
        user, _ = person("louis")
        device(service, user, "phone")
        db.session.commit()
        reminders.schedule(NOW)
        db.session.commit()
        due = db.session.scalar(select(func.count()).select_from(Reminder)
                                .where(Reminder.scheduled_at <= NOW))
        service.answers["phone"] = [status] * due
        counts = reminders.send_due(sender, NOW)
        assert counts["retry"] == due and not service.received
        waiting = db.session.scalars(select(Reminder).where(Reminder.attempts == 1)).all()
        assert len(waiting) == due and all(r.sent_at is None for r in waiting)
        assert reminders.send_due(sender, NOW + timedelta(seconds=30))["sent"] == 0  # backoff holds
        later = reminders.send_due(sender, NOW + timedelta(minutes=3))
        assert later["sent"] == due and len(service.received) == due
        results = db.session.scalars(select(PushDelivery.result)).all()
        assert results.count("retry") == due and results.count("sent") == due


def test_scheduling_twice_adds_nothing_and_respects_quiet_hours(app, ctx, service):
    paris = ZoneInfo("Europe/Paris")
    with ctx():
        user, profile = person("louis")
        device(service, user, "phone")
        db.session.add(PersonalReminder(profile_id=profile.id, kind="appointment", title="Cardiologue",
                                        notes="", starts_at=datetime(2026, 11, 25, 7, 30, tzinfo=paris),
                                        timezone="Europe/Paris", repeat=""))
        night = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
        assert reminders.schedule(night) > 2 and reminders.schedule(night) == 0
        rows = db.session.scalars(select(Reminder)).all()
        times = sorted(r.scheduled_at.astimezone(paris) for r in rows if r.kind == "appointment")
        # The day before at 7:30 moves to 8:00; two hours before (5:30) moves to the evening before.
        assert [t.strftime("%d %H:%M") for t in times] == ["24 08:00", "24 20:59"]
        # What was already due (Louis, 67, in the flu season) is named the next morning, not dropped.
        due = {r.scheduled_at.astimezone(paris).strftime("%d %H:%M") for r in rows if r.kind == "prevention"}
        assert due == {"24 09:00"}


def _concurrent_batches(app, sender, now, runs=2):
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                results.append(reminders.send_due(sender, now, limit=5))
                db.session.remove()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def _many_due(service, count=40):
    user, profile = person("louis")
    device(service, user, "phone")
    for i in range(count):
        db.session.add(Reminder(key=f"k{i}", user_id=user.id, profile_id=profile.id, kind="prevention",
                                item_ref="ADU_FLU", due_at=NOW, scheduled_at=NOW - timedelta(minutes=i),
                                attempts=0))
    db.session.commit()


def test_two_concurrent_batches_send_each_reminder_exactly_once_on_postgresql(app, ctx, backend, service,
                                                                             sender):
    if backend == "sqlite":
        pytest.skip("row locking is the PostgreSQL path; the SQLite path has its own test")
    with ctx():
        _many_due(service)
    results, errors = _concurrent_batches(app, sender, NOW)
    assert not errors and sum(r["sent"] for r in results) == 40
    assert len(service.received) == 40
    with ctx():
        unsent = select(func.count()).select_from(Reminder).where(Reminder.sent_at.is_(None))
        assert db.session.scalar(unsent) == 0


def test_a_claim_takes_one_chunk_so_other_workers_get_the_rest(app, ctx, service):
    """Thousands due in a table the planner knows nothing about yet (no statistics): each claim takes
    its chunk, not everything (PostgreSQL may run a locking sub-select once per row otherwise)."""
    with ctx():
        user, profile = person("louis")
        device(service, user, "phone")
        db.session.execute(Reminder.__table__.insert(), [
            {"key": f"k{i}", "user_id": user.id, "profile_id": profile.id, "kind": "prevention",
             "item_ref": "ADU_FLU", "due_at": NOW, "scheduled_at": NOW, "attempts": 0, "fence": 0,
             "created_at": NOW} for i in range(3000)])
        db.session.commit()
        chunks = [reminders.claim(NOW) for _ in range(16)]
    assert [len(c) for c in chunks] == [200] * 15 + [0]
    assert len({c.id for chunk in chunks for c in chunk}) == 3000


def test_on_sqlite_a_claimed_reminder_cannot_be_claimed_again(app, ctx, backend, service, sender):
    with ctx():
        _many_due(service, 10)
        first = reminders.claim(NOW, limit=6)
        second = reminders.claim(NOW, limit=100)
        # Claims are (id, fence) pairs: compare the rows.
        assert len(first) == 6 and len(second) == 4 and not {c.id for c in first} & {c.id for c in second}
        assert reminders.claim(NOW, limit=100) == []
        # An expired lease (a batch that crashed) is taken over.
        assert len(reminders.claim(NOW + reminders.LEASE + timedelta(seconds=1), limit=100)) == 10
    if backend == "sqlite":
        with ctx():
            db.session.execute(Reminder.__table__.update().values(claimed_until=None))
            db.session.commit()
        results, errors = _concurrent_batches(app, sender, NOW)
        assert not errors and sum(r["sent"] for r in results) == 10 and len(service.received) == 10


def test_a_caregiver_whose_delegation_ended_gets_nothing(app, ctx, service, sender):
    with ctx():
        louis, profile = person("louis")
        sophie, _ = person("sophie")
        grant = make_delegation(profile.id, sophie, "agenda", accepted_at=NOW - timedelta(days=3),
                                expires_at=NOW + timedelta(days=90))
        device(service, sophie, "sophie")
        db.session.commit()
        reminders.schedule(NOW)
        grant.revoked_at = NOW - timedelta(minutes=1)  # revoked after the reminders were planned
        db.session.commit()
        pid = profile.id
        counts = reminders.send_due(sender, NOW)
    assert counts["failed"] >= 1
    assert not [m for m in service.received if m["payload"]["url"] == f"/p/{pid}/agenda"]


def test_a_push_service_that_times_out_is_retried(app, ctx, service):
    slow = push_service.Sender(push_service.generate_keys(), timeout=0.3, allowed=LOCAL)
    with ctx():
        user, profile = person("louis")
        device(service, user, "phone")
        db.session.add(Reminder(key="t", user_id=user.id, profile_id=profile.id, kind="appointment",
                                item_ref="p1", due_at=NOW, scheduled_at=NOW, attempts=0))
        db.session.commit()
        service.delays["phone"] = 1.0
        assert reminders.send_due(slow, NOW)["retry"] == 1
        assert db.session.scalar(select(PushDelivery.result)) == "retry"
        assert reminders.send_due(slow, NOW + timedelta(minutes=5))["sent"] == 1
    assert service.received[-1]["ttl"] == 86400 and service.received[-1]["urgency"] == "high"


def test_a_subscription_kept_before_the_check_is_not_called(app, ctx, service):
    """A device saved before the host check pointing at a local address: a real service listens there,
    and a sender that knows only the public push services posts nothing to it."""
    dev = service.device("old")
    with ctx():
        sub = PushSubscription(endpoint=service.endpoint("old"), user_id=1, p256dh=dev.p256dh,
                               auth=b64e(dev.auth), failures=0)
        outcome = push_service.Sender(push_service.generate_keys(), allowed=push_service.PUSH_HOSTS).send(
            sub, {"title": "x"}, "prevention")
    assert outcome.result == "gone" and service.received == [] and service.errors == []


def test_a_device_with_unusable_keys_costs_the_others_nothing(app, ctx, service, sender):
    """A device kept with keys no message can be encrypted for (65 bytes that are not a point, saved
    before subscribing checked them): it is forgotten, and everyone else's reminders arrive once, not
    again at every lease because that one device's error dropped the whole step's answers."""
    with ctx():
        louis, _ = person("louis")
        device(service, louis, "louis-phone")
        claire, _ = person("claire")
        db.session.add(PushSubscription(endpoint=service.endpoint("claire-old"), user_id=claire.id,
                                        p256dh=push_service.b64url(b"\x04" + b"\x00" * 64),
                                        auth=b64e(b"a" * 16), failures=0))
        db.session.commit()
        schedule_and_send(sender)
        first = len(service.received)
        for minutes in (6, 12, 30):  # past the lease, twice over
            reminders.send_due(sender, NOW + timedelta(minutes=minutes))
        kept = db.session.scalars(select(PushSubscription.endpoint)).all()
    assert first >= 1 and len(service.received) == first, (first, len(service.received))
    assert {m["token"] for m in service.received} == {"louis-phone"}
    assert kept == [service.endpoint("louis-phone")]


def test_the_batch_refuses_to_run_inside_a_web_request(app):
    with app.test_request_context("/"):
        with pytest.raises(RuntimeError):
            reminders.claim(reminders.utcnow())
