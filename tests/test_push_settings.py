"""Reminder settings: subscribe/unsubscribe this device (only at known push services, so that no
subscription makes the server call an internal address), preferences kept by the service, the renew
hook of the worker, bodies that are not JSON objects refused plainly, and the two commands
(development keys, send-due)."""

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from companion.config import build_config
from companion.extensions import db
from companion.models.account import User
from companion.models.agenda import ReminderPreference
from companion.models.push import PushSubscription
from companion.services import push as push_service
from companion.services import reminders

from .conftest import csrf_from
from .push_receiver import Device, b64e

KNOWN = ["https://fcm.googleapis.com/fcm/send/abc", "https://updates.push.services.mozilla.com/wpush/v2/x",
         "https://eu-west.push.services.mozilla.com/wpush/v2/x", "https://web.push.apple.com/QG9",
         "https://wns2-par02p.notify.windows.com/w/?token=x"]
REFUSED = ["https://169.254.169.254/latest/meta-data", "https://localhost/x", "https://127.0.0.1:8443/x",
           "https://internal.example/x", "http://fcm.googleapis.com/fcm/send/abc",
           "https://fcm.googleapis.com.evil.example/x", "https://evilpush.apple.com/x",
           "https://fcm.googleapis.com:8080/x", "https://user@fcm.googleapis.com/x", "http://127.0.0.1:9/x"]


def _sub(endpoint="https://fcm.googleapis.com/fcm/send/abc"):
    dev = Device("x")
    return {"endpoint": endpoint, "keys": {"p256dh": dev.p256dh, "auth": b64e(dev.auth)}}


@pytest.fixture
def csrf_headers(web, client):
    """Anna registered on `client`; the header her JSON requests carry."""
    web.register()
    return {"X-CSRFToken": csrf_from(client.get("/settings/reminders").get_data(as_text=True))}


def _count(ctx):
    with ctx():
        return db.session.scalar(select(func.count()).select_from(PushSubscription))


def test_subscribe_and_unsubscribe_this_device(web, client, ctx):
    web.register()
    html = client.get("/settings/reminders").get_data(as_text=True)
    assert "Activer les rappels sur cet appareil" in html and "rien sur la santé" in html
    headers = {"X-CSRFToken": csrf_from(html)}
    assert client.post("/push/subscribe", json=_sub(), headers=headers).status_code == 200
    assert client.post("/push/subscribe", json=_sub(), headers=headers).status_code == 200  # same device
    with ctx():
        assert db.session.scalar(select(func.count()).select_from(PushSubscription)) == 1
    bad = {"endpoint": "http://evil.example/x", "keys": _sub()["keys"]}
    assert client.post("/push/subscribe", json=bad, headers=headers).status_code == 400
    assert client.post("/push/subscribe", json=_sub(), headers={}).status_code == 400  # no CSRF token
    client.post("/push/unsubscribe", json={"endpoint": _sub()["endpoint"]}, headers=headers)
    with ctx():
        assert db.session.scalar(select(func.count()).select_from(PushSubscription)) == 0


@pytest.mark.parametrize("keys", [
    {"p256dh": b64e(b"\x04" + b"\x00" * 64), "auth": b64e(b"a" * 16)},  # 65 bytes, not a point on P-256
    {"p256dh": Device("y").p256dh, "auth": b64e(b"a" * 15)},  # a secret of 15 bytes
])
def test_keys_no_message_could_be_encrypted_for_are_refused_in_plain_words(client, ctx, csrf_headers, keys):
    answer = client.post("/push/subscribe", json={"endpoint": _sub()["endpoint"], "keys": keys},
                         headers=csrf_headers)
    assert answer.status_code == 400
    assert answer.get_json()["message"].startswith("Cet appareil a donné des clés")
    assert _count(ctx) == 0


def test_the_worker_moves_a_renewed_subscription(web, client, ctx, csrf_headers):
    client.post("/push/subscribe", json=_sub(), headers=csrf_headers)
    fresh = _sub("https://fcm.googleapis.com/fcm/send/new")
    anon = web.client.application.test_client()
    unknown = {"old": "https://fcm.googleapis.com/fcm/send/unknown", "sub": fresh}
    assert anon.post("/push/renew", json=unknown).status_code == 404
    assert anon.post("/push/renew", json={"old": _sub()["endpoint"], "sub": fresh}).status_code == 200
    with ctx():
        assert db.session.scalars(select(PushSubscription.endpoint)).all() == ["https://fcm.googleapis.com/fcm/send/new"]


def test_preferences_are_saved(web, client, ctx):
    web.register()
    resp = web.post("/settings/reminders", {"quiet_start": "22:00", "quiet_end": "07:30",
                                            "prevention_leads": ["0"], "appointment_leads": ["1440", "30"]},
                    from_url="/settings/reminders")
    assert resp.status_code == 302
    with ctx():
        pref = db.session.scalar(select(ReminderPreference))
        assert (pref.quiet_start, pref.quiet_end) == (22 * 60, 7 * 60 + 30)
        assert pref.prevention_leads == "0" and set(pref.appointment_leads.split()) == {"1440", "30"}
        assert pref.muted_profiles.strip() != ""  # the profile box was left unticked: muted


