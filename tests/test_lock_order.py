"""Two people acting on the same profile at the same instant, on PostgreSQL as on SQLite: both get their
answer, neither an error page. Each request used to hold its profile's access-log head from its first
log line to its commit; a request that then went on to change a row (a share, a caregiver's access) or
to log in another profile's chain waited on one that held that row and wanted the head: PostgreSQL
aborted one of the two as a deadlock, and that person saw a server error. The log is now written at the
commit, after every row, its heads in one order (services/audit.py, `_write_kept`).

The last two races are between rows only: a health professional leaving a letter through a share
while the profile changes hands (services/shares.py, `leave_document`, now takes the profile first).

Each race is made to happen: sleeps put the second request's first lock between the first request's
two. Found by two reviews that reproduced each one before its fix."""

import io
import re
import time
from datetime import date

from sqlalchemy import select

from companion.commands import family as family_job
from companion.demo.documents import make_pdf
from companion.extensions import db
from companion.models.account import User
from companion.models.audit import AccessEvent
from companion.models.delegation import Delegation
from companion.models.document import Document
from companion.models.profile import Profile
from companion.models.share import ClinicianShare
from companion.services import (
    audit,
    closure,
    delegations,
    dependents,
    documents,
    offline_copies,
    proofs,
    shares,
    teen_codes,
)
from companion.services.access import OWNER_SCOPES, Access, find_access

from .cast import make_delegation, make_person, mediator_browser, own_profile_id, registered, signed_in
from .closure_support import open_share
from .closure_support import share as make_share
from .conftest import csrf_from
from .documents_support import _empty_document_store  # noqa: F401 (fixture)
from .races import at_once
from .test_dependents import _new as new_dependent
from .test_family_stages import _child, at
from .test_onboarding_flow import join, start_session


def _slowed(monkeypatch, module, name: str, seconds: float, when=lambda *a, **k: True) -> None:
    original = getattr(module, name)

    def slow(*args, **kwargs):
        if when(*args, **kwargs):
            time.sleep(seconds)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, slow)


def _in_use(*profile_ids: int) -> None:
    """Each profile's log already has entries, as on a site in use: its head is a row to update."""
    for pid in profile_ids:
        audit.record(actor=None, actor_role="system", action="family.teen_soon", profile_id=pid)


def _helped(app, ctx):
    """Claire (signed in) with her own profile; Marie helps with it; a share for a health professional
    Marie made through her access, and one Claire made."""
    claire = registered(app, "claire")
    pid = own_profile_id(ctx, "claire")
    with ctx():
        marie = make_person("marie")
        me = db.session.scalar(select(User).where(User.email == "claire@example.fr"))
        profile = db.session.get(Profile, pid)
        d = make_delegation(pid, marie, "documents:read agenda", granted_by_id=me.id)
        hers, mine = make_share(profile, marie, d.id), make_share(profile, me)
        _in_use(pid)
        db.session.commit()
        ids = dict(pid=pid, marie=marie.id, d=d.id, hers=hers.id, hers_pub=hers.public_id,
                   mine_pub=mine.public_id)
    return claire, ids


def _opening(app, public_id: str):
    """A health professional opening the share: it holds the share (its count of openings), then logs."""
    client = app.test_client()
    token = csrf_from(client.get(f"/s/{public_id}").get_data(as_text=True))
    return lambda: client.post(f"/s/{public_id}/open", json={"passcode": None},
                               headers={"X-CSRFToken": token})


def _log(ctx, pid: int) -> list[str]:
    with ctx():
        assert audit.verify().ok
        return list(db.session.scalars(select(AccessEvent.action).where(AccessEvent.profile_id == pid)
                                       .order_by(AccessEvent.id)))


def test_a_caregiver_stops_her_share_as_the_professional_opens_it(app, ctx, monkeypatch):
    _claire, ids = _helped(app, ctx)
    marie = signed_in(app.test_client(), ids["marie"])
    page = f"/p/{ids['pid']}/shares/{ids['hers']}"
    token, opening = marie.token(page), _opening(app, ids["hers_pub"])
    _slowed(monkeypatch, shares, "_log", 0.6)  # the opening holds the share, then logs
    _slowed(monkeypatch, audit, "record_access", 0.2, when=lambda *a, **k: a[2] == "share.revoked")
    opened, stopped = at_once(opening,
                              lambda: marie.client.post(f"{page}/revoke", data={"csrf_token": token}))
    assert (opened.status_code, stopped.status_code) == (200, 302)
    assert open_share(app, ids["hers_pub"]) == 410
    assert {"share.opened", "share.revoked"} <= set(_log(ctx, ids["pid"]))


