"""Dependent adults (issue 17): a profile for an adult without an account, created by a named person
with a legal basis, its proof and a review date; managed like any profile (documents, caregivers, access
log); reviewed when its date comes; then taken back by the adult in a France Services help session, the
manager's role becoming a delegation the adult can end, with a consent proof in both documents."""

import io
import re
from datetime import timedelta

from sqlalchemy import select

from companion.commands import closures
from companion.demo.documents import make_pdf
from companion.extensions import db
from companion.models.audit import AccessEvent
from companion.models.closure import Closure
from companion.models.delegation import Delegation
from companion.models.document import Document
from companion.models.mail import OutgoingMail
from companion.models.profile import Profile, ProfileOwner
from companion.models.proof import Dependent
from companion.models.types import utcnow
from companion.services import dependents

from .cast import invite, mediator_browser, own_profile_id, registered
from .conftest import Browser
from .documents_support import upload
from .test_onboarding_flow import join, start_session

JUDGEMENT = make_pdf("Jugement de tutelle", ["Tribunal judiciaire de Guéret"])
CODE_RE = re.compile(r'class="onb-digits">([A-Z0-9-]+)<')


def _new(sophie: Browser, **fields):
    today = utcnow().date()
    data = {"first_name": "Louis", "last_name": "Bernard", "birth_date": "1940-02-03", "sex": "M",
            "legal_basis": "tutelle", "review_on": (today + timedelta(days=365)).isoformat(),
            "proof": (io.BytesIO(JUDGEMENT), "jugement.pdf"), **fields}
    return sophie.post("/dependents/new", data, content_type="multipart/form-data")


def _actions(ctx, pid: int) -> list[tuple[str, str]]:
    with ctx():
        return [(e.action, e.object_label) for e in db.session.scalars(
            select(AccessEvent).where(AccessEvent.profile_id == pid).order_by(AccessEvent.id))]


def _titles(ctx, pid: int) -> list[str]:
    with ctx():
        return list(db.session.scalars(select(Document.title).where(Document.profile_id == pid)
                                       .order_by(Document.id)))


def test_a_dependent_adult_is_refused_without_basis_proof_adult_age_or_a_future_review(app):
    sophie = registered(app, "sophie")
    assert "Ajouter un adulte dont je m’occupe" in sophie.get("/").get_data(as_text=True)
    assert sophie.get("/dependents/new").status_code == 200
    no_proof = _new(sophie, proof=(io.BytesIO(b""), ""))
    assert no_proof.status_code == 422
    assert "Ajoutez la preuve de la base légale" in no_proof.get_data(as_text=True)
    child = _new(sophie, birth_date=(utcnow().date() - timedelta(days=365 * 10)).isoformat())
    assert child.status_code == 400 and "18\u00a0ans ou plus" in child.get_data(as_text=True)
    past = _new(sophie, review_on=(utcnow().date() - timedelta(days=1)).isoformat())
    assert past.status_code == 400 and "après aujourd’hui" in past.get_data(as_text=True)
    assert _new(sophie, legal_basis="cousin").status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Dependent.id)) is None
        assert db.session.scalar(select(Document.id)) is None  # nothing half-written


