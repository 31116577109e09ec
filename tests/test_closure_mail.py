"""Caregivers and the other parent hear of a closure when it is asked, cancelled and done, through a real
SMTP server, each in their own language, with names and a date only."""

from sqlalchemy import select

from companion.commands import closures
from companion.extensions import db
from companion.models.account import User
from companion.models.closure import Closure
from companion.models.profile import ProfileOwner

from .cast import make_delegation, make_person, make_profile, registered
from .smtp_server import smtp  # noqa: F401 (fixture)
from .test_mail import HEALTH_WORDS


def _by_to(inbox) -> dict:
    found: dict = {}
    for to, msg in inbox.messages:
        found.setdefault(to[0], []).append(msg)
    return found


def test_caregivers_and_the_other_parent_are_told_at_each_step_without_health_detail(app, ctx, smtp):  # noqa: F811
    claire = registered(app, "claire")
    with ctx():
        me = db.session.scalar(select(User).where(User.email == "claire@example.fr"))
        paul = make_person("paul")
        marie = make_person("marie", locale="en")
        lea = make_profile(me, "Léa", "Martin")
        db.session.add(ProfileOwner(profile_id=lea.id, user_id=paul.id, relation="parent"))
        make_delegation(lea.id, marie, "documents:read agenda", granted_by_id=me.id)
        db.session.commit()
        pid, marie_id, me_id = lea.id, marie.id, me.id
    assert claire.post(f"/p/{pid}/close", {"understood": "y"}).status_code == 302
    asked = _by_to(smtp)
    assert sorted(asked) == ["marie@example.fr", "paul@example.fr"]
    (to_marie,), (to_paul,) = asked["marie@example.fr"], asked["paul@example.fr"]
    assert to_marie["Content-Language"] == "en" and "will close" in to_marie["Subject"]
    assert "Léa Martin" in to_marie["Subject"] and "Claire Martin" in to_marie.get_content()
    assert "ended today" in to_marie.get_content()
    assert to_paul["Content-Language"] == "fr" and "va fermer" in to_paul["Subject"]
    assert f"/p/{pid}/close" in to_paul.get_content()  # the other parent may cancel it

    smtp.messages.clear()
    claire.post(f"/p/{pid}/close/cancel", from_url=f"/p/{pid}/close")
    cancelled = _by_to(smtp)
    assert sorted(cancelled) == ["marie@example.fr", "paul@example.fr"]
    assert "stays open" in cancelled["marie@example.fr"][0]["Subject"]

    with ctx():  # cancelling brought no access back: Claire invites Marie again, then closes for good
        make_delegation(pid, db.session.get(User, marie_id), "agenda", granted_by_id=me_id)
        db.session.commit()
    claire.post(f"/p/{pid}/close", {"understood": "y"})
    smtp.messages.clear()
    with ctx():
        end = db.session.scalar(select(Closure.closes_at))
    assert closures.job(app, now=end) == 1
    done = _by_to(smtp)
    assert sorted(done) == ["claire@example.fr", "marie@example.fr", "paul@example.fr"]
    assert "is closed" in done["marie@example.fr"][0]["Subject"]
    for messages in (asked, cancelled, done):
        for msgs in messages.values():
            for msg in msgs:
                assert not [w for w in HEALTH_WORDS if w in msg.get_content().lower()]
