"""Security review of the agenda: an offline action replayed twice at the same moment applies once,
bodies that are not a JSON object are refused in plain words, and calendar files keep health detail
off the lock screen and cannot be broken by a title."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, insert, select

from companion.extensions import db
from companion.models.account import User
from companion.models.agenda import AgendaItem
from companion.models.outbox import OutboxReceipt
from companion.models.profile import Profile
from companion.services import ics, receipts

from .conftest import csrf_from


@pytest.fixture
def claire(web, ctx):
    web.register(email="claire@example.fr", name="Claire Martin")
    with ctx():
        profile = db.session.scalar(select(Profile).where(Profile.first_name == "Claire"))
        profile.birth_date, profile.sex = date(1974, 3, 12), "F"
        db.session.commit()
        return profile.id


def _headers(client, pid, key="r" * 24):
    token = csrf_from(client.get(f"/p/{pid}/agenda").get_data(as_text=True))
    return {"X-CSRFToken": token, "Idempotency-Key": key, "Accept": "application/json"}


def test_a_replay_racing_the_first_send_does_not_apply_twice(client, ctx, claire, monkeypatch):
    """Both requests pass the "already applied?" look-up before either has committed (simulated by
    hiding the stored receipt from the look-up): the key's claim still lets only one apply.
    (Issue 11: the receipts are generic, services/receipts.py, and the replay sends the same body.)"""
    url, headers = f"/p/{claire}/agenda/DO_COLORECTAL/done", _headers(client, claire)
    first = client.post(url, json={"done_on": "2026-02-01"}, headers=headers)
    original, seen = receipts.lookup, []

    def late_lookup(user_id, key):
        seen.append(key)
        return None if len(seen) == 1 else original(user_id, key)  # the race: first look-up misses

    monkeypatch.setattr(receipts, "lookup", late_lookup)
    again = client.post(url, json={"done_on": "2026-02-01"}, headers=headers)
    assert first.status_code == again.status_code == 200 and again.get_json() == first.get_json()
    with ctx():
        row = db.session.scalar(select(AgendaItem).where(AgendaItem.rule_id == "DO_COLORECTAL"))
        assert row.done_on == date(2026, 2, 1)  # the second send changed nothing
        assert db.session.scalar(select(func.count()).select_from(OutboxReceipt)) == 1


def test_claiming_a_key_another_request_just_took_returns_its_answer(app, ctx, claire, monkeypatch):
    """Service level: between our look-up and our insert, another transaction commits the same key."""
    with ctx():
        user_id = db.session.scalar(select(User.id))
        assert receipts.claim(user_id, "race-key-1", "h1", "agenda.done") is None
        db.session.rollback()  # our action failed: the key stays free
        with db.engine.begin() as other:  # the other request wins the key and commits
            other.execute(insert(OutboxReceipt).values(
                key="race-key-1", user_id=user_id, request_hash="h1", action="agenda.done", status=200,
                content_type="application/json", body='{"ok": true}', created_at=datetime.now(UTC)))
        original, calls = receipts.lookup, []

        def late_lookup(u, k):  # our look-up ran before the other request committed
            calls.append(k)
            return None if len(calls) == 1 else original(u, k)

        monkeypatch.setattr(receipts, "lookup", late_lookup)
        stored = receipts.claim(user_id, "race-key-1", "h1", "agenda.done")
        assert stored.outcome == "answer" and stored.status == 200 and stored.body == '{"ok": true}'
        assert db.session.scalar(select(func.count()).select_from(OutboxReceipt)) == 1  # still usable
        db.session.rollback()


def test_a_refused_action_leaves_its_key_free_for_the_corrected_replay(client, ctx, claire):
    url, headers = f"/p/{claire}/agenda/DO_BREAST/done", _headers(client, claire, "f" * 24)
    refused = client.post(url, json={"done_on": "2099-01-01"}, headers=headers)
    assert refused.status_code == 400 and "futur" in refused.get_json()["message"]
    assert client.post(url, json={"done_on": "2026-01-05"}, headers=headers).status_code == 200
    with ctx():
        assert db.session.scalar(select(AgendaItem.done_on).where(AgendaItem.rule_id == "DO_BREAST")) \
            == date(2026, 1, 5)


@pytest.mark.parametrize("body", ['["2026-01-05"]', '"2026-01-05"', "42", "{broken"])
@pytest.mark.parametrize("action", ["done", "snooze", "dismiss", "reopen"])
def test_a_body_that_is_not_an_object_gets_a_plain_400(client, claire, body, action):
    headers = _headers(client, claire)
    del headers["Idempotency-Key"]
    resp = client.post(f"/p/{claire}/agenda/DO_BREAST/{action}", data=body, headers=headers,
                       content_type="application/json")
    assert resp.status_code == 400
    assert resp.get_json()["message"] == "Quelque chose n’allait pas dans la demande"


def test_the_calendar_alarm_says_nothing_about_health_or_who(web, client, claire):
    url = f"/p/{claire}/agenda/reminders/new"
    web.post(url, {"kind": "appointment", "title": "Oncologue", "day": "2030-05-02", "at": "10:30",
                   "repeat": "", "notes": ""}, from_url=url)
    for path in [f"/p/{claire}/agenda/reminders/1.ics", f"/p/{claire}/agenda/DO_BREAST.ics"]:
        text = client.get(path).get_data(as_text=True)
        alarm = text[text.index("BEGIN:VALARM"):text.index("END:VALARM")]
        assert "DESCRIPTION:Un rappel vous attend dans Companion" in alarm
        assert "Oncologue" not in alarm and "Claire" not in alarm and "sein" not in alarm


def test_a_lone_carriage_return_cannot_add_a_calendar_property():
    event = ics.Event(uid="u@companion", summary="RDV\rATTENDEE:mailto:x@evil.example",
                      start=date(2030, 1, 2), description="a\r\nb\nc\rd")
    text = ics.calendar([event])
    lines = text.split("\r\n")
    assert not any(line.startswith("ATTENDEE") for line in lines)
    assert "\r" not in text.replace("\r\n", "")
    assert "SUMMARY:RDV\\nATTENDEE:mailto:x@evil.example" in text and "DESCRIPTION:a\\nb\\nc\\nd" in text
