"""Caregiver delegation through the web: invite, accept, act with the banner, get logged, be revoked;
what a scope implies, who may claim an invitation, fresh logins for granting access, and pages whose
number of queries does not grow with the caregivers."""

import re
from datetime import timedelta

from sqlalchemy import event as sa_event
from sqlalchemy import select, update

from companion.extensions import db
from companion.models.audit import AccessEvent
from companion.models.delegation import Delegation
from companion.models.types import utcnow
from companion.services import accounts, delegations
from companion.services.access import require_access

from .cast import helped, invite, make_person, own_profile_id, registered


def test_a_father_invites_his_daughter_who_accepts_acts_with_the_banner_and_is_revoked(app, ctx):
    louis = registered(app, "louis")
    sophie = registered(app, "sophie")
    pid = own_profile_id(ctx, "louis")
    resp = invite(louis, pid, email="Sophie@Example.fr")
    assert resp.status_code == 302
    # Until she accepts, nothing is shared.
    assert sophie.get(f"/p/{pid}/").status_code == 404
    home = sophie.get("/").get_data(as_text=True)
    assert "Louis Bernard vous invite à aider pour le profil de Louis Bernard" in home
    with ctx():
        d_id = db.session.scalar(select(Delegation.id).where(Delegation.profile_id == pid))
    resp = sophie.post(f"/invitations/{d_id}/accept", from_url="/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/p/{pid}/")
    page = sophie.get(f"/p/{pid}/").get_data(as_text=True)
    assert "Vous agissez pour Louis Bernard" in page
    home = louis.get(f"/p/{pid}/").get_data(as_text=True)
    assert "Aidants en ce moment\u00a0: Sophie Bernard jusqu’au" in home
    # The father reads it in plain words in his access log.
    log = louis.get(f"/p/{pid}/access-log").get_data(as_text=True)
    assert "Sophie Bernard (aidant) a ouvert le profil" in log
    assert "Sophie Bernard (aidant) a accepté l’invitation à aider" in log
    # A caregiver never manages caregivers nor reads the access log.
    assert sophie.get(f"/p/{pid}/caregivers").status_code == 404
    assert sophie.get(f"/p/{pid}/access-log").status_code == 404
    resp = louis.post(f"/p/{pid}/caregivers/{d_id}/end", from_url=f"/p/{pid}/caregivers")
    assert resp.status_code == 302
    assert sophie.get(f"/p/{pid}/").status_code == 404
    log = louis.get(f"/p/{pid}/access-log").get_data(as_text=True)
    assert "a mis fin à l’accès de" in log and "a essayé d’ouvrir une page" in log


def test_an_invitation_by_code_is_shown_once_accepted_once_and_stored_hashed(app, ctx):
    claire = registered(app, "claire")
    marie = registered(app, "marie")
    pid = own_profile_id(ctx, "claire")
    invite(claire, pid, how="code", email="", label="Ma voisine Marie", term="1m", scopes=["agenda"])
    page = claire.get(f"/p/{pid}/caregivers").get_data(as_text=True)
    code = re.search(r'<p class="code" lang="en">([A-Z0-9-]+)</p>', page).group(1)
    assert len(code.replace("-", "")) == 12
    with ctx():
        d_id = db.session.scalar(select(Delegation.id).where(Delegation.profile_id == pid))
        d = db.session.get(Delegation, d_id)
        assert d.code_hash and code.replace("-", "") not in d.code_hash
    confirm = marie.post("/invitations/code", {"code": code.lower().replace("-", " ")},
                         from_url="/invitations/code").get_data(as_text=True)
    assert "Claire Martin vous invite à aider pour le profil de Claire Martin" in confirm
    resp = marie.post("/invitations/code/accept", {"code": code}, from_url="/invitations/code")
    assert resp.status_code == 302
    assert marie.get(f"/p/{pid}/").status_code == 200
    with ctx():
        d = db.session.get(Delegation, d_id)
        # "1 month" counts from acceptance.
        assert timedelta(days=27) < d.expires_at - d.accepted_at < timedelta(days=32)
    # Single use: a second person gets a clear message and no access.
    other = registered(app, email="other@example.fr", name="Autre Personne")
    resp = other.post("/invitations/code/accept", {"code": code}, from_url="/invitations/code")
    assert resp.status_code == 409
    assert "déjà été acceptée" in resp.get_data(as_text=True)
    assert other.get(f"/p/{pid}/").status_code == 404


