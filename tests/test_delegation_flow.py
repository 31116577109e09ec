"""Caregiver delegation through the web: invite, accept, act with the banner, get logged, be revoked."""

import re
from datetime import timedelta

from sqlalchemy import select

from companion.extensions import db
from companion.models.audit import AccessEvent
from companion.models.delegation import Delegation
from companion.models.types import utcnow

from .cast import invite, make_person, own_profile_id, registered


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
    assert "Aidants en ce moment : Sophie Bernard jusqu’au" in louis.get(f"/p/{pid}/").get_data(as_text=True)
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
    page = invite(claire, pid, how="code", email="", label="Ma voisine Marie", term="1m",
                  scopes=["agenda"]).get_data(as_text=True)
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
    louis = registered(app, "louis")
    sophie = registered(app, "sophie")
    pid = own_profile_id(ctx, "louis")
    invite(louis, pid, email="sophie@example.fr", term="1d")
    with ctx():
        d_id = db.session.scalar(select(Delegation.id))
    sophie.post(f"/invitations/{d_id}/accept", from_url="/")
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
    louis = registered(app, "louis")
    sophie = registered(app, "sophie")
    pid = own_profile_id(ctx, "louis")
    invite(louis, pid, email="sophie@example.fr")
    with ctx():
        d_id = db.session.scalar(select(Delegation.id))
    sophie.post(f"/invitations/{d_id}/accept", from_url="/")
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
