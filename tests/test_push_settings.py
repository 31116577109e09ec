"""Reminder settings: subscribe/unsubscribe this device, preferences, the renew hook of the worker,
and the two commands (development keys, send-due)."""

import json
from pathlib import Path

from sqlalchemy import func, select

from companion.extensions import db
from companion.models.agenda import ReminderPreference
from companion.models.push import PushSubscription
from companion.services import push as push_service

from .conftest import csrf_from
from .push_receiver import Device, b64e


def _sub(endpoint="https://fcm.googleapis.com/fcm/send/abc"):
    dev = Device("x")
    return {"endpoint": endpoint, "keys": {"p256dh": dev.p256dh, "auth": b64e(dev.auth)}}


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


def test_the_worker_moves_a_renewed_subscription(web, client, ctx):
    web.register()
    headers = {"X-CSRFToken": csrf_from(client.get("/settings/reminders").get_data(as_text=True))}
    client.post("/push/subscribe", json=_sub(), headers=headers)
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
