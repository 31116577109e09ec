"""The generic idempotency decorator (web/idempotency.py) on the writes the offline outbox replays: one
effect per key, the stored answer again, 409 for the same key with another request, a refused write
leaves its key free, JSON answers with plain words for conflicts; and two identical requests at the
same instant (threads, on SQLite and PostgreSQL) apply once."""

import io
import threading
import time

import pytest
from sqlalchemy import func, select

from companion.extensions import db
from companion.models.agenda import PersonalReminder
from companion.models.document import Document
from companion.models.outbox import IdempotencyReceipt
from companion.models.profile import Profile
from companion.services import agenda_store
from companion.web.idempotency import idempotent

from .cast import delegate, sign_up
from .conftest import csrf_from
from .documents_support import PDF

REMINDER = {"kind": "appointment", "title": "Dentiste", "day": "2027-01-05", "at": "09:30", "repeat": ""}


def _headers(client, url, key):
    token = csrf_from(client.get(url).get_data(as_text=True))
    return {"X-CSRFToken": token, "Idempotency-Key": key, "Accept": "application/json"}


def _count(ctx, model, *where):
    with ctx():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def anna(web, ctx):
    return sign_up(web, ctx)


def _upload(web, client, pid, title="Bilan"):
    token = web.token(f"/p/{pid}/documents/upload")
    resp = client.post(f"/p/{pid}/documents/upload", data={
        "csrf_token": token, "type_code": "11502-2", "title": title, "file": (io.BytesIO(PDF), "bilan.pdf")},
        content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return int(resp.get_json()["url"].rstrip("/").split("/")[-1])


def test_every_write_the_outbox_replays_carries_the_decorator(app):
    names = ["agenda.done", "agenda.snooze", "agenda.dismiss", "agenda.reopen", "agenda.reminder_new",
             "agenda.reminder_edit", "agenda.reminder_delete", "profiles.edit", "documents.edit",
             "documents.hide", "documents.delete", "documents.upload"]
    code = idempotent(lambda: None).__code__
    for name in names:
        view = app.view_functions[name]
        inner = view
        found = False
        while inner is not None:
            if getattr(inner, "__code__", None) is code:
                found = True
                break
            inner = getattr(inner, "__wrapped__", None)
        assert found, f"{name} is not @idempotent"


def test_adding_a_reminder_twice_with_one_key_adds_it_once_and_answers_the_same(client, ctx, anna):
    url = f"/p/{anna}/agenda/reminders/new"
    headers = _headers(client, url, "add-key-0001")
    first = client.post(url, data=REMINDER, headers=headers)
    again = client.post(url, data=REMINDER, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json() and first.get_json()["ok"]
    assert "ajouté" in first.get_json()["message"].lower()
    assert _count(ctx, PersonalReminder, PersonalReminder.profile_id == anna) == 1
    assert _count(ctx, IdempotencyReceipt) == 1


def test_the_same_key_with_another_request_is_refused_with_409_in_plain_words(client, ctx, anna):
    url = f"/p/{anna}/agenda/reminders/new"
    headers = _headers(client, url, "add-key-0002")
    assert client.post(url, data=REMINDER, headers=headers).status_code == 200
    other = client.post(url, data={**REMINDER, "title": "Kiné"}, headers=headers)
    assert other.status_code == 409
    assert other.get_json()["kind"] == "key_reused" and "autre contenu" in other.get_json()["message"]
    # Another path with that key is another request too.
    assert client.post(f"/p/{anna}/agenda/DO_BREAST/done", data={"done_on": "2026-01-05"},
                       headers=headers).status_code == 409
    assert _count(ctx, PersonalReminder, PersonalReminder.profile_id == anna) == 1


def test_a_new_form_token_does_not_make_another_request(client, ctx, anna):
    """The outbox fetches a fresh CSRF token before a replay: the token is not part of the request."""
    url = f"/p/{anna}/agenda/reminders/new"
    headers = _headers(client, url, "add-key-0003")
    token = headers["X-CSRFToken"]
    assert client.post(url, data={**REMINDER, "csrf_token": token}, headers=headers).status_code == 200
    assert client.post(url, data=REMINDER, headers=headers).status_code == 200
    assert _count(ctx, PersonalReminder, PersonalReminder.profile_id == anna) == 1


def test_a_refused_write_leaves_its_key_free(client, ctx, anna):
    url = f"/p/{anna}/agenda/reminders/new"
    headers = _headers(client, url, "add-key-0004")
    refused = client.post(url, data={**REMINDER, "title": ""}, headers=headers)
    assert refused.status_code == 400 and refused.get_json()["ok"] is False
    assert _count(ctx, IdempotencyReceipt) == 0
    assert client.post(url, data={**REMINDER, "title": "Dentiste"}, headers=headers).status_code == 200
    assert _count(ctx, PersonalReminder, PersonalReminder.profile_id == anna) == 1


def test_keys_are_per_account(client, web, ctx, anna):
    url = f"/p/{anna}/agenda/reminders/new"
    assert client.post(url, data=REMINDER, headers=_headers(client, url, "shared-key-01")).status_code == 200
    web.logout()
    other = sign_up(web, ctx, "paul")
    url = f"/p/{other}/agenda/reminders/new"
    assert client.post(url, data=REMINDER, headers=_headers(client, url, "shared-key-01")).status_code == 200
    assert _count(ctx, PersonalReminder) == 2


def test_a_bad_key_is_refused(client, anna):
    url = f"/p/{anna}/agenda/reminders/new"
    assert client.post(url, data=REMINDER, headers=_headers(client, url, "no spaces!")).status_code == 400


def test_profile_edit_answers_json_and_replays_once(client, ctx, anna):
    url = f"/p/{anna}/edit"
    headers = _headers(client, url, "profile-key-1")
    data = {"first_name": "Annie", "last_name": "Petit", "birth_date": "1950-02-03", "sex": "F", "ins": ""}
    first = client.post(url, data=data, headers=headers)
    assert first.status_code == 200 and first.get_json()["ok"]
    assert first.get_json()["url"].endswith(f"/p/{anna}/")
    assert first.get_json()["message"] == "Le profil est enregistré."
    with ctx():
        db.session.get(Profile, anna).first_name = "Anna"  # changed since on another device
        db.session.commit()
    assert client.post(url, data=data, headers=headers).get_json() == first.get_json()
    with ctx():
        assert db.session.get(Profile, anna).first_name == "Anna"  # the replay did not apply again


def test_an_upload_replayed_with_another_multipart_boundary_is_the_same_request(web, client, ctx, anna):
    url = f"/p/{anna}/documents/upload"
    headers = _headers(client, url, "upload-key-01")
    def data():
        return {"type_code": "11502-2", "title": "Radio", "file": (io.BytesIO(PDF), "radio.pdf")}

    first = client.post(url, data=data(), headers=headers, content_type="multipart/form-data")
    again = client.post(url, data=data(), headers=headers, content_type="multipart/form-data")
    assert first.status_code == again.status_code == 201 and first.get_json() == again.get_json()
    changed = client.post(url, data={**data(), "file": (io.BytesIO(PDF + b"%"), "radio.pdf")},
                          headers=headers, content_type="multipart/form-data")
    assert changed.status_code == 409
    assert _count(ctx, Document, Document.profile_id == anna) == 1


def test_a_rename_over_a_rename_made_elsewhere_is_a_409_with_the_current_name(web, client, ctx, anna):
    doc = _upload(web, client, anna, "Bilan")
    url = f"/p/{anna}/documents/{doc}/edit"
    form = {"title": "Bilan de mars", "type_code": "11502-2", "base_title": "Bilan"}
    with ctx():
        db.session.get(Document, doc).title = "Bilan sanguin"  # renamed on another device
        db.session.commit()
    resp = client.post(url, data=form, headers=_headers(client, url, "rename-key-1"))
    assert resp.status_code == 409
    body = resp.get_json()
    assert body["kind"] == "renamed" and body["current"] == "Bilan sanguin"
    assert "déjà été renommé «\u00a0Bilan sanguin\u00a0»" in body["message"]
    # "Keep mine": the same change on top of the name seen now goes through.
    resp = client.post(url, data={**form, "base_title": "Bilan sanguin"},
                       headers=_headers(client, url, "rename-key-2"))
    assert resp.status_code == 200
    with ctx():
        assert db.session.get(Document, doc).title == "Bilan de mars"


def test_without_javascript_the_rename_conflict_shows_the_form_again(web, client, ctx, anna):
    doc = _upload(web, client, anna, "Bilan")
    with ctx():
        db.session.get(Document, doc).title = "Bilan sanguin"
        db.session.commit()
    resp = web.post(f"/p/{anna}/documents/{doc}/edit", {"title": "Bilan 2", "type_code": "11502-2",
                                                         "base_title": "Bilan"})
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "Bilan sanguin" in html and 'name="base_title" type="hidden" value="Bilan sanguin"' in html


def test_a_write_on_a_document_deleted_elsewhere_says_it_is_gone(web, client, ctx, anna):
    doc = _upload(web, client, anna)
    url = f"/p/{anna}/documents/{doc}/delete"
    headers = _headers(client, f"/p/{anna}/documents", "delete-key-1")
    assert client.post(url, headers=headers).status_code == 200
    hide = client.post(f"/p/{anna}/documents/{doc}/hide", data={"hidden": "1"},
                       headers=_headers(client, f"/p/{anna}/documents", "hide-key-001"))
    assert hide.status_code == 404 and hide.get_json()["kind"] == "gone"
    assert _count(ctx, IdempotencyReceipt) == 1  # the refused one left its key free


def test_a_write_after_the_access_ended_says_so(web, client, ctx, anna):
    web.logout()
    sign_up(web, ctx, "sophie")
    delegate(ctx, anna, "sophie", "agenda")
    url = f"/p/{anna}/agenda/reminders/new"
    headers = _headers(client, url, "access-key-1")
    from companion.models.delegation import Delegation

    with ctx():
        db.session.execute(Delegation.__table__.delete())
        db.session.commit()
    resp = client.post(url, data=REMINDER, headers=headers)
    assert resp.status_code == 404 and resp.get_json()["kind"] == "access"
    assert _count(ctx, IdempotencyReceipt) == 0


def test_two_identical_requests_at_the_same_instant_apply_once(app, client, ctx, anna, monkeypatch):
    """Both threads claim the key while the first is still applying (its effect is slowed down)."""
    url = f"/p/{anna}/agenda/reminders/new"
    headers = _headers(client, url, "race-key-0001")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    original, answers = agenda_store.add_personal, []

    def slow(*args, **kwargs):
        row = original(*args, **kwargs)
        time.sleep(0.4)  # the claim and the effect are written, not yet committed
        return row

    monkeypatch.setattr(agenda_store, "add_personal", slow)
    start = threading.Barrier(2)

    def send():
        other = app.test_client()
        other.set_cookie(cookie.key, cookie.value, domain=cookie.domain or "localhost")
        start.wait()
        answers.append(other.post(url, data=REMINDER, headers=headers))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    statuses = sorted(r.status_code for r in answers)
    assert statuses in ([200, 200], [200, 503]), [r.get_data(as_text=True) for r in answers]
    assert _count(ctx, PersonalReminder, PersonalReminder.profile_id == anna) == 1
    # A later replay (what the outbox does after a 503) gets the stored answer.
    again = client.post(url, data=REMINDER, headers=headers)
    assert again.status_code == 200 and again.get_json()["ok"]
    assert _count(ctx, PersonalReminder, PersonalReminder.profile_id == anna) == 1


def test_two_identical_requests_on_the_threaded_server_apply_once(app, client, ctx, anna, monkeypatch):
    """The same race through werkzeug's threaded server (what `make run` and the e2e tests use)."""
    import http.client
    from urllib.parse import urlencode

    from werkzeug.serving import make_server

    url = f"/p/{anna}/agenda/reminders/new"
    headers = _headers(client, url, "threaded-key-01")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    original, answers = agenda_store.add_personal, []

    def slow(*args, **kwargs):
        row = original(*args, **kwargs)
        time.sleep(0.4)
        return row

    monkeypatch.setattr(agenda_store, "add_personal", slow)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    start = threading.Barrier(2)

    def send():
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
        start.wait()
        conn.request("POST", url, urlencode(REMINDER), {
            **headers, "Host": "localhost", "Cookie": f"{cookie.key}={cookie.value}",
            "Content-Type": "application/x-www-form-urlencoded"})
        resp = conn.getresponse()
        answers.append((resp.status, resp.read()))

    try:
        threads = [threading.Thread(target=send) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        server.shutdown()
    assert sorted(status for status, _ in answers) in ([200, 200], [200, 503]), answers
    assert _count(ctx, PersonalReminder, PersonalReminder.profile_id == anna) == 1
    assert _count(ctx, IdempotencyReceipt) == 1