def test_an_account_closure_asked_as_a_professional_opens_the_owners_share(app, ctx, monkeypatch):
    claire, ids = _helped(app, ctx)
    token, opening = claire.token("/account/close"), _opening(app, ids["mine_pub"])
    _slowed(monkeypatch, shares, "_log", 0.6)
    _slowed(monkeypatch, closure, "_end_open_access", 0.2)
    opened, closed = at_once(
        opening, lambda: claire.client.post("/account/close", data={"understood": "y", "csrf_token": token}))
    assert (opened.status_code, closed.status_code) == (200, 302)
    assert open_share(app, ids["mine_pub"]) == 410
    assert {"share.opened", "closure.requested", "share.ended_by_closure"} <= set(_log(ctx, ids["pid"]))


def test_a_caregiver_leaves_as_a_professional_opens_the_share_she_made(app, ctx, monkeypatch):
    _claire, ids = _helped(app, ctx)
    marie = signed_in(app.test_client(), ids["marie"])
    token, opening = marie.token("/caregiving"), _opening(app, ids["hers_pub"])
    _slowed(monkeypatch, shares, "_log", 0.6)
    _slowed(monkeypatch, delegations, "held_by", 0.2)
    opened, left = at_once(
        opening, lambda: marie.client.post(f"/caregiving/{ids['d']}/end", data={"csrf_token": token}))
    assert (opened.status_code, left.status_code) == (200, 302)
    assert open_share(app, ids["hers_pub"]) == 410  # her share ends with her access
    assert marie.get(f"/p/{ids['pid']}/").status_code == 404
    assert {"share.opened", "delegation.ended"} <= set(_log(ctx, ids["pid"]))


def test_the_owner_narrows_a_caregiver_as_a_professional_opens_her_share(app, ctx, monkeypatch):
    claire, ids = _helped(app, ctx)  # registered just now: her login is fresh enough to change an access
    token, opening = claire.token(f"/p/{ids['pid']}/caregivers"), _opening(app, ids["hers_pub"])
    _slowed(monkeypatch, shares, "_log", 0.6)
    _slowed(monkeypatch, delegations, "get_for_profile", 0.2)
    opened, changed = at_once(opening, lambda: claire.client.post(
        f"/p/{ids['pid']}/caregivers/{ids['d']}/change", data={"csrf_token": token, "scopes": ["agenda"]}))
    assert (opened.status_code, changed.status_code) == (200, 302)
    assert open_share(app, ids["hers_pub"]) == 410  # she may no longer share documents
    with ctx():
        assert db.session.get(Delegation, ids["d"]).scopes == "agenda"
        assert db.session.get(ClinicianShare, ids["hers"]).revoked_at is not None
    assert {"share.opened", "delegation.changed"} <= set(_log(ctx, ids["pid"]))


def test_two_people_who_help_each_other_stop_at_the_same_instant(app, ctx, monkeypatch):
    """Each end is logged in the profile's chain and its proof filed in the caregiver's own profile, the
    other's chain: the two requests wanted the two heads in opposite orders."""
    claire, marie = registered(app, "claire"), registered(app, "marie")
    pc, pm = own_profile_id(ctx, "claire"), own_profile_id(ctx, "marie")
    with ctx():
        uc = db.session.scalar(select(User).where(User.email == "claire@example.fr"))
        um = db.session.scalar(select(User).where(User.email == "marie@example.fr"))
        d1 = make_delegation(pc, um, "documents:read agenda", granted_by_id=uc.id).id  # Marie helps Claire
        d2 = make_delegation(pm, uc, "documents:read agenda", granted_by_id=um.id).id  # Claire helps Marie
        _in_use(pc, pm)
        db.session.commit()
    ends = f"/p/{pc}/caregivers/{d1}/end", f"/p/{pm}/caregivers/{d2}/end"
    tokens = claire.token(ends[0]), marie.token(ends[1])
    _slowed(monkeypatch, proofs, "issue", 0.4)  # both have logged their end by then
    a, b = at_once(lambda: claire.client.post(ends[0], data={"csrf_token": tokens[0]}),
                   lambda: marie.client.post(ends[1], data={"csrf_token": tokens[1]}))
    assert (a.status_code, b.status_code) == (302, 302)
    assert claire.get(f"/p/{pm}/").status_code == marie.get(f"/p/{pc}/").status_code == 404
    for pid in (pc, pm):
        log = _log(ctx, pid)
        assert log.count("delegation.ended") == 1 and "proof.filed" in log


