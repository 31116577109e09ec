"""Retries for as long as a message is useful: Retry-After in seconds or as an HTTP date, exponential
backoff with jitter, the end at the message's TTL; the VAPID subject is the operator's in production."""

from datetime import timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy import select

from companion.config import ConfigError, build_config
from companion.extensions import db
from companion.models.agenda import Reminder
from companion.services import delivery, reminders
from companion.services import push as push_service

from .push_receiver import PushService
from .test_push_delivery import LOCAL, NOW, device, person


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    assert push_service.retry_after("600") == 600
    later = format_datetime(NOW + timedelta(seconds=900), usegmt=True)
    assert push_service.retry_after(later, now=NOW.timestamp()) == pytest.approx(900)
    assert push_service.retry_after("soon") is None and push_service.retry_after(None) is None


def test_backoff_doubles_with_jitter_up_to_a_cap_and_never_before_retry_after():
    for attempts, low, high in ((1, 60, 120), (2, 120, 240), (30, 1800, 3600)):
        waits = {delivery.backoff(attempts).total_seconds() for _ in range(50)}
        assert all(low <= w <= high for w in waits) and len(waits) > 1  # jitter spreads them
    assert delivery.backoff(1, asked=7200) == timedelta(seconds=7200)


def test_a_message_is_retried_until_its_ttl_and_then_given_up(app, ctx):
    service = PushService()
    service.outage = (429, {"Retry-After": "3600"})
    sender = push_service.Sender(push_service.generate_keys(), subject="mailto:ops@companion.example",
                                 allowed=LOCAL)
    with ctx():
        user, profile = person("louis")
        device(service, user, "phone")
        db.session.add(Reminder(key="a", user_id=user.id, profile_id=profile.id, kind="appointment",
                                item_ref="p1", due_at=NOW, scheduled_at=NOW, attempts=0))
        db.session.commit()
        hours = 0
        while hours <= 30:
            reminders.send_due(sender, NOW + timedelta(hours=hours))
            hours += 1
        row = db.session.scalar(select(Reminder))
        # An appointment is useful for a day (its TTL): retried, an hour apart at least (Retry-After),
        # until then, and not given up before (the old code gave up after 6 attempts, about an hour).
        assert row.sent_at is None and row.attempts >= 6
        assert NOW + timedelta(hours=22) <= row.failed_at <= NOW + timedelta(hours=25)
    service.close()


def test_production_refuses_the_example_vapid_subject(monkeypatch):
    monkeypatch.setenv("COMPANION_ENV", "production")
    monkeypatch.setenv("COMPANION_SECRET_KEY", "k3V9q-Zt8LwX2nRb7HcY4mPj6sDf1GhA0uEo5iTy")  # a strong one
    monkeypatch.setenv("COMPANION_RATELIMIT_STORAGE", "redis://127.0.0.1:6379")
    monkeypatch.setenv("COMPANION_MASTER_KEY", "00" * 32)
    monkeypatch.setenv("COMPANION_AUDIT_KEY", "11" * 32)
    monkeypatch.setenv("COMPANION_AUDIT_SIGNING_KEY", "22" * 32)
    monkeypatch.setenv("COMPANION_PROOF_SIGNING_KEY", "33" * 32)
    for subject in (None, "mailto:contact@companion.example", "ops@example.fr"):
        if subject is None:
            monkeypatch.delenv("COMPANION_VAPID_SUBJECT", raising=False)
        else:
            monkeypatch.setenv("COMPANION_VAPID_SUBJECT", subject)
        with pytest.raises(ConfigError, match="COMPANION_VAPID_SUBJECT"):
            build_config()
    monkeypatch.setenv("COMPANION_VAPID_SUBJECT", "https://companion.example.fr/contact")
    assert build_config()["VAPID_SUBJECT"] == "https://companion.example.fr/contact"
