"""No input reaches a 500: every form and JSON route, and every page's query string, is sent a table
of hostile values (control characters, bidi overrides, huge and odd numbers, deep JSON, long text) by a
signed-in owner, on SQLite and PostgreSQL. A refusal is a clear 4xx; nothing may answer 5xx."""

import json
import re

import pytest
from flask_wtf import FlaskForm
from wtforms.fields.core import UnboundField

from companion import forms as forms_pkg
from companion.extensions import db

from .conftest import csrf_from
from .matrix.world import build

HUGE = str(2**63)
HOSTILE = [
    "\x00", "a\x00b", "Anna\x00Petit", "\x01\x02\x03", "\x1b[31mred", "\x7f", "a\x0bb", "a\x0cb",
    "Louis\u202eelif.exe", "\u202aembedded\u202c", "\u2066isolate\u2069", "\u202dforce", "ligne\r\nligne",
    "\rreturn", "\nnewline", HUGE, str(2**64), "9" * 40, "-" + HUGE, "-1", "0", "1e400", "NaN", "Infinity",
    "1" * 5000, "2025-02-30", "0000-00-00", "9999-12-31", "-0001-01-01", "10000-01-01", "x" * 100_000,
    "' OR 1=1 --", '"; DROP TABLE users; --', "<script>alert(1)</script>", "{{7*7}}", "../../etc/passwd",
    "%00", "😀" * 50, "\ufeff", "\u200b" * 10, "﷽" * 20, "a" * 300 + "@" + "b" * 300 + ".fr",
]
# Routes that end the session are sent the values last, so the others run signed in.
SESSION_ENDERS = {"auth.logout", "security.sign_out_others", "security.sign_out_device"}
SKIP = {"assets.static_file"}
PER_ROUTE = 14