def test_a_dependent_adult_is_managed_reviewed_and_taken_back_in_a_help_session(app, ctx):
    sophie = registered(app, "sophie")
    resp = _new(sophie)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/dependent")
    pid = int(resp.headers["Location"].split("/")[2])
    page = sophie.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Base légale pour Louis Bernard" in page and "Tutelle" in page
    assert _titles(ctx, pid) == ["Preuve de la base légale\u00a0: Tutelle"]
    assert ("dependent.created", "Tutelle") in _actions(ctx, pid)
    with ctx():
        assert db.session.scalar(select(Profile.user_id).where(Profile.id == pid)) is None

    # Managed like any profile: a document, a caregiver (with her proof), the access log.
    assert upload(sophie, pid, make_pdf("Ordonnance", ["Doliprane"]), title="Ordonnance").status_code == 302
    nadia = registered(app, "nadia")
    invite(sophie, pid, email="nadia@example.fr", scopes=["documents:read"])
    with ctx():
        d_id = db.session.scalar(select(Delegation.id).where(Delegation.profile_id == pid))
    assert nadia.post(f"/invitations/{d_id}/accept", from_url="/").status_code == 302
    assert nadia.get(f"/p/{pid}/documents").status_code == 200
    proof = "Preuve\u00a0: Nadia Haddad peut agir pour Louis Bernard"
    assert proof in _titles(ctx, pid) and proof in _titles(ctx, own_profile_id(ctx, "nadia"))
    assert "document.list" in [a for a, _ in _actions(ctx, pid)]
    assert "Nadia Haddad" in sophie.get(f"/p/{pid}/access-log").get_data(as_text=True)

    # The review date comes near: one reminder; once it has passed, the page asks to confirm or update.
    with ctx():
        dep = db.session.scalar(select(Dependent))
        dep.review_on = utcnow().date() + timedelta(days=10)
        db.session.commit()
    with app.test_request_context():
        assert dependents.remind_reviews() == 1 and dependents.remind_reviews() == 0
        db.session.commit()
        mail = db.session.scalar(select(OutgoingMail).where(OutgoingMail.kind == "dependent_review"))
        assert mail.recipient == "sophie@example.fr" and "Louis Bernard" in mail.subject
    with ctx():
        db.session.scalar(select(Dependent)).review_on = utcnow().date() - timedelta(days=1)
        db.session.commit()
    profile_page = sophie.get(f"/p/{pid}/").get_data(as_text=True)
    assert "La date de vérification de la base légale est passée" in profile_page
    assert "Confirmez-la avec une nouvelle date" in sophie.get(f"/p/{pid}/dependent").get_data(as_text=True)
    later = (utcnow().date() + timedelta(days=700)).isoformat()
    resp = sophie.post(f"/p/{pid}/dependent/review", {"legal_basis": "curatelle", "review_on": later},
                       from_url=f"/p/{pid}/dependent")
    assert resp.status_code == 302
    assert "est passée" not in sophie.get(f"/p/{pid}/").get_data(as_text=True)
    assert ("dependent.reviewed", later) in _actions(ctx, pid)

    # The code to take it back, shown once; a stranger's page cannot make one.
    assert nadia.post(f"/p/{pid}/dependent/claim-code", from_url="/").status_code == 404
    resp = sophie.post(f"/p/{pid}/dependent/claim-code", from_url=f"/p/{pid}/dependent")
    assert resp.status_code == 201
    code = CODE_RE.search(resp.get_data(as_text=True)).group(1)

    # Louis, at France Services: without a help session there is nothing to claim.
    assert Browser(app.test_client()).get("/onboarding/claim").status_code == 404
    mediator, _mid = mediator_browser(app)
    session_code, _sid = start_session(mediator)
    louis = join(app, session_code)
    louis.post("/onboarding/consent", {"answer": "agree"}, from_url="/onboarding/consent")
    assert "J’ai un code pour reprendre mon profil" in louis.get("/onboarding/account").get_data(as_text=True)
    account = {"display_name": "Louis Bernard", "email": "louis@example.fr", "password": "une phrase facile"}
    wrong = louis.post("/onboarding/claim", {**account, "code": "AAAA-BBBB-CCCC"})
    assert wrong.status_code == 400 and "Ce code ne marche pas" in wrong.get_data(as_text=True)
    resp = louis.post("/onboarding/claim", {**account, "code": code.lower()})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/onboarding/")

    with ctx():
        profile = db.session.get(Profile, pid)
        louis_id = profile.user_id
        assert louis_id is not None
        owners = db.session.execute(select(ProfileOwner.user_id, ProfileOwner.relation)
                                    .where(ProfileOwner.profile_id == pid)).all()
        assert owners == [(louis_id, "self")]
        kept = db.session.scalar(select(Delegation).where(Delegation.profile_id == pid,
                                                          Delegation.granted_by_id == louis_id))
        assert kept.is_active(utcnow()) and kept.scope_set == {"documents:read", "documents:write", "agenda"}
    assert "Votre propre profil" in louis.get(f"/p/{pid}/").get_data(as_text=True)
    actions = _actions(ctx, pid)
    assert ("dependent.claimed", "France Services de Guéret") in actions
    assert ("dependent.manager_kept", "Sophie Bernard") in actions
    consent = "Preuve\u00a0: Louis Bernard accepte que Sophie Bernard agisse en son nom"
    assert consent in _titles(ctx, pid) and consent in _titles(ctx, own_profile_id(ctx, "sophie"))
    # Sophie no longer manages it, she helps: the caregivers page is Louis's alone.
    assert sophie.get(f"/p/{pid}/caregivers").status_code == 404
    assert sophie.get(f"/p/{pid}/documents").status_code == 200
    # The same code cannot take it twice.
    other = join(app, start_session(mediator)[0])
    other.post("/onboarding/consent", {"answer": "agree"}, from_url="/onboarding/consent")
    again = other.post("/onboarding/claim", {**account, "email": "x@example.fr", "code": code})
    assert again.status_code == 400

    # Louis may end Sophie's help: a revocation proof.
    ended = louis.post(f"/p/{pid}/caregivers/{kept.id}/end", from_url=f"/p/{pid}/caregivers")
    assert ended.status_code == 302
    assert sophie.get(f"/p/{pid}/documents").status_code == 404
    assert "Preuve\u00a0: Sophie Bernard n’agit plus pour Louis Bernard" in _titles(ctx, pid)


def test_a_carer_cannot_close_their_account_while_an_adult_they_look_after_would_go_with_it(app, ctx):
    """The adult is a person, not a child: closing the carer's account must not erase their space."""
    sophie = registered(app, "sophie")
    assert _new(sophie).status_code == 302
    resp = sophie.post("/account/close", {"understood": "y"})
    assert resp.status_code == 409
    assert "Vous vous occupez de Louis Bernard" in resp.get_data(as_text=True)
    with ctx():
        assert db.session.scalar(select(Closure.id)) is None  # nothing asked, nothing ended
        louis = db.session.scalar(select(Dependent.profile_id))
    # Closing Louis's profile on its own page stays possible; then the account may close.
    assert sophie.post(f"/p/{louis}/close", {"understood": "y"}).status_code == 302
    assert sophie.post("/account/close", {"understood": "y"}).status_code == 302
    with ctx():
        last = max(db.session.scalars(select(Closure.closes_at)))
    assert closures.job(app, now=last + timedelta(minutes=1)) >= 1
    with ctx():
        assert db.session.get(Profile, louis) is None and db.session.scalar(select(Closure.id)) is None