def test_vapid_keys_command_writes_development_keys(app, tmp_path):
    runner = app.test_cli_runner()
    app.config["INSTANCE_DIR"], old = str(tmp_path), app.config["INSTANCE_DIR"]
    try:
        result = runner.invoke(args=["push", "vapid-keys"])
        assert result.exit_code == 0, result.output
        keys = json.loads(Path(tmp_path / "vapid.json").read_text())
        assert keys["public_key"] in result.output and keys["private_key"] not in result.output
        assert push_service.Sender(keys).public_key == keys["public_key"]
        result = runner.invoke(args=["reminders", "send-due"])
        assert result.exit_code == 0 and "sent: 0" in result.output
    finally:
        app.config["INSTANCE_DIR"] = old


def test_the_server_runs_the_reminder_batch_every_minute(app, tmp_path):
    from companion.commands import reminders as reminder_commands
    from companion.wiring import JOBS

    job = next(j for j in JOBS if j.name == "reminders")
    assert job.every_seconds == 60 and job.run is reminder_commands.job
    app.config["INSTANCE_DIR"], old = str(tmp_path), app.config["INSTANCE_DIR"]
    try:
        push_service.write_dev_keys(str(tmp_path))
        job.run(app)  # opens its own app context, like the scheduler thread
    finally:
        app.config["INSTANCE_DIR"] = old


@pytest.mark.parametrize("endpoint", KNOWN)
def test_the_known_push_services_are_accepted(client, ctx, csrf_headers, endpoint):
    assert client.post("/push/subscribe", json=_sub(endpoint), headers=csrf_headers).status_code == 200
    assert _count(ctx) == 1


@pytest.mark.parametrize("endpoint", REFUSED)
def test_any_other_address_is_refused_plainly(client, ctx, csrf_headers, endpoint):
    resp = client.post("/push/subscribe", json=_sub(endpoint), headers=csrf_headers)
    assert resp.status_code == 400 and "service de notification que nous ne connaissons pas" in \
        resp.get_json()["message"]
    assert _count(ctx) == 0


def test_renew_cannot_repoint_a_subscription_to_an_internal_address(web, client, ctx, csrf_headers):
    old = "https://fcm.googleapis.com/fcm/send/old"
    client.post("/push/subscribe", json=_sub(old), headers=csrf_headers)
    anon = web.client.application.test_client()
    resp = anon.post("/push/renew", json={"old": old, "sub": _sub("https://10.0.0.5/admin")})
    assert resp.status_code == 400
    with ctx():
        assert db.session.scalars(select(PushSubscription.endpoint)).all() == [old]


def test_a_local_push_service_only_through_the_setting(app, client, ctx, csrf_headers, monkeypatch):
    local = "http://127.0.0.1:8765/push/dev"
    assert app.config["PUSH_ALLOWED_HOSTS"] == ""
    assert client.post("/push/subscribe", json=_sub(local), headers=csrf_headers).status_code == 400
    monkeypatch.setitem(app.config, "PUSH_ALLOWED_HOSTS", "127.0.0.1, push.internal.example")
    assert client.post("/push/subscribe", json=_sub(local), headers=csrf_headers).status_code == 200
    assert _count(ctx) == 1


def test_the_setting_is_read_from_the_environment_at_start(monkeypatch):
    monkeypatch.setenv("COMPANION_PUSH_ALLOWED_HOSTS", "127.0.0.1, push.internal.example")
    hosts = push_service.allowed_hosts(build_config())
    assert {"127.0.0.1", "push.internal.example", "fcm.googleapis.com"} <= set(hosts)
    assert push_service.endpoint_allowed("http://127.0.0.1:8765/push/dev", hosts)
    monkeypatch.delenv("COMPANION_PUSH_ALLOWED_HOSTS")
    assert not push_service.endpoint_allowed("http://127.0.0.1:8765/push/dev",
                                             push_service.allowed_hosts(build_config()))


BAD_BODIES = ['["https://fcm.googleapis.com/x"]', '"text"', "3", "{broken", "null"]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_subscribe_and_unsubscribe_with_a_body_that_is_not_an_object(client, csrf_headers, body):
    for path in ("/push/subscribe", "/push/unsubscribe"):
        resp = client.post(path, data=body, headers=csrf_headers, content_type="application/json")
        assert resp.status_code == 400, path
        assert resp.get_json()["message"] == "Cet appareil a donné des clés que nous ne pouvons pas utiliser."


@pytest.mark.parametrize("keys", ["abc", ["p", "a"], 5, None])
def test_keys_that_are_not_an_object_get_a_400(client, csrf_headers, web, keys):
    body = {"endpoint": "https://fcm.googleapis.com/fcm/send/abc", "keys": keys}
    assert client.post("/push/subscribe", json=body, headers=csrf_headers).status_code == 400
    anon = web.client.application.test_client()
    for renew in ({"old": "x", "sub": body}, {"old": "x", "sub": "text"}, [body]):
        assert anon.post("/push/renew", json=renew).status_code == 400


def test_saving_preferences_is_a_service_that_mutes_only_unticked_profiles(app, ctx, web):
    web.register()
    with ctx():
        user_id = db.session.scalar(select(User.id))
        reminders.save_preferences(user_id, [11, 12, 13], {12, 99}, 22 * 60, 7 * 60, [0], [1440, 120])
        db.session.commit()
        pref = db.session.scalar(select(ReminderPreference).where(ReminderPreference.user_id == user_id))
        assert pref.muted_profiles == "11 13" and (pref.quiet_start, pref.quiet_end) == (1320, 420)
        assert reminders.leads(pref.appointment_leads) == [1440, 120]