def _field_names() -> set[str]:
    """Every field of every form the app has: each route is sent every name, so each form meets
    every value in each of its fields."""
    import importlib
    import pkgutil

    names = {"csrf_token_extra", "name", "next", "answer", "credential", "subscription", "endpoint"}
    for mod in pkgutil.iter_modules(forms_pkg.__path__):
        module = importlib.import_module(f"{forms_pkg.__name__}.{mod.name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, FlaskForm) and obj is not FlaskForm:
                names |= {k for k, v in vars(obj).items() if isinstance(v, UnboundField)}
    return names


PLACEHOLDER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _url(rule, world, number: str = "1") -> str:
    """The rule with its arguments filled: the owner's profile, a small id, a word."""

    def fill(match):
        converter, arg = match.group(1), match.group(2)
        if arg == "profile_id":
            return str(world.profile_id)
        if converter == "int":
            return number
        return {"answer": "accept", "lang": "fr"}.get(arg, "x")

    return PLACEHOLDER.sub(fill, rule.rule)


def _signed_in(app, token: str):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = token
        sess["_fresh"] = True
    return client


def _rules(app, method):
    rules = [r for r in app.url_map.iter_rules() if method in r.methods and r.endpoint not in SKIP]
    return sorted(rules, key=lambda r: (r.endpoint in SESSION_ENDERS, r.rule))


@pytest.fixture
def owner(app):
    with app.app_context():
        world = build("documents:read")
        db.session.commit()
        return world.profile_id, world.objects["_tokens"]["owner"], world


def _check(resp, what, problems):
    if resp.status_code >= 500:
        problems.append(f"{what} -> {resp.status_code}")


def test_every_form_route_refuses_hostile_values_without_a_5xx(app, owner):
    _pid, token, world = owner
    names = _field_names()
    problems, sent = [], 0
    for rule in _rules(app, "POST"):
        url = _url(rule, world)
        client = _signed_in(app, token)
        csrf = csrf_from(client.get("/").get_data(as_text=True))
        # Each route meets a rotating third of the table; over all routes every value meets every field.
        start = (sent // PER_ROUTE) * PER_ROUTE % len(HOSTILE)
        for index, value in enumerate((HOSTILE * 2)[start:start + PER_ROUTE]):
            # Every value in every field, as a form post or as JSON in turn (both kinds of route see both).
            if (index + sent) % 2:
                resp = client.post(url, json=dict.fromkeys(names, value), headers={"X-CSRFToken": csrf})
            else:
                resp = client.post(url, data={**dict.fromkeys(names, value), "csrf_token": csrf})
            _check(resp, f"POST {rule.rule} {value[:20]!r}", problems)
            sent += 1
    assert sent >= 300
    assert not problems, "\n".join(problems[:40])


def test_deep_and_huge_json_is_refused_on_every_json_route(app, owner):
    _pid, token, world = owner
    deep = "[" * 100_000 + "]" * 100_000
    bodies = [deep, '{"a":' * 5000 + "1" + "}" * 5000, json.dumps({"name": 2**70}),
              '{"credential": ' + "[" * 2000 + "]" * 2000 + "}", '{"name": "\\u0000"}']
    problems = []
    for rule in _rules(app, "POST"):
        client = _signed_in(app, token)
        csrf = csrf_from(client.get("/").get_data(as_text=True))
        for body in bodies:
            resp = client.post(_url(rule, world), data=body, content_type="application/json",
                               headers={"X-CSRFToken": csrf})
            _check(resp, f"POST {rule.rule} json {body[:20]!r}", problems)
    assert not problems, "\n".join(problems[:40])


def test_every_page_refuses_hostile_query_strings_and_ids_without_a_5xx(app, owner):
    _pid, token, world = owner
    problems = []
    client = _signed_in(app, token)
    for rule in _rules(app, "GET"):
        url = _url(rule, world)
        for value in HOSTILE[::4]:
            query = {name: value for name in ("q", "year", "type", "to", "next", "page", "who", "since")}
            _check(client.get(url, query_string=query), f"GET {rule.rule} ?{value[:20]!r}", problems)
        for big in (HUGE, str(2**64), "9" * 40):
            if "<int:" in rule.rule:
                huge_url = _url(rule, world, big).replace(f"/p/{world.profile_id}/", f"/p/{big}/")
                resp = client.get(huge_url)
                _check(resp, f"GET {huge_url}", problems)
                if resp.status_code not in (302, 404):
                    problems.append(f"GET {huge_url} -> {resp.status_code}, expected 404")
    assert not problems, "\n".join(problems[:40])


def test_a_nul_byte_in_a_static_path_is_a_404(client):
    assert client.get("/static/css/app%00.css").status_code == 404


def test_a_nul_byte_in_the_anonymous_login_form_is_a_clear_400(web):
    resp = web.post("/login", {"email": "a\x00@example.fr", "password": "x\x00"})
    assert resp.status_code == 400
    assert "caractère" in resp.get_data(as_text=True)


def test_names_and_titles_keep_no_line_breaks_or_bidi_overrides(web, ctx, owner):
    _pid, token, world = owner
    client = _signed_in(web.client.application, token)
    csrf = csrf_from(client.get("/").get_data(as_text=True))
    for name in ("Louis\u202eelif", "Louis\r\nBernard"):
        resp = client.post(f"/p/{world.profile_id}/edit",
                           data={"first_name": name, "last_name": "B", "csrf_token": csrf})
        assert resp.status_code == 400
    with ctx():
        from companion.models.profile import Profile

        assert db.session.get(Profile, world.profile_id).first_name == "Target"


def test_a_title_s_spaces_are_tidied_but_a_lone_no_break_space_is_kept():
    """Runs of spaces, tabs and line breaks become one space; a single no-break space stays, so a
    proof titled "Preuve\u00a0: …" keeps its colon on the word's line, as the pages print it."""
    from companion.services.documents import clean_title

    assert clean_title("  Bilan\u00a0:\t 2\u00a0Mo \r\n") == "Bilan\u00a0: 2\u00a0Mo"
    assert clean_title("Bilan \u00a0 sanguin") == "Bilan sanguin"
