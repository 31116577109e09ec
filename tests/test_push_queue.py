"""Reminders through the task queue (Huey, on its SQLite and Redis storages), against the local push
service that checks VAPID and decrypts: exactly one message per device with a slow push service and
two workers, a claim taken over sends nothing, a 2-hour outage delivers everything once after it, and
every message carries a Topic and the configured VAPID subject but nothing about health."""

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from companion import tasks as tasks_module
from companion.extensions import db
from companion.models.agenda import Reminder
from companion.models.types import utcnow
from companion.services import delivery, reminders
from companion.services import push as push_service

from .conftest import REDIS_URL, redis_or_skip
from .push_receiver import PushService
from .test_push_delivery import LOCAL, NOW, device, person

SUBJECT = "mailto:ops@companion.example"


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def queue(request, app, tmp_path):
    if request.param == "redis-queue":
        redis_or_skip()
        q = tasks_module.make_queue(REDIS_URL, str(tmp_path), name=f"companion-test-{uuid.uuid4().hex[:8]}")
    else:
        q = tasks_module.make_queue("", str(tmp_path))
    yield q
    q.flush()  # this queue's own keys or file only
    app.extensions.pop("companion_tasks", None)


@pytest.fixture
def service():
    svc = PushService()
    yield svc
    svc.close()


@pytest.fixture
def keys():
    return push_service.generate_keys()


def register(queue, app, keys, timeout=10.0, pool=8):
    def make_sender(_app):
        return push_service.Sender(keys, subject=SUBJECT, timeout=timeout, allowed=LOCAL, pool=pool)
    return tasks_module.register(queue, app, make_sender=make_sender)


def due_rows(service, count, devices=("phone", "tablet"), kind="prevention"):
    """`count` reminders due at NOW for one person with these devices; returns the profile id."""
    user, profile = person("louis")
    for token in devices:
        device(service, user, token)
    db.session.execute(Reminder.__table__.insert(), [
        {"key": f"q{i}", "user_id": user.id, "profile_id": profile.id, "kind": kind, "item_ref": "ADU_FLU",
         "due_at": NOW, "scheduled_at": NOW - timedelta(seconds=i), "attempts": 0, "fence": 0,
         "created_at": NOW} for i in range(count)])
    db.session.commit()
    return profile.id


def workers(queue, count=2):
    """`count` workers taking tasks from the queue at once, as separate consumers would."""
    errors = []

    def run():
        try:
            tasks_module.drain(queue)
        except Exception as exc:  # reported to the test
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def assert_clean(service, pid, expected_per_device):
    """Exactly `expected_per_device` messages on each device, each with a Topic for this profile and
    kind, the operator's VAPID subject, and nothing but a first name and a link in the payload."""
    assert not service.errors, service.errors[:3]
    assert Counter(m["token"] for m in service.received) == {t: expected_per_device
                                                             for t in service.devices}
    for msg in service.received:
        assert msg["topic"] == push_service.topic(pid, "prevention") and msg["sub"] == SUBJECT
        assert set(msg["payload"]) == {"title", "body", "url", "tag"}
        assert msg["payload"]["body"] == "Un rappel pour Louis vous attend dans Companion."


def unsent():
    """Reminders due by now and not sent. Those planned for later do not count: near midnight in Paris
    the minute job plans the next morning's reminders too."""
    return db.session.scalar(select(func.count()).select_from(Reminder).where(
        Reminder.sent_at.is_(None), Reminder.scheduled_at <= utcnow()))


def test_a_push_service_slower_than_the_lease_and_two_workers_give_one_message_per_device(
        app, ctx, queue, service, keys, monkeypatch):
    # Each chunk takes about 3 s against a lease of 2 s: without renewal the spare chunk tasks would
    # take its rows over and send them again (the 57-for-50 of issue 13).
    monkeypatch.setattr(delivery, "LEASE", timedelta(seconds=2))
    monkeypatch.setattr(delivery, "SKEW", timedelta(seconds=0.2))
    monkeypatch.setattr(delivery, "CHUNK", 12)
    monkeypatch.setattr(delivery, "STEP", 2)
    service.slow = 0.5
    with ctx():
        pid = due_rows(service, 24)
    tasks = register(queue, app, keys, timeout=1.0, pool=4)
    for _ in range(4):  # two more chunk tasks than needed: they must find nothing
        tasks.send_chunk(NOW)
    assert workers(queue) == []
    # A message that missed its deadline (a loaded machine) is left claimed: one more round after the
    # lease finishes it; it must not repeat what was sent.
    service.slow = 0
    tasks.send_chunk(NOW + timedelta(seconds=30))
    tasks_module.drain(queue)
    with ctx():
        assert unsent() == 0
    assert_clean(service, pid, 24)


