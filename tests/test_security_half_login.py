"""A half-logged-in session (password done, key not yet) opens nothing of the account: every GET route
of the app either sends it to the login page or is a public page without the account's data."""

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from companion.extensions import db
from companion.models.account import User

from .cast import give_key

SAMPLE_ARGS = {"int": "1", "string": "fr", "path": "x", "uuid": "00000000-0000-0000-0000-000000000000"}
CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def concrete(rule: str) -> str:
    return CONVERTER.sub(lambda m: SAMPLE_ARGS.get(m.group(1) or "string", "1"), rule)


def test_every_get_route_refuses_a_half_logged_in_session(app, web, ctx):
    web.register(email="anna@example.fr", name="Anna Secretname")
    with ctx():
        user = db.session.scalar(select(User))
        give_key(user)
        db.session.commit()
    web.logout()
    assert web.login().headers["Location"].endswith("/login/key")

    checked = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("auth.logout",):
            continue
        url = concrete(rule.rule)
        resp = web.get(url)
        body = resp.get_data(as_text=True)
        assert "Secretname" not in body and "anna@example.fr" not in body, url
        assert "X-Account-Key" not in resp.headers, url
        if resp.status_code in (301, 302, 303):
            target = urlsplit(resp.headers["Location"]).path
            # To the login page, or to the public welcome page (checked as a route of its own).
            assert target.startswith("/login") or target == "/", (url, target)
        else:
            assert resp.status_code in (200, 400, 401, 403, 404, 405), (url, resp.status_code)
        checked.append(url)
    assert "/account/security/" in checked and len(checked) > 10
    # The pending step itself is still there afterwards.
    assert web.get("/login/key").status_code == 200
