"""Review fixes on caregiver delegation: what a scope implies, who may claim an invitation, fresh logins,
the caregiver limit under concurrency."""

import re
import threading
import time

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select, update

from companion.extensions import db
from companion.models.account import User
from companion.models.delegation import Delegation
from companion.services import ServiceError, accounts, audit, delegations
from companion.services.access import require_access

from .cast import invite, own_profile_id, registered


def _accept_by_code(owner, helper, pid, scopes):
    page = invite(owner, pid, how="code", email="", label="Marie", term="1m", scopes=scopes)
    code = re.search(r'<p class="code" lang="en">([A-Z0-9-]+)</p>', page.get_data(as_text=True)).group(1)
    resp = helper.post("/invitations/code/accept", {"code": code}, from_url="/invitations/code")
    assert resp.status_code == 302, resp.get_data(as_text=True)


def test_a_caregiver_who_may_add_documents_also_sees_them(app, ctx):
    claire = registered(app, "claire")
    marie = registered(app, "marie")
    pid = own_profile_id(ctx, "claire")
    form = claire.get(f"/p/{pid}/caregivers").get_data(as_text=True)
    assert "Ajouter et modifier des documents (y compris les voir)" in form
    _accept_by_code(claire, marie, pid, ["documents:write"])
    assert marie.get(f"/p/{pid}/documents").status_code == 200
    assert marie.get(f"/p/{pid}/documents/upload").status_code == 200


def test_an_older_delegation_holding_only_documents_write_also_reads(app, ctx):
    claire = registered(app, "claire")
    marie = registered(app, "marie")
    pid = own_profile_id(ctx, "claire")
    _accept_by_code(claire, marie, pid, ["agenda"])
    assert marie.get(f"/p/{pid}/documents").status_code == 404
    with ctx():  # as stored before the fix: write without read
        db.session.execute(update(Delegation).values(scopes="documents:write"))
        db.session.commit()
        assert db.session.scalar(select(Delegation.scopes)) == "documents:write"
    assert marie.get(f"/p/{pid}/documents").status_code == 200


def test_an_email_invitation_needs_an_existing_account_and_is_bound_to_it(app, ctx):
    louis = registered(app, "louis")
    pid = own_profile_id(ctx, "louis")
    form = louis.get(f"/p/{pid}/caregivers").get_data(as_text=True)
    assert "Seulement pour une personne qui a déjà un compte Companion. Sinon, choisissez un code." in form
    resp = invite(louis, pid, email="sophie@example.fr")
    assert resp.status_code == 400
    assert "Cette personne n’a pas encore de compte Companion. Donnez-lui plutôt un code d’invitation." \
        in resp.get_data(as_text=True)
    with ctx():
        assert db.session.query(Delegation).count() == 0
    # Whoever registers the address afterwards finds no invitation waiting.
    squatter = registered(app, email="sophie@example.fr", name="Quelqu'un d'autre")
    assert "vous invite à aider" not in squatter.get("/").get_data(as_text=True)
    # Once the account exists, the invitation names that account, not just its address.
    assert invite(louis, pid, email="Sophie@example.fr").status_code == 302
    with ctx():
        d = db.session.scalars(select(Delegation)).one()
        squatter_id, d_id = d.caregiver_id, d.id
        assert d.accepted_at is None and squatter_id is not None
    assert "vous invite à aider" in squatter.get("/").get_data(as_text=True)
    other = registered(app, "nadia")
    assert other.post(f"/invitations/{d_id}/accept", from_url="/").status_code == 404
    assert other.get(f"/p/{pid}/").status_code == 404
    # Bound but not accepted: still nothing shared.
    assert squatter.get(f"/p/{pid}/").status_code == 404


