"""A caregiver's access changed by two requests at the same instant (two devices of the owner, or the
owner and the caregiver): each change checks the access again once it holds the row, so the owner is
told what really happened, the access log reads in the order things happened, and no proof says the
access runs on after the proof of its end. The limits (people per caregiver) hold under two
acceptances at once, on SQLite as on PostgreSQL."""

import threading
import time
from datetime import timedelta

import pytest
from flask import request
from sqlalchemy import select

from companion.extensions import db
from companion.models.account import User
from companion.models.audit import AccessEvent
from companion.models.delegation import Delegation
from companion.models.proof import Proof
from companion.models.types import utcnow
from companion.services import accounts, audit, delegations
from companion.services.access import require_access

from .cast import make_delegation, make_person, signed_in
from .races import at_once

EARLY, LATE = 0.2, 0.9  # seconds each request waits after reading the delegation, before changing it


def _late(monkeypatch, path_part: str) -> None:
    """Every request reads the delegation, then waits: the one whose path holds `path_part` longest, so
    the other one has changed the access (and committed) while it still holds what it read before."""
    for name in ("get_for_profile", "held_by", "invitation_for", "find_by_code"):
        original = getattr(delegations, name)

        def slowed(*args, _original=original, **kwargs):
            out = _original(*args, **kwargs)
            time.sleep(LATE if path_part in request.path else EARLY)
            return out

        monkeypatch.setattr(delegations, name, slowed)


def _helped(app, *, accepted: bool = True) -> tuple[int, int, int, int]:
    """Louis's profile, Sophie helping with it (or, `accepted=False`, invited by e-mail): the ids of
    Louis, Sophie, the profile and the delegation."""
    with app.test_request_context():
        louis = make_person("louis")
        sophie = make_person("sophie")
        pid = accounts.own_profile(louis).id
        if accepted:
            d = make_delegation(pid, sophie, "agenda", granted_by_id=louis.id)
        else:
            d = delegations.invite(require_access(louis, pid, "manage"), louis, scopes=["agenda"],
                                   email=sophie.email, term="1m").delegation
        db.session.commit()
        return louis.id, sophie.id, pid, d.id


def _story(ctx, pid: int, d_id: int) -> tuple[Delegation, list[str], list[str]]:
    """The delegation as saved, its lines in the access log and its proofs, in order."""
    with ctx():
        d = db.session.get(Delegation, d_id)
        db.session.expunge(d)
        log = list(db.session.scalars(select(AccessEvent.action).where(
            AccessEvent.profile_id == pid, AccessEvent.action.like("delegation.%")).order_by(AccessEvent.id)))
        kinds = list(db.session.scalars(select(Proof.kind).where(Proof.delegation_id == d_id)
                                        .order_by(Proof.id)))
        assert audit.verify().ok
        return d, log, kinds


def _flashes(browser, pid: int) -> str:
    return browser.get(f"/p/{pid}/caregivers").get_data(as_text=True)


def _renewed_and_ended(app, monkeypatch, slower: str):
    """Louis renews Sophie's access for a year and ends it, from two devices at the same instant; the
    request whose path holds `slower` changes the access last. Both devices (to read what each was
    told), the profile, the delegation and its end date before."""
    louis, _sophie, pid, d_id = _helped(app)
    with app.app_context():
        before = db.session.get(Delegation, d_id).expires_at
    renewing, ending = signed_in(app.test_client(), louis), signed_in(app.test_client(), louis)
    page, card = f"/p/{pid}/caregivers", f"/p/{pid}/caregivers/{d_id}"
    tokens = renewing.token(page), ending.token(f"{card}/end")
    _late(monkeypatch, slower)
    renewed, ended = at_once(
        lambda: renewing.client.post(f"{card}/renew", data={"term": "1y", "csrf_token": tokens[0]}),
        lambda: ending.client.post(f"{card}/end", data={"csrf_token": tokens[1]}))
    assert (renewed.status_code, ended.status_code) == (302, 302)
    return renewing, ending, pid, d_id, before


def test_an_end_saved_while_a_renewal_is_under_way_refuses_the_renewal(app, ctx, monkeypatch):
    renewing, ending, pid, d_id, before = _renewed_and_ended(app, monkeypatch, "/renew")
    told = _flashes(renewing, pid)
    assert "Seul un accès en cours peut être renouvelé" in told
    assert "C’est enregistré" not in told
    assert "Sophie Bernard n’a plus accès." in _flashes(ending, pid)
    d, log, kinds = _story(ctx, pid, d_id)
    assert d.revoked_at is not None and d.expires_at == before
    assert log == ["delegation.ended"]
    assert kinds == ["revocation"]


def test_a_renewal_saved_while_an_end_is_under_way_comes_before_the_end(app, ctx, monkeypatch):
    renewing, ending, pid, d_id, _before = _renewed_and_ended(app, monkeypatch, "/end")
    assert "Sophie Bernard a accès jusqu’au" in _flashes(renewing, pid)
    assert "Sophie Bernard n’a plus accès." in _flashes(ending, pid)
    d, log, kinds = _story(ctx, pid, d_id)
    assert d.revoked_at is not None
    assert log == ["delegation.renewed", "delegation.ended"]
    assert kinds == ["delegation", "revocation"]


