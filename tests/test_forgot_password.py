"""A forgotten password (issue 14): help shown after a wrong password, a link by e-mail (real SMTP)
that works once and for 30 minutes, in the recipient's language, with no health data, sent by the
task queue; an account with a key still needs its key. And the e-mail after a login on a new device."""

import re

from sqlalchemy import select

from companion import tasks as tasks_module
from companion.extensions import db
from companion.models.account import User
from companion.services import password_reset

from .cast import give_key
from .conftest import Browser
from .smtp_server import smtp  # noqa: F401 (fixture)
from .test_mail import HEALTH_WORDS

LINK = re.compile(r"http://localhost:5000(/password/reset/\S+)")


def _ask(web, email="anna@example.fr"):
    return web.post("/password/forgot", {"email": email}, from_url="/password/forgot")


def _link(smtp):  # noqa: F811
    (_to, msg), = smtp.messages
    return LINK.search(msg.get_content()).group(1)


def test_a_wrong_password_points_to_every_way_back_in(web):
    web.register()
    web.logout()
    assert "/password/forgot" not in web.get("/login").get_data(as_text=True)  # the first visit stays small
    page = web.login(password="pas le bon").get_data(as_text=True)
    assert 'id="forgot"' in page and 'href="/password/forgot"' in page
    assert 'href="/onboarding/recover"' in page and "France Services" in page


def test_the_link_by_e_mail_sets_a_new_password_once(app, web, smtp):  # noqa: F811
    web.register()
    web.logout()
    resp = _ask(web)
    assert resp.status_code == 302 and resp.location.endswith("/password/forgot/sent")
    (to, msg), = smtp.messages
    assert to == ["anna@example.fr"] and msg["Content-Language"] == "fr"
    assert "Anna" in msg.get_content() and "30 minutes" in msg.get_content()
    assert not [w for w in HEALTH_WORDS if w in msg.get_content().lower() or w in msg["Subject"].lower()]
    link = _link(smtp)
    assert web.get(link).status_code == 200
    resp = web.post(link, {"password": "une toute nouvelle phrase"}, from_url=link)
    assert resp.status_code == 302 and resp.location.endswith("/login")
    assert web.login(password="une toute nouvelle phrase").status_code == 302
    # Used once: the same link no longer works, and says what to do.
    again = web.get(link)
    assert again.status_code == 410 and 'href="/password/forgot"' in again.get_data(as_text=True)


def test_an_unknown_address_gets_the_same_answer_and_no_message(web, smtp):  # noqa: F811
    resp = _ask(web, "nobody@example.fr")
    assert resp.status_code == 302 and resp.location.endswith("/password/forgot/sent")
    assert smtp.messages == []


def test_the_message_is_in_the_account_language(app, web, smtp):  # noqa: F811
    web.register()
    with app.app_context():
        db.session.scalar(select(User)).locale = "en"
        db.session.commit()
    web.logout()
    _ask(web)
    (_to, msg), = smtp.messages
    assert msg["Content-Language"] == "en" and "new password" in msg.get_content()


def test_an_old_link_is_refused(web, smtp, monkeypatch):  # noqa: F811
    web.register()
    web.logout()
    _ask(web)
    monkeypatch.setattr(password_reset, "MAX_AGE_SECONDS", -1)
    resp = web.get(_link(smtp))
    assert resp.status_code == 410 and "30 minutes" in resp.get_data(as_text=True)


def test_a_new_password_does_not_replace_the_key(app, web, smtp):  # noqa: F811
    web.register()
    with app.app_context():
        give_key(db.session.scalar(select(User)))
        db.session.commit()
    web.logout()
    _ask(web)
    link = _link(smtp)
    web.post(link, {"password": "une toute nouvelle phrase"}, from_url=link)
    resp = web.login(password="une toute nouvelle phrase")
    assert resp.status_code == 302 and resp.location.endswith("/login/key")
    assert web.get("/account/security/").status_code == 302  # not signed in before the key


def test_the_message_is_sent_by_the_task_queue(app, web, smtp, tmp_path):  # noqa: F811
    queue = tasks_module.make_queue("", str(tmp_path))
    tasks_module.register(queue, app)
    try:
        web.register()
        web.logout()
        _ask(web)
        assert smtp.messages == []  # handed to the queue, not sent by the request
        tasks_module.drain(queue)
        assert len(smtp.messages) == 1
    finally:
        queue.flush()
        app.extensions.pop("companion_tasks", None)


def test_a_login_on_a_new_device_is_told_by_e_mail_once(app, web, smtp):  # noqa: F811
    web.register()
    web.logout()
    web.login()
    assert smtp.messages == []  # the browser that registered is not new
    other = Browser(app.test_client())
    other.client.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (Linux; Android 10; SM-A105F)"
    assert other.login().status_code == 302
    (to, msg), = smtp.messages
    assert to == ["anna@example.fr"] and "Android" in msg.get_content()
    assert "/account/security/" in msg.get_content()
    other.logout()
    other.login()
    assert len(smtp.messages) == 1  # that phone is known now
