"""Security review of Web Push: only known push services are called (no requests to internal
addresses through a subscription), bodies that are not JSON objects get a plain 400, and the
reminder settings are kept by the service."""

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


def _sub(endpoint):
    dev = Device("x")
    return {"endpoint": endpoint, "keys": {"p256dh": dev.p256dh, "auth": b64e(dev.auth)}}


@pytest.fixture
def signed_in(web, client):
    web.register()
    return {"X-CSRFToken": csrf_from(client.get("/settings/reminders").get_data(as_text=True))}


def _count(ctx):
    with ctx():
        return db.session.scalar(select(func.count()).select_from(PushSubscription))


@pytest.mark.parametrize("endpoint", KNOWN)
def test_the_known_push_services_are_accepted(client, ctx, signed_in, endpoint):
    assert client.post("/push/subscribe", json=_sub(endpoint), headers=signed_in).status_code == 200
    assert _count(ctx) == 1


@pytest.mark.parametrize("endpoint", REFUSED)
def test_any_other_address_is_refused_plainly(client, ctx, signed_in, endpoint):
    resp = client.post("/push/subscribe", json=_sub(endpoint), headers=signed_in)
    assert resp.status_code == 400 and "service de notification que nous ne connaissons pas" in \
        resp.get_json()["message"]
    assert _count(ctx) == 0


def test_renew_cannot_repoint_a_subscription_to_an_internal_address(web, client, ctx, signed_in):
    old = "https://fcm.googleapis.com/fcm/send/old"
    client.post("/push/subscribe", json=_sub(old), headers=signed_in)
    anon = web.client.application.test_client()
    resp = anon.post("/push/renew", json={"old": old, "sub": _sub("https://10.0.0.5/admin")})
    assert resp.status_code == 400
    with ctx():
        assert db.session.scalars(select(PushSubscription.endpoint)).all() == [old]


def test_a_local_push_service_only_through_the_setting(app, client, ctx, signed_in, monkeypatch):
    local = "http://127.0.0.1:8765/push/dev"
    assert app.config["PUSH_ALLOWED_HOSTS"] == ""
    assert client.post("/push/subscribe", json=_sub(local), headers=signed_in).status_code == 400
    monkeypatch.setitem(app.config, "PUSH_ALLOWED_HOSTS", "127.0.0.1, push.internal.example")
    assert client.post("/push/subscribe", json=_sub(local), headers=signed_in).status_code == 200
    assert _count(ctx) == 1


def test_the_setting_is_read_from_the_environment_at_start(monkeypatch):
    monkeypatch.setenv("COMPANION_PUSH_ALLOWED_HOSTS", "127.0.0.1, push.internal.example")
    hosts = push_service.allowed_hosts(build_config())
    assert {"127.0.0.1", "push.internal.example", "fcm.googleapis.com"} <= set(hosts)
    assert push_service.endpoint_allowed("http://127.0.0.1:8765/push/dev", hosts)
    monkeypatch.delenv("COMPANION_PUSH_ALLOWED_HOSTS")
    assert not push_service.endpoint_allowed("http://127.0.0.1:8765/push/dev",
                                             push_service.allowed_hosts(build_config()))


def test_a_subscription_kept_before_the_check_is_not_called(app, ctx, monkeypatch):
    called = []
    monkeypatch.setattr(push_service, "webpush", lambda *a, **k: called.append(a))
    with ctx():
        sub = PushSubscription(endpoint="https://192.168.1.1/x", user_id=1, p256dh="p", auth="a", failures=0)
        outcome = push_service.Sender(push_service.generate_keys(), allowed=push_service.PUSH_HOSTS).send(
            sub, {"title": "x"}, "prevention")
    assert outcome.result == "gone" and called == []


BAD_BODIES = ['["https://fcm.googleapis.com/x"]', '"text"', "3", "{broken", "null"]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_subscribe_and_unsubscribe_with_a_body_that_is_not_an_object(client, signed_in, body):
    for path in ("/push/subscribe", "/push/unsubscribe"):
        resp = client.post(path, data=body, headers=signed_in, content_type="application/json")
        assert resp.status_code == 400, path
        assert resp.get_json()["message"] == "Cet appareil a donné des clés que nous ne pouvons pas utiliser."


@pytest.mark.parametrize("keys", ["abc", ["p", "a"], 5, None])
def test_keys_that_are_not_an_object_get_a_400(client, signed_in, web, keys):
    body = {"endpoint": "https://fcm.googleapis.com/fcm/send/abc", "keys": keys}
    assert client.post("/push/subscribe", json=body, headers=signed_in).status_code == 400
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


def test_the_batch_refuses_to_run_inside_a_web_request(app):
    with app.test_request_context("/"):
        with pytest.raises(RuntimeError):
            reminders.claim(reminders.utcnow())