def test_a_caregivers_phone_and_tablet_report_their_copies_in_opposite_orders(app, ctx, monkeypatch):
    """Marie helps Claire and Louis; both devices say at the same instant which documents they copied,
    one listing Claire's first, the other Louis's: each copy is logged in its person's log."""
    registered(app, "claire")
    registered(app, "louis")
    pc, pl = own_profile_id(ctx, "claire"), own_profile_id(ctx, "louis")
    with ctx():
        marie_id = make_person("marie").id
        paths = []
        for pid in (pc, pl):
            profile = db.session.get(Profile, pid)
            make_delegation(pid, db.session.get(User, marie_id), "documents:read agenda")
            doc = documents.add(Access(profile, "owner", OWNER_SCOPES), None,
                                make_pdf(f"Bilan {pid}", ["x"]), title=f"Bilan {pid}").document
            paths.append(f"/p/{pid}/documents/{doc.id}/file")
        _in_use(pc, pl)
        db.session.commit()
    phone, tablet = signed_in(app.test_client(), marie_id), signed_in(app.test_client(), marie_id)
    csrf = [b.get("/offline/manifest.json").get_json()["csrf"] for b in (phone, tablet)]
    _slowed(monkeypatch, offline_copies, "_entries", 0.3)
    a, b = at_once(
        lambda: phone.client.post("/offline/report", json={"copy": paths}, headers={"X-CSRFToken": csrf[0]}),
        lambda: tablet.client.post("/offline/report", json={"copy": paths[::-1]},
                                   headers={"X-CSRFToken": csrf[1]}))
    assert (a.status_code, b.status_code) == (200, 200)
    for pid in (pc, pl):
        assert "document.copied_offline" in _log(ctx, pid)


# A document a health professional leaves through a share against the profile changing hands: the leaving
# held the share, then added the document (whose foreign key waits for the profile); the profile's new
# holder held the profile (its user_id), then ended or moved its shares.

def _leaving(app, public_id: str):
    client = app.test_client()
    token = csrf_from(client.get(f"/s/{public_id}").get_data(as_text=True))
    pdf = make_pdf("Courrier", ["x"])
    return lambda: client.post(f"/s/{public_id}/leave", content_type="multipart/form-data", data={
        "csrf_token": token, "title": "Courrier", "passcode": "", "file": (io.BytesIO(pdf), "lettre.pdf")})


def _left(ctx, pid: int) -> list[str]:
    with ctx():
        return list(db.session.scalars(select(Document.title).where(Document.profile_id == pid)))


def test_a_teen_joins_as_a_professional_leaves_a_letter_through_her_parents_share(app, ctx, monkeypatch):
    claire, lea = _child(ctx)
    with ctx():
        teen_id = make_person("anna", email="lea@example.fr", name="Léa Martin").id
        db.session.commit()
    family_job.job(app, at(date(2026, 6, 10)))  # the teen age: once she joins, her parents are narrowed
    with app.test_request_context():
        parent = db.session.get(User, claire)
        code = teen_codes.make(find_access(parent, lea), parent)
        public_id = shares.create(find_access(parent, lea), parent, card=True, document_ids=[],
                                  vaccinations=False, lifetime="7d", cost=(1, 1024)).share.public_id
        db.session.commit()
    teen = signed_in(app.test_client(), teen_id)
    token, leaving = teen.token("/family/join"), _leaving(app, public_id)
    _slowed(monkeypatch, documents, "add", 0.8)  # the leaving holds the share, then adds the document
    _slowed(monkeypatch, teen_codes, "_attach", 0.3)
    left, joined = at_once(leaving, lambda: teen.client.post("/family/join",
                                                             data={"csrf_token": token, "code": code}))
    assert (left.status_code, joined.status_code) == (302, 302)
    assert "Courrier" in _left(ctx, lea)
    with ctx():
        assert db.session.get(Profile, lea).user_id == teen_id
    assert open_share(app, public_id) == 410  # her parents' share ends as she takes her profile


def test_an_adult_takes_his_profile_back_as_a_professional_leaves_a_letter(app, ctx, monkeypatch):
    sophie = registered(app, "sophie")
    pid = int(new_dependent(sophie).headers["Location"].split("/")[2])
    with app.test_request_context():
        me = db.session.scalar(select(User).where(User.email == "sophie@example.fr"))
        public_id = shares.create(find_access(me, pid), me, card=True, document_ids=[], vaccinations=False,
                                  lifetime="7d", cost=(1, 1024)).share.public_id
        db.session.commit()
    page = sophie.post(f"/p/{pid}/dependent/claim-code", from_url=f"/p/{pid}/dependent")
    code = re.search(r'class="onb-digits">([A-Z0-9-]+)<', page.get_data(as_text=True)).group(1)
    mediator, _mid = mediator_browser(app)
    louis = join(app, start_session(mediator)[0])
    louis.post("/onboarding/consent", {"answer": "agree"}, from_url="/onboarding/consent")
    token, leaving = louis.token("/onboarding/account"), _leaving(app, public_id)
    _slowed(monkeypatch, documents, "add", 0.8)
    _slowed(monkeypatch, dependents, "_hand_over", 0.3)
    left, claimed = at_once(leaving, lambda: louis.client.post("/onboarding/claim", data={
        "csrf_token": token, "display_name": "Louis Bernard", "email": "louis@example.fr",
        "password": "une phrase facile", "code": code}))
    assert (left.status_code, claimed.status_code) == (302, 302)
    assert "Courrier" in _left(ctx, pid)  # beside the proofs of the hand-over
    with ctx():
        louis_id = db.session.scalar(select(User.id).where(User.email == "louis@example.fr"))
        assert db.session.get(Profile, pid).user_id == louis_id
