"""The session lives in a signed cookie: a response that re-sends it carries the session as that
request saw it. A browser sends several requests at once (a page, and the service worker's checks in
the background); whichever answer comes back last sets the cookie. These tests replay that order and
check that the page's forms still work."""

import copy

from .conftest import csrf_from
from .test_security_flows import REC, keys  # noqa: F401 (fixture)

COOKIE = "companion_session"


def _cookie(client):
    found = client.get_cookie(COOKIE)
    return found.value if found else None


def _arrives_last(page, answer):
    """The browser applies the session cookie of the answer it gets last, if that answer sets one."""
    for header in answer.headers.getlist("Set-Cookie"):
        if header.startswith(COOKIE + "="):
            page.set_cookie(COOKIE, header.split(";", 1)[0].split("=", 1)[1])


def _signed_in_pair(app, web):
    """Two clients holding the same session cookie, as a page and its service worker do."""
    web.register()
    page, worker = web.client, app.test_client()
    worker.set_cookie(COOKIE, _cookie(page))
    return page, worker


def test_a_background_request_does_not_undo_the_form_token_of_the_page_opened_with_it(app, web, ctx):
    page, worker = _signed_in_pair(app, web)
    token = csrf_from(page.get("/").get_data(as_text=True))
    # The worker's check left with the cookie from before the page; its answer arrives last.
    background = worker.get("/documents/offline.json", headers={"Accept": "application/json"})
    assert background.status_code == 200
    _arrives_last(page, background)
    resp = page.post("/language", data={"lang": "en", "next": "/", "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]


def test_two_pages_opened_together_after_sign_in_both_keep_working_forms(app, web, ctx):
    page, other = _signed_in_pair(app, web)
    first = csrf_from(page.get("/").get_data(as_text=True))
    second_page = other.get("/settings/reminders")
    second = csrf_from(second_page.get_data(as_text=True))
    _arrives_last(page, second_page)
    for token in (first, second):
        resp = page.post("/language", data={"lang": "en", "next": "/", "csrf_token": token})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:300]


def test_a_background_answer_arriving_last_does_not_lose_the_key_being_added(app, web, keys, ctx):  # noqa: F811
    page, worker = _signed_in_pair(app, web)
    keys("registration")
    form = "/account/security/keys/new"
    token = csrf_from(page.get(form).get_data(as_text=True))
    worker.set_cookie(COOKIE, _cookie(page))
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    assert page.post("/account/security/keys/options", json={}, headers=headers).status_code == 200
    # The service worker's check started before the challenge was kept; its answer comes back last.
    background = worker.get("/documents/offline.json", headers={"Accept": "application/json"})
    assert background.status_code == 200
    _arrives_last(page, background)
    body = {"credential": copy.deepcopy(REC["registration"]), "name": "Mon téléphone", "next": "/"}
    resp = page.post("/account/security/keys", json=body, headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert "Mon téléphone" in page.get("/account/security/").get_data(as_text=True)


def test_a_worker_fetch_without_a_session_does_not_replace_the_sign_in_form_being_filled(app, web):
    """On a shared computer after the last person's session was cleared: the person opens the login
    page while the worker, with no cookie either, syncs and is sent to the login page too. Its answer
    must not start a session of its own: it would replace the form's, and the sign-in would answer
    "this form has expired" (400)."""
    web.register()
    web.logout()
    page, worker = web.client, app.test_client()
    page.delete_cookie(COOKIE)
    form = page.get("/login", headers={"Sec-Fetch-Mode": "navigate"})
    assert any(h.startswith(COOKIE + "=") for h in form.headers.getlist("Set-Cookie"))
    token = csrf_from(form.get_data(as_text=True))
    for path in ("/login", "/offline/manifest.json", "/on-this-phone"):  # the worker's fetches
        background = worker.get(path, headers={"Sec-Fetch-Mode": "same-origin"}, follow_redirects=True)
        assert not [h for h in background.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "=")], path
        _arrives_last(page, background)
    resp = page.post("/login", data={"email": "anna@example.fr", "password": "une phrase facile",
                                     "shared_computer": "y", "csrf_token": token},
                     headers={"Sec-Fetch-Mode": "navigate"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