def test_an_end_saved_while_a_change_is_under_way_refuses_the_change(app, ctx, monkeypatch):
    louis, _sophie, pid, d_id = _helped(app)
    changing, ending = signed_in(app.test_client(), louis), signed_in(app.test_client(), louis)
    page, card = f"/p/{pid}/caregivers", f"/p/{pid}/caregivers/{d_id}"
    tokens = changing.token(page), ending.token(f"{card}/end")
    _late(monkeypatch, "/change")
    changed, ended = at_once(
        lambda: changing.client.post(f"{card}/change", data={"scopes": ["documents:read"],
                                                              "csrf_token": tokens[0]}),
        lambda: ending.client.post(f"{card}/end", data={"csrf_token": tokens[1]}))
    assert (changed.status_code, ended.status_code) == (409, 302)
    told = changed.get_data(as_text=True)
    assert "Seul un accès en cours peut être modifié" in told
    assert "ne peut plus faire que ce qui est coché" not in told
    d, log, kinds = _story(ctx, pid, d_id)
    assert d.revoked_at is not None and d.scopes == "agenda"
    assert log == ["delegation.ended"]
    assert kinds == ["revocation"]


def _posted_at_once(app, monkeypatch, slower: str, *posts) -> list:
    """Each (account id, page giving its form token, form address) is posted at the same instant, each
    account signed in on its own device; the request whose path holds `slower` writes last."""
    devices = [signed_in(app.test_client(), who) for who, _page, _url in posts]
    tokens = [device.token(page) for device, (_who, page, _url) in zip(devices, posts, strict=True)]
    _late(monkeypatch, slower)
    return at_once(*(lambda d=device, t=token, u=url: d.client.post(u, data={"csrf_token": t})
                     for device, token, (_who, _page, url) in zip(devices, tokens, posts, strict=True)))


def test_the_owner_and_the_caregiver_ending_at_once_end_it_once(app, ctx, monkeypatch):
    louis, sophie, pid, d_id = _helped(app)
    card = f"/p/{pid}/caregivers/{d_id}"
    ended, left = _posted_at_once(app, monkeypatch, "/caregiving/", (louis, f"{card}/end", f"{card}/end"),
                                  (sophie, "/caregiving", f"/caregiving/{d_id}/end"))
    assert (ended.status_code, left.status_code) == (302, 409)
    assert "Cet accès a déjà pris fin." in left.get_data(as_text=True)
    d, log, kinds = _story(ctx, pid, d_id)
    assert d.revoked_by_id == louis
    assert log == ["delegation.ended"]
    assert kinds == ["revocation"]


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_an_invitation_cancelled_while_it_is_answered_tells_the_invitee_it_was_cancelled(
        app, ctx, monkeypatch, answer):
    louis, sophie, pid, d_id = _helped(app, accepted=False)
    card = f"/p/{pid}/caregivers/{d_id}"
    ended, answered = _posted_at_once(app, monkeypatch, "/invitations/",
                                      (louis, f"{card}/end", f"{card}/end"),
                                      (sophie, "/caregiving", f"/invitations/{d_id}/{answer}"))
    assert (ended.status_code, answered.status_code) == (302, 409)
    told = answered.get_data(as_text=True)
    assert "Cette invitation a été annulée par la personne qui l’a envoyée." in told
    assert "déjà été acceptée" not in told
    d, log, kinds = _story(ctx, pid, d_id)
    assert d.revoked_at is not None and d.accepted_at is None and d.declined_at is None
    assert log == ["delegation.invited", "delegation.ended"]
    assert kinds == []


def test_two_codes_accepted_at_once_stop_at_the_people_limit(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "DELEGATION_MAX_PEOPLE", 1)
    codes = []
    with app.test_request_context():
        helper_id = make_person("sophie").id
        for who in ("louis", "claire"):
            owner = make_person(who)
            access = require_access(owner, accounts.own_profile(owner).id, "manage")
            codes.append(delegations.invite(access, owner, scopes=["agenda"], term="1m").code)
        db.session.commit()
    tabs = [signed_in(app.test_client(), helper_id) for _ in codes]
    tokens = [tab.token("/invitations/code") for tab in tabs]
    original = delegations._people_helped

    def counted_slowly(*args, **kwargs):  # both count before either is saved, unless the count waits
        out = original(*args, **kwargs)
        time.sleep(EARLY)
        return out

    monkeypatch.setattr(delegations, "_people_helped", counted_slowly)
    answers = at_once(*(
        lambda tab=tab, code=code, token=token: tab.client.post(
            "/invitations/code/accept", data={"code": code, "csrf_token": token})
        for tab, code, token in zip(tabs, codes, tokens, strict=True)))
    assert sorted(a.status_code for a in answers) == [302, 409]
    refused = next(a for a in answers if a.status_code == 409).get_data(as_text=True)
    assert "le maximum autorisé" in refused
    with ctx():
        helper = db.session.get(User, helper_id)
        assert db.session.query(Delegation).filter(Delegation.caregiver_id == helper.id,
                                                   Delegation.accepted_at.is_not(None)).count() == 1



def test_an_end_date_reached_is_logged_once_when_two_pages_notice_it_at_once(app, ctx, monkeypatch):
    """Louis opens his caregivers page on two devices the moment Sophie's access reached its end date:
    each notices it; his log says it once, not twice."""
    louis, _sophie, pid, d_id = _helped(app)
    with ctx():
        db.session.get(Delegation, d_id).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    meet, named = threading.Barrier(2, timeout=2), delegations._who

    def both_read_it_first(d):  # each has read the access as not yet logged before either writes
        try:
            meet.wait()
        except threading.BrokenBarrierError:
            pass  # the other waits for this one's write: it goes on alone
        return named(d)

    monkeypatch.setattr(delegations, "_who", both_read_it_first)
    devices = [signed_in(app.test_client(), louis) for _ in range(2)]
    pages = at_once(*(lambda d=device: d.get(f"/p/{pid}/caregivers") for device in devices))
    assert [p.status_code for p in pages] == [200, 200]
    _d, log, _kinds = _story(ctx, pid, d_id)
    assert log.count("delegation.expired") == 1