def test_guessing_codes_is_rate_limited(app, ctx):
    nadia = registered(app, "nadia")
    first = nadia.post("/invitations/code", {"code": "ABCD-EFGH-JKMN"}, from_url="/invitations/code")
    assert first.status_code == 404 and "Aucune invitation ne correspond" in first.get_data(as_text=True)
    statuses = [nadia.post("/invitations/code", {"code": f"ABCD-EFGH-{i:04d}"}, from_url="/invitations/code")
                .status_code for i in range(12)]
    assert statuses[-1] == 429  # CODE_RATE_LIMIT: 10 per minute


def test_bad_invitations_get_a_clear_message_and_change_nothing(app, ctx):
    louis = registered(app, "louis")
    registered(app, "sophie")
    pid = own_profile_id(ctx, "louis")
    assert "vous inviter vous-même" in invite(louis, pid, email="louis@example.fr").get_data(as_text=True)
    assert invite(louis, pid, email="sophie@example.fr").status_code == 302
    resp = invite(louis, pid, email="sophie@example.fr")
    assert resp.status_code == 400 and "déjà invitée" in resp.get_data(as_text=True)
    assert "au moins une chose" in invite(louis, pid, email="x@example.fr", scopes=[]).get_data(as_text=True)
    app.config["DELEGATION_MAX_CAREGIVERS"] = 1
    try:
        resp = invite(louis, pid, how="code", email="")
        assert resp.status_code == 400 and "le maximum autorisé" in resp.get_data(as_text=True)
    finally:
        app.config["DELEGATION_MAX_CAREGIVERS"] = 3
    with ctx():
        assert db.session.query(Delegation).count() == 1


def test_a_revoked_or_expired_invitation_cannot_be_accepted(app, ctx):
    louis = registered(app, "louis")
    sophie = registered(app, "sophie")
    pid = own_profile_id(ctx, "louis")
    invite(louis, pid, email="sophie@example.fr")
    with ctx():
        d_id = db.session.scalar(select(Delegation.id))
    louis.post(f"/p/{pid}/caregivers/{d_id}/end", from_url=f"/p/{pid}/caregivers")
    resp = sophie.post(f"/invitations/{d_id}/accept", from_url="/")
    assert resp.status_code == 409 and "annulée" in resp.get_data(as_text=True)
    invite(louis, pid, email="sophie@example.fr")
    with ctx():
        d2 = db.session.scalar(select(Delegation).where(Delegation.id != d_id))
        d2_id = d2.id
        d2.invitation_expires_at = d2.created_at - timedelta(seconds=1)
        db.session.commit()
    # The invitation is still bound to her account, so it is found, and refused as lapsed.
    resp = sophie.post(f"/invitations/{d2_id}/accept", from_url="/caregiving")
    assert resp.status_code == 409
    assert "Cette invitation a expiré. Demandez à la personne de vous en envoyer une nouvelle." \
        in resp.get_data(as_text=True)
    with ctx():
        assert db.session.get(Delegation, d2_id).accepted_at is None
    assert sophie.get(f"/p/{pid}/").status_code == 404


def test_the_caregiver_can_decline_or_stop_helping(app, ctx):
    louis = registered(app, "louis")
    sophie = registered(app, "sophie")
    pid = own_profile_id(ctx, "louis")
    invite(louis, pid, email="sophie@example.fr")
    with ctx():
        d_id = db.session.scalar(select(Delegation.id))
    assert sophie.post(f"/invitations/{d_id}/decline", from_url="/").status_code == 302
    assert sophie.get(f"/p/{pid}/").status_code == 404
    invite(louis, pid, email="sophie@example.fr")
    with ctx():
        d2 = db.session.scalar(select(Delegation).where(Delegation.id != d_id))
        d2_id = d2.id
    sophie.post(f"/invitations/{d2_id}/accept", from_url="/")
    assert "Louis Bernard" in sophie.get("/caregiving").get_data(as_text=True)
    assert sophie.post(f"/caregiving/{d2_id}/end", from_url="/caregiving").status_code == 302
    assert sophie.get(f"/p/{pid}/").status_code == 404
    log = louis.get(f"/p/{pid}/access-log").get_data(as_text=True)
    assert "a refusé l’invitation" in log and "(aidant) a mis fin à l’accès de" in log
    page = louis.get(f"/p/{pid}/caregivers").get_data(as_text=True)
    assert "Terminés" in page and "refusé" in page and "Personne n’aide pour ce profil" in page


