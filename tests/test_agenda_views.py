"""The agenda pages as a person and a caregiver use them: see what is due, mark done (form and
offline-queue JSON with an idempotency key: a replay, even racing the first send, applies once, and a
body that is not a JSON object gets a plain 400), snooze, "not for me", personal reminders and .ics
files that keep health detail off the lock screen."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from companion.extensions import db
from companion.models.account import User
from companion.models.agenda import AgendaItem, PersonalReminder, Reminder
from companion.models.audit import AccessEvent
from companion.models.outbox import OutboxReceipt
from companion.models.profile import Profile
from companion.services import receipts

from .cast import delegate, sign_up
from .conftest import csrf_from


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
    assert '<svg' in html and 'role="img"' in html and "Le calendrier en mots" in html


def test_marking_done_reschedules_the_next_screening(web, client, ctx, claire):
    url = f"/p/{claire}/agenda"
    resp = web.post(f"{url}/DO_BREAST/done", {"done_on": "2026-01-05"}, from_url=url)
    assert resp.status_code == 302
    html = page(client, claire).get_data(as_text=True)
    assert "C’est noté comme fait" in html
    done = section(html, "done-h")
    assert "cancer du sein" in done
    assert "5\u00a0janvier\u00a02026" in done and "5\u00a0janvier\u00a02028" in done
    assert "cancer du sein" not in section(html, "now")


def test_a_future_done_date_is_refused(web, client, claire):
    url = f"/p/{claire}/agenda"
    future = (date.today() + timedelta(days=40)).isoformat()
    resp = web.post(f"{url}/DO_BREAST/done", {"done_on": future}, from_url=url)
    assert resp.status_code == 400 and "dans le futur" in resp.get_data(as_text=True)


def _headers(client, pid, key="r" * 24):
    token = csrf_from(client.get(f"/p/{pid}/agenda").get_data(as_text=True))
    return {"X-CSRFToken": token, "Idempotency-Key": key, "Accept": "application/json"}


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
    # Neutral title by default (issue 13); the name only when the person picks "Add it with its name".
    assert ics.mimetype == "text/calendar" and "BEGIN:VEVENT" in text and "SUMMARY:Rappel santé" in text
    assert "Dentiste" not in text and "Vitale" not in text
    named = client.get(f"/p/{claire}/agenda/reminders/{rid}.ics?label=1").get_data(as_text=True)
    assert "SUMMARY:Dentiste · Claire" in named and "DESCRIPTION:Apporter la carte Vitale" in named
    # Local time with its zone, so summer time cannot move it.
    assert f"DTSTART;TZID=Europe/Paris:{local.strftime('%Y%m%dT%H%M%S')}" in text and "\r\n" in text
    item = client.get(f"/p/{claire}/agenda/DO_BREAST.ics").get_data(as_text=True)
    assert "DTSTART;VALUE=DATE:" in item and "cancer du sein" not in item and "SUMMARY:Rappel santé" in item
    assert "cancer du sein" in client.get(f"/p/{claire}/agenda/DO_BREAST.ics?label=1").get_data(as_text=True)
    web.post(f"/p/{claire}/agenda/reminders/{rid}/delete", {}, from_url=f"/p/{claire}/agenda")
    assert "Dentiste" not in section(page(client, claire).get_data(as_text=True), "personal-h")


def test_the_calendar_alarm_says_nothing_about_health_or_who(web, client, claire):
    url = f"/p/{claire}/agenda/reminders/new"
    web.post(url, {"kind": "appointment", "title": "Oncologue", "day": "2030-05-02", "at": "10:30",
                   "repeat": "", "notes": ""}, from_url=url)
    for path in [f"/p/{claire}/agenda/reminders/1.ics", f"/p/{claire}/agenda/DO_BREAST.ics"]:
        text = client.get(path).get_data(as_text=True)
        alarm = text[text.index("BEGIN:VALARM"):text.index("END:VALARM")]
        assert "DESCRIPTION:Un rappel vous attend dans Companion" in alarm
        assert "Oncologue" not in alarm and "Claire" not in alarm and "sein" not in alarm


def test_a_caregiver_with_the_agenda_scope_acts_and_it_is_logged(app, web, client, ctx, claire):
    web.logout()
    sign_up(web, ctx, "sophie")
    delegate(ctx, claire, "sophie", "agenda")
    url = f"/p/{claire}/agenda"
    assert "cancer du sein" in page(client, claire).get_data(as_text=True)
    web.post(f"{url}/DO_BREAST/done", {"done_on": date.today().isoformat()}, from_url=url)
    with ctx():
        actions = set(db.session.scalars(select(AccessEvent.action).where(AccessEvent.profile_id == claire)))
        assert {"agenda.view", "agenda.done"} <= actions


def test_a_caregiver_s_look_at_a_reminder_s_form_is_in_the_owner_s_log(web, client, ctx, claire):
    """The form shows the reminder's title and notes: opening it is a read, as the agenda page is."""
    url = f"/p/{claire}/agenda/reminders/new"
    web.post(url, {"kind": "appointment", "title": "Oncologue", "day": "2030-05-02", "at": "10:30",
                   "repeat": "", "notes": "Apporter le scanner"}, from_url=url)
    with ctx():
        rid = db.session.scalar(select(PersonalReminder.id).where(PersonalReminder.profile_id == claire))
    web.logout()
    sign_up(web, ctx, "sophie")
    delegate(ctx, claire, "sophie", "agenda")
    form = client.get(f"/p/{claire}/agenda/reminders/{rid}/edit").get_data(as_text=True)
    assert "Apporter le scanner" in form
    with ctx():
        logged = db.session.scalars(select(AccessEvent.action).where(
            AccessEvent.profile_id == claire, AccessEvent.actor_role == "caregiver")).all()
    assert logged == ["agenda.view"]


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
    now = section(html, "now")
    assert "Âge en mois" in html and "Vaccin 6 en 1" in now and "DTCaP-Hib-HépB" in now