def test_granting_access_or_downloading_the_log_needs_a_fresh_login(app, ctx, monkeypatch):
    claire = registered(app, "claire")
    marie = registered(app, "marie")
    registered(app, "paul")
    pid = own_profile_id(ctx, "claire")
    _accept_by_code(claire, marie, pid, ["agenda"])
    with ctx():
        d_id = db.session.scalar(select(Delegation.id))
    monkeypatch.setitem(app.config, "FRESH_LOGIN_MINUTES", -1)
    page = f"/p/{pid}/caregivers"
    stale = [
        claire.post(f"{page}/invite", {"how": "email", "email": "paul@example.fr", "scopes": ["agenda"],
                                       "term": "1m"}, from_url=page, headers={"Referer": f"http://localhost{page}"}),
        claire.post(f"{page}/{d_id}/renew", {"term": "1y"}, from_url=page),
        claire.post(f"/p/{pid}/owners", {"email": "paul@example.fr", "relation": "parent"},
                    from_url=f"/p/{pid}/owners"),
        claire.get(f"/p/{pid}/access-log.csv?who="),
    ]
    for resp in stale:
        assert resp.status_code == 302 and "/reauth" in resp.headers["Location"], resp.request.path
    with ctx():  # nothing changed
        assert db.session.query(Delegation).count() == 1
    assert "Paul Martin" not in claire.get(f"/p/{pid}/owners").get_data(as_text=True)
    # Confirming the password brings the owner back where they were, and the download works.
    assert f"next=/p/{pid}/caregivers" in stale[0].headers["Location"]  # back to the form it came from
    assert "next=/p/" in stale[3].headers["Location"]
    monkeypatch.setitem(app.config, "FRESH_LOGIN_MINUTES", 5)
    back = claire.post("/reauth", {"password": "une phrase facile", "next": f"/p/{pid}/access-log.csv?who="},
                       from_url="/reauth")
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/p/{pid}/access-log.csv?who=")
    csv = claire.get(f"/p/{pid}/access-log.csv?who=")
    assert csv.status_code == 200 and "Marie Voisine" in csv.get_data(as_text=True)
    assert invite(claire, pid, email="paul@example.fr").status_code == 302


def test_two_invitations_at_the_same_moment_do_not_exceed_the_caregiver_limit(app, monkeypatch):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SQLite lets one writer at a time: the race exists on PostgreSQL")
    monkeypatch.setitem(app.config, "DELEGATION_MAX_CAREGIVERS", 1)
    with app.app_context():
        owner = accounts.register("owner@example.fr", None, "Owner", cost=(1, 1024))
        db.session.commit()
        owner_id, pid = owner.id, accounts.own_profile(owner).id
        # A log that already has entries, as in real life (its first entry is another race).
        audit.record(actor=owner, actor_role="owner", action="profile.view", profile_id=pid)
        db.session.commit()
    outcome = {}

    def second_invitation():
        with app.test_request_context():
            user = db.session.get(User, owner_id)
            try:
                delegations.invite(require_access(user, pid, "manage"), user, scopes=["agenda"], term="1m")
                db.session.commit()
                outcome["second"] = "sent"
            except ServiceError as exc:
                db.session.rollback()
                outcome["second"] = str(exc.message)

    with app.app_context():
        user = db.session.get(User, owner_id)
        delegations.invite(require_access(user, pid, "manage"), user, scopes=["agenda"], term="1m")
        other = threading.Thread(target=second_invitation)
        other.start()
        time.sleep(0.5)  # the other request counts while this one is not yet committed
        db.session.commit()
    other.join(10)
    assert "le maximum autorisé" in outcome["second"]
    with app.app_context():
        assert db.session.query(Delegation).filter_by(profile_id=pid).count() == 1


def _helpers(app, owner_email, n, accept=True):
    """n caregivers for the owner's profile (accepted or still invited), created directly."""
    with app.test_request_context():
        owner = accounts.find_by_email(owner_email)
        access = require_access(owner, accounts.own_profile(owner).id, "manage")
        for i in range(n):
            helper = accounts.register(f"h{i}-{owner.id}@example.fr", None, f"Aidant {i}", cost=(1, 1024))
            db.session.flush()
            inv = delegations.invite(access, owner, scopes=["agenda"], email=helper.email, term="1y")
            if accept:
                delegations.accept(helper, inv.delegation)
        db.session.commit()


def _queries(app, browser, url):
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        resp = browser.get(url)
        assert resp.status_code == 200
        return len(statements), resp.get_data(as_text=True)
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)