def test_a_batch_whose_claim_was_taken_over_sends_nothing(app, ctx, service, keys):
    sender = push_service.Sender(keys, subject=SUBJECT, allowed=LOCAL)
    with ctx():
        pid = due_rows(service, 5)
        stalled = reminders.claim(NOW)
        after = NOW + delivery.LEASE + timedelta(seconds=1)
        taken = reminders.claim(after)  # the stalled batch's lease expired: another run takes over
        assert [c.id for c in taken] == [c.id for c in stalled]
        assert all(t.fence == s.fence + 1 for s, t in zip(stalled, taken, strict=True))
        counts = {"sent": 0, "retry": 0, "failed": 0}
        with ThreadPoolExecutor(2) as pool:
            delivery._send_chunk(sender, pool, stalled, delivery.Clock(NOW + timedelta(seconds=2)), counts)
            assert counts["sent"] == 0 and service.received == []
            delivery._send_chunk(sender, pool, taken, delivery.Clock(after), counts)
        assert counts["sent"] == 5 and unsent() == 0
    assert_clean(service, pid, 5)


def test_a_two_hour_outage_delivers_every_reminder_once_after_it(app, ctx, queue, service, keys):
    service.outage = (503, {"Retry-After": "600"})
    with ctx():
        pid = due_rows(service, 30)
    tasks = register(queue, app, keys)
    for minute in range(0, 181, 5):  # a round every 5 minutes of a simulated clock, for 3 hours
        now = NOW + timedelta(minutes=minute)
        if minute == 120:
            assert service.received == [] and service.refused > 0
            service.outage = None
        with ctx():
            due = delivery.due_count(now)
        tasks.fan_out(due, now)
        tasks_module.drain(queue)
        if minute == 0:
            with ctx():  # the push service asked for 10 minutes: no earlier retry
                waits = db.session.scalars(select(Reminder.next_attempt_at)).all()
                assert all(w >= now + timedelta(seconds=600) for w in waits)
    with ctx():
        assert unsent() == 0
        assert not db.session.scalar(select(func.count()).select_from(Reminder)
                                     .where(Reminder.failed_at.is_not(None)))
    assert_clean(service, pid, 30)


def test_the_minute_job_plans_and_fans_out_through_the_queue(app, ctx, queue, service, keys, monkeypatch):
    """The periodic reminders job (JOBS) on a worker: plans, then hands chunks to the queue."""
    from companion.commands import reminders as reminder_commands

    monkeypatch.setattr(delivery, "CHUNK", 3)
    with ctx():
        pid = due_rows(service, 7, devices=("phone",))  # due since NOW, days before the real clock
    register(queue, app, keys)
    reminder_commands.job(app)
    assert queue.pending_count() >= 3  # at least 7 due in chunks of 3
    assert workers(queue) == []
    with ctx():
        assert unsent() == 0
        sent = db.session.scalar(select(func.count()).select_from(Reminder)
                                 .where(Reminder.sent_at.is_not(None)))
    assert len(service.received) == sent >= 7 and not service.errors
    assert {m["topic"] for m in service.received} >= {push_service.topic(pid, "prevention")}


def test_every_job_is_a_periodic_task_at_its_interval(app, queue, keys):
    from datetime import datetime

    from companion.commands.serve import JOBS

    register(queue, app, keys)
    at = {when: {t.name for t in queue.read_periodic(when)}
          for when in (datetime(2026, 11, 23, 10, 0), datetime(2026, 11, 23, 10, 1))}
    assert {j.name for j in JOBS} >= {"reminders", "housekeeping"}
    assert at[datetime(2026, 11, 23, 10, 0)] == {"job_reminders", "job_housekeeping",
                                                 "job_closures", "job_family_stages"}  # on the hour
    assert at[datetime(2026, 11, 23, 10, 1)] == {"job_reminders"}  # each minute