def test_the_owner_is_reminded_before_the_end_and_can_renew(app, ctx):
    louis, sophie, pid, d_id = helped(app, ctx, "1d")
    assert "Accès qui se terminent bientôt" in louis.get("/").get_data(as_text=True)
    assert "se termine bientôt" in louis.get(f"/p/{pid}/caregivers").get_data(as_text=True)
    resp = louis.post(f"/p/{pid}/caregivers/{d_id}/renew", {"term": "6m"}, from_url=f"/p/{pid}/caregivers")
    assert resp.status_code == 302
    with ctx():
        d = db.session.get(Delegation, d_id)
        assert d.expires_at - d.accepted_at > timedelta(days=170)
    assert "Accès qui se terminent bientôt" not in louis.get("/").get_data(as_text=True)
    assert "a renouvelé l’accès de" in louis.get(f"/p/{pid}/access-log").get_data(as_text=True)


def test_an_expired_delegation_gives_no_access_and_is_logged_once(app, ctx):
    louis, sophie, pid, d_id = helped(app, ctx)
    assert sophie.get(f"/p/{pid}/").status_code == 200
    with ctx():
        d = db.session.get(Delegation, d_id)
        d.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert sophie.get(f"/p/{pid}/").status_code == 404
    louis.get(f"/p/{pid}/caregivers")
    louis.get(f"/p/{pid}/access-log")
    with ctx():
        expired = db.session.scalars(select(AccessEvent).where(AccessEvent.action == "delegation.expired"))
        expired = expired.all()
        assert len(expired) == 1 and expired[0].object_label == "Sophie Bernard"


def test_a_mediator_cannot_be_invited(app, ctx):
    louis = registered(app, "louis")
    with ctx():
        make_person("karim", role="mediator")
        db.session.commit()
    pid = own_profile_id(ctx, "louis")
    assert "ne peut pas être aidant" in invite(louis, pid, email="karim@fs.example.fr").get_data(as_text=True)


def _accept_by_code(owner, helper, pid, scopes):
    invite(owner, pid, how="code", email="", label="Marie", term="1m", scopes=scopes)
    page = owner.get(f"/p/{pid}/caregivers")  # the code is shown after the redirect
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


def test_an_email_invitation_is_bound_to_an_existing_account_only(app, ctx):
    """An address with no account gets a code by e-mail (tests/test_delegation_mail.py): whoever
    registers the address without reading that mailbox finds nothing waiting."""
    louis = registered(app, "louis")
    pid = own_profile_id(ctx, "louis")
    form = louis.get(f"/p/{pid}/caregivers").get_data(as_text=True)
    assert "Nous lui envoyons un e-mail avec un code" in form
    assert invite(louis, pid, email="sophie@example.fr").status_code == 302
    with ctx():
        assert db.session.scalars(select(Delegation)).one().caregiver_id is None
    squatter = registered(app, email="sophie@example.fr", name="Quelqu'un d'autre")
    assert "vous invite à aider" not in squatter.get("/").get_data(as_text=True)
    with ctx():
        db.session.query(Delegation).delete()
        db.session.commit()
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


def _helpers(app, owner_email, n, accept=True):
    """n caregivers for the owner's profile (accepted or still invited), created directly."""
    with app.test_request_context():
        owner = accounts.find_by_email(owner_email)
        access = require_access(owner, accounts.own_profile(owner).id, "manage")
        for i in range(n):
            helper = make_person(email=f"h{i}-{owner.id}@example.fr", name=f"Aidant {i}", password=None)
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
        assert "Aidants en ce moment\u00a0: Aidant" in page and lots == few
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