def test_items_that_do_not_apply_are_listed_apart(client, ctx, claire):
    with ctx():
        db.session.get(Profile, claire).sex = "M"
        db.session.commit()
    html = page(client, claire).get_data(as_text=True)
    assert "Ne s’applique pas" in html and "cancer du sein" in section(html, "more-h")
    assert "cancer du sein" not in section(html, "now")


def test_no_url_and_no_calendar_file_names_a_prevention_item(app, web, client, ctx, claire):
    """A rule's id tells what the item is (a pregnancy, an age band): URLs end in server logs and the
    browser's history, calendar files in shared calendars and Downloads. They carry an opaque code,
    which works for every action; the old form of a link still opens its item, an unknown code is a 404."""
    import re

    from companion.prevention import load_rules

    html = page(client, claire).get_data(as_text=True)
    urls = re.findall(r'(?:action|href)="([^"]*/agenda/[^"]*)"', html)
    assert any(u.endswith(".ics") for u in urls) and any(u.endswith("/done") for u in urls)
    rule_ids = [rid for rid in load_rules() if rid.lower() in html.lower()]
    assert "DO_BREAST" in rule_ids  # the page names it (its data, for scripts) ...
    named = [u for u in urls if any(rid.lower() in u.lower() for rid in rule_ids)]
    assert named == []  # ... but no link or form does, nor a place a link may point to (#fragment)
    places = re.findall(r'<li class="agenda-item[^"]*" id="([^"]*)"', html)
    assert places and not [p for p in places if any(rid.lower() in p.lower() for rid in rule_ids)]
    ics_url = next(u for u in urls if u.endswith(".ics") and "reminders" not in u)
    resp = client.get(ics_url)
    text, disposition = resp.get_data(as_text=True), resp.headers["Content-Disposition"]
    assert resp.status_code == 200 and "SUMMARY:Rappel santé" in text
    assert not any(rid.lower() in (text + disposition).lower() for rid in load_rules()), disposition
    # The breast screening's own "done" form, by its code, marks that item.
    start = html.index('data-rule="DO_BREAST"')
    breast = html[start:html.find('<li class="agenda-item', start)]
    done = re.search(r'action="([^"]*/done)"', breast).group(1)
    resp = web.post(done, {"done_on": "2026-01-05"}, from_url=f"/p/{claire}/agenda")
    # The page it opens at goes to the browser's history, #fragment included.
    assert resp.status_code == 302 and "#item-" in resp.location
    assert not any(rid.lower() in resp.location.lower() for rid in load_rules()), resp.location
    assert "cancer du sein" in section(page(client, claire).get_data(as_text=True), "done-h")
    assert client.get(f"/p/{claire}/agenda/DO_COLORECTAL.ics").status_code == 200  # an old link
    assert client.get(f"/p/{claire}/agenda/0123456789ab.ics").status_code == 404
    assert web.post(f"/p/{claire}/agenda/NOT_A_RULE/done", {"done_on": "2026-01-05"},
                    from_url=f"/p/{claire}/agenda").status_code == 404
