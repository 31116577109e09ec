"""POST-redirect-GET on the caregivers page (issue 14): a phone's pull-to-refresh re-sends a POST
answered with a page; an invitation code or a refused renewal must answer with a redirect instead."""

import re

from sqlalchemy import func, select

from companion.extensions import db
from companion.models.account import User
from companion.models.delegation import Delegation

from .cast import helped, invite, own_profile_id, registered, signed_in

CODE = re.compile(r'<p class="code" lang="en">([A-Z0-9-]+)</p>')


def _count(ctx, pid):
    with ctx():
        return db.session.scalar(select(func.count()).select_from(Delegation)
                                 .where(Delegation.profile_id == pid))


def test_the_invitation_code_is_shown_after_a_redirect_and_a_refresh_invites_nobody_else(app, ctx):
    claire = registered(app, "claire")
    pid = own_profile_id(ctx, "claire")
    resp = invite(claire, pid, how="code", email="", term="1m", scopes=["agenda"])
    assert resp.status_code == 302 and resp.location.endswith(f"/p/{pid}/caregivers#code")
    first = CODE.search(claire.get(f"/p/{pid}/caregivers").get_data(as_text=True)).group(1)
    # Refreshing the page (a GET now) shows the same code and takes no second slot.
    assert CODE.search(claire.get(f"/p/{pid}/caregivers").get_data(as_text=True)).group(1) == first
    assert _count(ctx, pid) == 1
    # Once used, the code leaves the page.
    marie = registered(app, "marie")
    marie.post("/invitations/code/accept", {"code": first}, from_url="/invitations/code")
    assert not CODE.search(claire.get(f"/p/{pid}/caregivers").get_data(as_text=True))


def test_the_code_is_kept_by_the_browser_that_made_it_only(app, ctx):
    claire = registered(app, "claire")
    pid = own_profile_id(ctx, "claire")
    invite(claire, pid, how="code", email="", term="1m", scopes=["agenda"])
    again = app.test_client()
    with ctx():
        uid = db.session.scalar(select(User.id).where(User.email == "claire@example.fr"))
    other_device = signed_in(again, uid)
    assert not CODE.search(other_device.get(f"/p/{pid}/caregivers").get_data(as_text=True))


def test_a_refused_renewal_redirects_to_its_card_with_the_message_once(app, ctx):
    louis, sophie, pid, d_id = helped(app, ctx, "6m")
    resp = louis.post(f"/p/{pid}/caregivers/{d_id}/renew", {"term": "date", "end_date": "2001-01-01"},
                      from_url=f"/p/{pid}/caregivers")
    assert resp.status_code == 302 and resp.location.endswith(f"#delegation-{d_id}")
    page = louis.get(f"/p/{pid}/caregivers").get_data(as_text=True)
    assert page.count('class="flash error"') == 1
    assert f'id="delegation-{d_id}"' in page
