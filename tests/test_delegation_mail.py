"""E-mails about a caregiver's access (issue 14): 7 days before the end, both sides are told once,
each in their own language, with names and a date only (real SMTP)."""

import re

from sqlalchemy import select

from companion.commands.housekeeping import run_once
from companion.extensions import db
from companion.models.account import User
from companion.models.delegation import Delegation

from .cast import invite, own_profile_id, registered
from .smtp_server import smtp  # noqa: F401 (fixture)
from .test_mail import HEALTH_WORDS


def test_both_sides_hear_once_that_an_access_ends_in_7_days(app, ctx, smtp):  # noqa: F811
    louis = registered(app, "louis")
    sophie = registered(app, "sophie")
    pid = own_profile_id(ctx, "louis")
    with ctx():
        db.session.scalar(select(User).where(User.email == "sophie@example.fr")).locale = "en"
        db.session.commit()
    invite(louis, pid, email="sophie@example.fr", term="1d")
    with ctx():
        d_id = db.session.scalar(select(Delegation.id))
    sophie.post(f"/invitations/{d_id}/accept", from_url="/")
    with app.app_context():
        assert run_once()["delegations_warned"] == 1
        assert run_once()["delegations_warned"] == 0  # once
    by_to = {to[0]: msg for to, msg in smtp.messages}
    assert sorted(by_to) == ["louis@example.fr", "sophie@example.fr"]
    assert by_to["sophie@example.fr"]["Content-Language"] == "en"
    assert "Louis Bernard" in by_to["sophie@example.fr"].get_content()
    assert "Sophie Bernard" in by_to["louis@example.fr"]["Subject"]
    assert f"/p/{pid}/caregivers" in by_to["louis@example.fr"].get_content()
    for msg in by_to.values():
        assert not [w for w in HEALTH_WORDS if w in msg.get_content().lower()]
    # A renewal starts again: the next approach of the end is told again.
    louis.post(f"/p/{pid}/caregivers/{d_id}/renew", {"term": "1d"}, from_url=f"/p/{pid}/caregivers")
    with ctx():
        assert db.session.get(Delegation, d_id).reminded_at is None


def test_someone_without_an_account_gets_the_invitation_code_by_e_mail(app, ctx, smtp):  # noqa: F811
    claire = registered(app, "claire")
    pid = own_profile_id(ctx, "claire")
    resp = invite(claire, pid, email="Marie@Example.fr")
    assert resp.status_code == 302
    assert "marie@example.fr" in claire.get(f"/p/{pid}/caregivers").get_data(as_text=True)
    (to, msg), = smtp.messages
    assert to == ["marie@example.fr"] and msg["Content-Language"] == "fr"
    body = msg.get_content()
    assert "Claire Martin" in body and "http://localhost:5000/register" in body
    assert not [w for w in HEALTH_WORDS if w in body.lower()]
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})\b", body).group(1)
    marie = registered(app, "marie")
    resp = marie.post("/invitations/code/accept", {"code": code}, from_url="/invitations/code")
    assert resp.status_code == 302
    assert marie.get(f"/p/{pid}/").status_code == 200
    # The same address cannot be invited twice while the first invitation is open.
    assert invite(claire, pid, email="marie@example.fr").status_code == 400
