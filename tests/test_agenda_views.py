"""The agenda pages as a person and a caregiver use them: see what is due, mark done (form and
offline-queue JSON with an idempotency key), snooze, "not for me", personal reminders and .ics."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from companion.extensions import db
from companion.models.account import User
from companion.models.agenda import AgendaItem, PersonalReminder, Reminder
from companion.models.audit import AccessEvent
from companion.models.delegation import Delegation
from companion.models.outbox import OutboxReceipt
from companion.models.profile import Profile

from .conftest import csrf_from


@pytest.fixture
def claire(web, ctx):
    web.register(email="claire@example.fr", name="Claire Martin")
    with ctx():
        profile = db.session.scalar(select(Profile).where(Profile.first_name == "Claire"))
        profile.birth_date, profile.sex = date(1974, 3, 12), "F"
        db.session.commit()
        return profile.id


def page(client, pid):
    resp = client.get(f"/p/{pid}/agenda")
    assert resp.status_code == 200
    return resp


def section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("<h2", start + 10)
    return html[start:end if end > 0 else None]


def test_a_woman_of_52_sees_her_screenings_due_and_the_page_opens_offline(client, claire):
    resp = page(client, claire)
    html = resp.get_data(as_text=True)
    now = section(html, "now")
    assert "Dépistage organisé du cancer du sein" in now and "cancer colorectal" in now
    assert "Mon bilan prévention 45-50 ans" in section(html, "more-h")  # age already passed
    assert "Pneumocoque" not in now
    assert resp.headers["X-Offline-Cache"] == "1"
    assert '<svg' in html and 'role="img"' in html and "La frise en mots" in html


def test_marking_done_reschedules_the_next_screening(web, client, ctx, claire):
    url = f"/p/{claire}/agenda"
    resp = web.post(f"{url}/DO_BREAST/done", {"done_on": "2026-01-05"}, from_url=url)
    assert resp.status_code == 302
    html = page(client, claire).get_data(as_text=True)
    assert "C'est noté comme fait" in html
    done = section(html, "done-h")
    assert "cancer du sein" in done and "5 janvier 2026" in done and "5 janvier 2028" in done
    assert "cancer du sein" not in section(html, "now")


def test_a_future_done_date_is_refused(web, client, claire):
    url = f"/p/{claire}/agenda"
    future = (date.today() + timedelta(days=40)).isoformat()
    resp = web.post(f"{url}/DO_BREAST/done", {"done_on": future}, from_url=url)
    assert resp.status_code == 400 and "dans le futur" in resp.get_data(as_text=True)


def test_an_offline_replay_is_applied_once(client, ctx, claire):
    url = f"/p/{claire}/agenda"
    token = csrf_from(page(client, claire).get_data(as_text=True))
    headers = {"X-CSRFToken": token, "Idempotency-Key": "k" * 20, "Accept": "application/json"}
    first = client.post(f"{url}/DO_COLORECTAL/done", json={"done_on": "2026-02-01"}, headers=headers)
    again = client.post(f"{url}/DO_COLORECTAL/done", json={"done_on": "2026-02-01"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json() and first.get_json()["ok"]
    # Issue 11: the same key with another body is refused (409), no longer answered as the first.
    other = client.post(f"{url}/DO_COLORECTAL/done", json={"done_on": "2026-03-01"}, headers=headers)
    assert other.status_code == 409 and other.get_json()["kind"] == "key_reused"
    with ctx():
        row = db.session.scalar(select(AgendaItem).where(AgendaItem.rule_id == "DO_COLORECTAL"))
        assert row.done_on == date(2026, 2, 1)  # the replay changed nothing
        assert db.session.scalar(select(func.count()).select_from(OutboxReceipt)) == 1


def test_json_without_csrf_header_is_refused(client, claire):
    resp = client.post(f"/p/{claire}/agenda/DO_BREAST/done", json={"done_on": "2026-02-01"},
                       headers={"Accept": "application/json"})
    assert resp.status_code == 400


def test_snooze_not_for_me_and_undo(web, client, claire):
    url = f"/p/{claire}/agenda"
    web.post(f"{url}/DO_BREAST/snooze", {"weeks": "4"}, from_url=url)
    html = page(client, claire).get_data(as_text=True)
    assert "cancer du sein" in section(html, "snoozed-h") and "Reporté jusqu" in html
    web.post(f"{url}/DO_COLORECTAL/dismiss", {"reason": "suivi par mon gastro-entérologue"}, from_url=url)
    html = page(client, claire).get_data(as_text=True)
    assert "suivi par mon gastro-entérologue" in html and "cancer colorectal" not in section(html, "now")
    web.post(f"{url}/DO_COLORECTAL/reopen", {}, from_url=url)
    assert "cancer colorectal" in section(page(client, claire).get_data(as_text=True), "now")


def test_marking_done_drops_pending_reminders_of_that_item(web, ctx, claire):
    with ctx():
        user_id = db.session.scalar(select(User.id))
        db.session.add(Reminder(key="x", user_id=user_id, profile_id=claire, kind="prevention",
                                item_ref="DO_BREAST", due_at=datetime.now(UTC), attempts=0,
                                scheduled_at=datetime.now(UTC) + timedelta(days=1)))
        db.session.commit()
    url = f"/p/{claire}/agenda"
    web.post(f"{url}/DO_BREAST/done", {"done_on": date.today().isoformat()}, from_url=url)
    with ctx():
        assert db.session.scalar(select(func.count()).select_from(Reminder)) == 0


def test_a_personal_appointment_with_its_calendar_file(web, client, ctx, claire):
    url = f"/p/{claire}/agenda/reminders/new"
    day = (date.today() + timedelta(days=10)).isoformat()
    resp = web.post(url, {"kind": "appointment", "title": "Dentiste", "day": day, "at": "10:30",
                          "repeat": "", "notes": "Apporter la carte Vitale"}, from_url=url)
    assert resp.status_code == 302
    html = page(client, claire).get_data(as_text=True)
    assert "Dentiste" in section(html, "personal-h")
    with ctx():
        rem = db.session.scalar(select(PersonalReminder))
        local = rem.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
        assert (local.hour, local.minute) == (10, 30)
        rid = rem.id
    ics = client.get(f"/p/{claire}/agenda/reminders/{rid}.ics")
    text = ics.get_data(as_text=True)
    assert ics.mimetype == "text/calendar" and "BEGIN:VEVENT" in text and "SUMMARY:Dentiste · Claire" in text
    assert f"DTSTART:{rem.starts_at.strftime('%Y%m%dT%H%M%SZ')}" in text and "\r\n" in text
    item = client.get(f"/p/{claire}/agenda/DO_BREAST.ics").get_data(as_text=True)
    assert "DTSTART;VALUE=DATE:" in item and "cancer du sein" in item
    web.post(f"/p/{claire}/agenda/reminders/{rid}/delete", {}, from_url=f"/p/{claire}/agenda")
    assert "Dentiste" not in section(page(client, claire).get_data(as_text=True), "personal-h")


def test_a_caregiver_with_the_agenda_scope_acts_and_it_is_logged(app, web, client, ctx, claire):
    web.logout()
    web.register(email="sophie@example.fr", name="Sophie Bernard")
    with ctx():
        sophie = db.session.scalar(select(User).where(User.email == "sophie@example.fr"))
        db.session.add(Delegation(profile_id=claire, caregiver_id=sophie.id, scopes="agenda",
                                  accepted_at=datetime.now(UTC),
                                  expires_at=datetime.now(UTC) + timedelta(days=30)))
        db.session.commit()
    url = f"/p/{claire}/agenda"
    assert "cancer du sein" in page(client, claire).get_data(as_text=True)
    web.post(f"{url}/DO_BREAST/done", {"done_on": date.today().isoformat()}, from_url=url)
    with ctx():
        actions = set(db.session.scalars(select(AccessEvent.action).where(AccessEvent.profile_id == claire)))
        assert {"agenda.view", "agenda.done"} <= actions


def test_the_page_in_english(web, client, claire):
    web.post("/language", {"lang": "en", "next": "/"}, from_url="/")
    html = page(client, claire).get_data(as_text=True)
    assert "Breast cancer screening" in html and "To do now" in html and "Prevention agenda of Claire" in html


def test_an_infant_agenda_counts_in_months(web, client, ctx, claire):
    with ctx():
        profile = db.session.get(Profile, claire)
        profile.birth_date = date.today() - timedelta(days=130)
        db.session.commit()
    html = page(client, claire).get_data(as_text=True)
    assert "Âge en mois" in html and "hexavalent" in section(html, "now")


def test_items_that_do_not_apply_are_listed_apart(client, ctx, claire):
    with ctx():
        db.session.get(Profile, claire).sex = "M"
        db.session.commit()
    html = page(client, claire).get_data(as_text=True)
    assert "Ne s'applique pas" in html and "cancer du sein" in section(html, "more-h")
    assert "cancer du sein" not in section(html, "now")