def test_the_caregivers_page_does_not_query_once_per_caregiver(app, ctx):
    app.config["DELEGATION_MAX_CAREGIVERS"] = 10
    try:
        one = registered(app, email="one@example.fr", name="One Owner")
        many = registered(app, email="many@example.fr", name="Many Owner")
        _helpers(app, "one@example.fr", 1)
        _helpers(app, "many@example.fr", 5)
        pid_one, pid_many = own_profile_id(ctx, "one@example.fr"), own_profile_id(ctx, "many@example.fr")
        few, _page = _queries(app, one, f"/p/{pid_one}/caregivers")
        lots, page = _queries(app, many, f"/p/{pid_many}/caregivers")
        assert all(f"Mettre fin à l’accès de Aidant {i}" in page for i in range(5))
        assert lots == few
        few, _page = _queries(app, one, f"/p/{pid_one}/")
        lots, page = _queries(app, many, f"/p/{pid_many}/")
        assert "Aidants en ce moment : Aidant" in page and lots == few
    finally:
        app.config["DELEGATION_MAX_CAREGIVERS"] = 3


def test_the_home_page_does_not_query_once_per_invitation(app, ctx):
    for i in range(3):
        registered(app, email=f"o{i}@example.fr", name=f"Owner {i}")
    helper = registered(app, email="helper@example.fr", name="Helper")

    def invited_by(i):
        with app.test_request_context():
            owner = accounts.find_by_email(f"o{i}@example.fr")
            access = require_access(owner, accounts.own_profile(owner).id, "manage")
            delegations.invite(access, owner, scopes=["agenda"], email="helper@example.fr", term="1m")
            db.session.commit()

    invited_by(0)
    with_one = _queries(app, helper, "/")[0]
    invited_by(1)
    invited_by(2)
    with_three, page = _queries(app, helper, "/")
    assert all(f"Owner {i} vous invite à aider pour le profil de Owner {i}" in page for i in range(3))
    assert with_three == with_one
    assert _queries(app, helper, "/caregiving")[1].count("vous invite à aider") == 3


def test_a_full_profile_says_so_before_the_owner_fills_in_the_form(app, ctx):
    claire = registered(app, "claire")
    pid = own_profile_id(ctx, "claire")
    page = claire.get(f"/p/{pid}/caregivers").get_data(as_text=True)
    assert "Au plus 3 aidants ou invitations en cours par profil." in page
    _helpers(app, "claire@example.fr", 2)
    invite(claire, pid, how="code", email="", label="Voisine", term="1m", scopes=["agenda"])
    page = claire.get(f"/p/{pid}/caregivers").get_data(as_text=True)
    assert "Ce profil a déjà 3 aidants ou invitations" in page


def test_two_invitations_to_one_person_at_the_same_moment_do_not_exceed_their_limit(app, monkeypatch):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SQLite lets one writer at a time: the race exists on PostgreSQL")
    monkeypatch.setitem(app.config, "DELEGATION_MAX_PEOPLE", 1)
    with app.app_context():
        owners = [accounts.register(f"o{i}@example.fr", None, f"Owner {i}", cost=(1, 1024)) for i in range(2)]
        accounts.register("helper@example.fr", None, "Helper", cost=(1, 1024))
        db.session.flush()
        audit.record(actor=owners[0], actor_role="owner", action="profile.view",
                     profile_id=accounts.own_profile(owners[0]).id)
        db.session.commit()
        ids = [(o.id, accounts.own_profile(o).id) for o in owners]
    outcome = {}

    def send(index):
        user = db.session.get(User, ids[index][0])
        access = require_access(user, ids[index][1], "manage")
        delegations.invite(access, user, scopes=["agenda"], email="helper@example.fr", term="1m")

    def second_invitation():
        with app.test_request_context():
            try:
                send(1)
                db.session.commit()
                outcome["second"] = "sent"
            except ServiceError as exc:
                db.session.rollback()
                outcome["second"] = str(exc.message)

    with app.app_context():
        send(0)
        other = threading.Thread(target=second_invitation)
        other.start()
        time.sleep(0.5)
        db.session.commit()
    other.join(10)
    assert "le maximum autorisé" in outcome["second"]
