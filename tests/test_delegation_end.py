"""The end of a caregiver's access (issue 14): the owner may bring the end date forward, is asked
before ending an access, and a former caregiver opening a saved link is told her access ended
(a stranger still learns nothing)."""

from datetime import date, timedelta

from companion.extensions import db
from companion.models.delegation import Delegation

from .cast import helped, registered


def test_the_owner_brings_the_end_date_forward(app, ctx):
    louis, _sophie, pid, d_id = helped(app, ctx)
    page = f"/p/{pid}/caregivers"
    soon = date.today() + timedelta(days=10)
    resp = louis.post(f"{page}/{d_id}/renew", {"term": "date", "end_date": soon.isoformat()}, from_url=page)
    assert resp.status_code == 302
    with ctx():
        assert db.session.get(Delegation, d_id).expires_at.date() in (soon, soon + timedelta(days=1))
    html = louis.get(page).get_data(as_text=True)
    assert html.count('class="flash success"') == 1 and "Changer la date de fin" in html
    assert "a avancé la fin de l’accès de" in louis.get(f"/p/{pid}/access-log").get_data(as_text=True)


def test_a_date_already_past_is_refused_once_in_plain_words(app, ctx):
    louis, _sophie, pid, d_id = helped(app, ctx)
    page = f"/p/{pid}/caregivers"
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    louis.post(f"{page}/{d_id}/renew", {"term": "date", "end_date": yesterday}, from_url=page)
    html = louis.get(page).get_data(as_text=True)
    assert html.count("Choisissez une date de fin après aujourd’hui") == 1


def test_ending_an_access_asks_first(app, ctx):
    louis, sophie, pid, d_id = helped(app, ctx)
    page = louis.get(f"/p/{pid}/caregivers").get_data(as_text=True)
    assert f'action="/p/{pid}/caregivers/{d_id}/end"' not in page  # one tap only opens the question
    assert f'href="/p/{pid}/caregivers/{d_id}/end"' in page
    confirm = louis.get(f"/p/{pid}/caregivers/{d_id}/end").get_data(as_text=True)
    assert "Mettre fin à l’accès de Sophie Bernard\u00a0?" in confirm
    assert sophie.get(f"/p/{pid}/").status_code == 200  # asking changed nothing
    resp = louis.post(f"/p/{pid}/caregivers/{d_id}/end", from_url=f"/p/{pid}/caregivers/{d_id}/end")
    assert resp.status_code == 302
    assert sophie.get(f"/p/{pid}/").status_code == 404


def test_a_former_caregiver_is_told_her_access_ended_and_nobody_else_learns_anything(app, ctx):
    louis, sophie, pid, d_id = helped(app, ctx)
    louis.post(f"/p/{pid}/caregivers/{d_id}/end", from_url=f"/p/{pid}/caregivers/{d_id}/end")
    resp = sophie.get(f"/p/{pid}/agenda")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 404
    assert "Votre accès a pris fin" in html and "Louis Bernard" in html
    stranger = registered(app, "nadia")
    other = stranger.get(f"/p/{pid}/agenda").get_data(as_text=True)
    assert "Louis Bernard" not in other and "pris fin" not in other
    missing = sophie.get("/p/999999/agenda").get_data(as_text=True)
    assert "pris fin" not in missing
