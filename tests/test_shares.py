"""Sharing with a health professional (issue 16): what was chosen and nothing else reaches a browser with
no account; the server holds only ciphertext; passcode tries, expiry, revocation and the end of a
caregiver's access stop it; every opening and refusal is in the owner's access log."""

import base64
import html
import re
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from companion.demo.documents import make_pdf
from companion.extensions import db
from companion.models.agenda import AgendaItem
from companion.models.delegation import Delegation
from companion.models.profile import Profile
from companion.models.share import ClinicianShare
from companion.models.types import utcnow
from companion.services import shares

from .cast import delegate, make_person, sign_up, signed_in
from .conftest import csrf_from
from .documents_support import _empty_document_store, upload  # noqa: F401
from .test_emergency_card import _fill

LINK = re.compile(r'value="(http://[^"]+/s/([A-Za-z0-9_-]+)#([A-Za-z0-9_-]+))"')


def _share(web, pid, **fields):
    data = {"card": "y", "lifetime": "1d", **fields}
    resp = web.post(f"/p/{pid}/shares", data, from_url=f"/p/{pid}/shares")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    page = web.get(resp.headers["Location"]).get_data(as_text=True)
    url, public_id, key = LINK.search(html.unescape(page)).groups()
    code = re.search(r'<code id="share-code">([0-9A-Z-]+)</code>', page)[1]
    assert "<svg" in page and 'aria-label="QR code pour ouvrir le partage"' in page
    return public_id, base64.urlsafe_b64decode(key + "=="), code


class Clinician:
    """A browser with no account."""

    def __init__(self, app):
        self.client = app.test_client()

    def open(self, public_id, passcode=None):
        token = csrf_from(self.client.get(f"/s/{public_id}").get_data(as_text=True))
        return self.client.post(f"/s/{public_id}/open", json={"passcode": passcode},
                                headers={"X-CSRFToken": token})


def _decrypt(resp, key, public_id) -> dict:
    import json
    blob = base64.b64decode(resp.get_json()["data"])
    return json.loads(AESGCM(key).decrypt(blob[:12], blob[12:], public_id.encode()))


@pytest.fixture
def louis(web, ctx):
    pid = sign_up(web, ctx, "louis")
    _fill(web, pid)
    return pid


def test_a_clinician_sees_exactly_what_was_shared_and_the_server_cannot_read_it(app, web, ctx, louis):
    doc = upload(web, louis, make_pdf("lettre", ["Compte rendu"]), title="Lettre du cardiologue")
    other = upload(web, louis, make_pdf("autre", ["Secret"]), title="Autre document", type_code="11490-0")
    doc_id = int(doc.headers["Location"].rsplit("/", 1)[1])
    assert other.status_code == 302
    public_id, key, code = _share(web, louis, documents=[str(doc_id)])
    with ctx():
        row = db.session.scalar(select(ClinicianShare))
        stored = row.ciphertext + row.code_wrapped_key + row.public_id.encode() + row.code_lookup.encode()
    assert b"nicilline" not in stored and key not in stored and b"Lettre" not in stored
    resp = Clinician(app).open(public_id)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    shared = _decrypt(resp, key, public_id)
    assert shared["name"] == "Louis Bernard"
    assert shared["card"]["allergies"][0] == "pénicilline (plaques rouges)"
    assert [d["title"] for d in shared["documents"]] == ["Lettre du cardiologue"]
    assert base64.b64decode(shared["documents"][0]["data"]).startswith(b"%PDF")
    assert shared["vaccinations"] == []
    # The card changed afterwards: the share still shows what was shared, with its date.
    _fill(web, louis, allergies="arachide")
    again = _decrypt(Clinician(app).open(public_id), key, public_id)
    assert again["card"]["allergies"][0].startswith("pénicilline") and again["made_at"] == shared["made_at"]
    log = web.get(f"/p/{louis}/access-log").get_data(as_text=True)
    assert log.count("a ouvert ce qui lui a été partagé") == 2
    assert "La personne avec qui vous avez partagé" in log


def test_the_short_code_finds_the_share_and_unwraps_its_key(app, web, louis):
    public_id, key, code = _share(web, louis)
    lookup, wrap = shares.derive(code.lower().replace("-", " "))
    resp = Clinician(app).client.get(f"/s/code/{lookup}")
    assert resp.status_code == 200 and resp.get_json()["id"] == public_id
    wrapped = base64.b64decode(resp.get_json()["wrapped"])
    assert AESGCM(wrap).decrypt(wrapped[:12], wrapped[12:], shares.WRAP_AAD) == key
    assert Clinician(app).client.get(f"/s/code/{'0' * 64}").status_code == 404


def test_guessing_codes_is_rate_limited(app, web, louis):
    clinician = Clinician(app).client
    statuses = [clinician.get(f"/s/code/{i:064x}").status_code for i in range(11)]
    assert statuses[:10] == [404] * 10 and statuses[10] == 429


def test_a_wrong_passcode_counts_down_then_the_share_is_dead(app, web, ctx, louis):
    public_id, key, _ = _share(web, louis, passcode="tilleul")
    clinician = Clinician(app)
    first = clinician.open(public_id)
    assert first.status_code == 401 and first.get_json()["passcode"] is True  # no try spent asking
    assert first.get_json()["tries_left"] == 5
    for left in (4, 3, 2, 1):
        resp = clinician.open(public_id, "platane")
        assert resp.status_code == 401 and f"Essais restants\u00a0: {left}" in resp.get_json()["message"]
    assert clinician.open(public_id, "platane").status_code == 410
    assert clinician.open(public_id, "tilleul").status_code == 410  # dead even with the right one
    log = web.get(f"/p/{louis}/access-log").get_data(as_text=True)
    assert "le partage s’est arrêté" in log


def test_the_right_passcode_opens(app, web, louis):
    public_id, key, _ = _share(web, louis, passcode="tilleul")
    assert _decrypt(Clinician(app).open(public_id, "tilleul"), key, public_id)["card"]


def test_revocation_and_expiry_stop_the_share_and_the_attempt_is_logged(app, web, ctx, louis):
    public_id, _, _ = _share(web, louis)
    with ctx():
        share_id = db.session.scalar(select(ClinicianShare.id))
    resp = web.post(f"/p/{louis}/shares/{share_id}/revoke", from_url=f"/p/{louis}/shares")
    assert resp.status_code == 302
    ended = Clinician(app).open(public_id)
    assert ended.status_code == 410 and "Ce partage est terminé" in ended.get_json()["message"]
    other, _, _ = _share(web, louis, lifetime="15m")
    with ctx():
        row = db.session.scalar(select(ClinicianShare).where(ClinicianShare.public_id == other))
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert Clinician(app).open(other).status_code == 410
    log = web.get(f"/p/{louis}/access-log").get_data(as_text=True)
    assert "a essayé d’ouvrir un partage terminé" in log
    assert Clinician(app).open("nope").status_code == 404


def test_a_share_made_by_a_caregiver_ends_when_her_access_ends(app, web, ctx, louis):
    with ctx():
        sophie_id = make_person("sophie").id
        db.session.commit()
    delegate(ctx, louis, "sophie", "documents:read")
    helper = signed_in(app.test_client(), sophie_id)
    public_id, key, _ = _share(helper, louis)
    assert Clinician(app).open(public_id).status_code == 200
    assert "a fait un partage pour un professionnel de santé" in web.get(f"/p/{louis}/access-log").get_data(
        as_text=True)
    with ctx():
        query = select(Delegation).where(Delegation.caregiver_id == sophie_id)
        db.session.scalar(query).revoked_at = utcnow()
        db.session.commit()
    assert Clinician(app).open(public_id).status_code == 410


def _sophie_helps(app, ctx, louis, scopes, see_hidden=False):
    with ctx():
        sophie_id = make_person("sophie").id
        db.session.commit()
    delegate(ctx, louis, "sophie", scopes, see_hidden=see_hidden)
    with ctx():
        delegation_id = db.session.scalar(select(Delegation.id).where(Delegation.caregiver_id == sophie_id))
    return signed_in(app.test_client(), sophie_id), delegation_id


def _change(web, louis, delegation_id, scopes, see_hidden=False):
    data = {"scopes": scopes, **({"see_hidden": "y"} if see_hidden else {})}
    resp = web.post(f"/p/{louis}/caregivers/{delegation_id}/change", data, from_url=f"/p/{louis}/caregivers")
    assert resp.status_code == 302, resp.get_data(as_text=True)


ENDED_LOG = "a arrêté le partage d’un aidant pour un professionnel de santé"


def test_a_caregivers_share_ends_when_the_owner_takes_documents_from_her_access(app, web, ctx, louis):
    helper, delegation_id = _sophie_helps(app, ctx, louis, "documents:read agenda")
    public_id, _, _ = _share(helper, louis)
    assert Clinician(app).open(public_id).status_code == 200
    page = web.get(f"/p/{louis}/caregivers").get_data(as_text=True)
    assert "Modifier ce que cette personne peut faire" in page
    _change(web, louis, delegation_id, ["agenda"])  # she still helps, but no longer reads documents
    assert Clinician(app).open(public_id).status_code == 410
    with ctx():
        assert db.session.scalar(select(ClinicianShare.revoked_at)) is not None  # ended, not only refused
    log = web.get(f"/p/{louis}/access-log").get_data(as_text=True)
    assert "a modifié ce qui est permis à" in log and ENDED_LOG in log
    # Giving the scope back does not bring the share back.
    _change(web, louis, delegation_id, ["documents:read", "agenda"])
    assert Clinician(app).open(public_id).status_code == 410


def test_only_the_shares_she_could_no_longer_make_end(app, web, ctx, louis):
    """Vaccinations need the agenda; a hidden document needs "also the hidden documents"."""
    with ctx():
        db.session.add(AgendaItem(profile_id=louis, rule_id=_a_vaccine(), done_on=utcnow().date()))
        db.session.commit()
    secret = upload(web, louis, make_pdf("secret", ["Secret"]), title="Lettre cachée")
    secret_id = int(secret.headers["Location"].rsplit("/", 1)[1])
    assert web.post(f"/p/{louis}/documents/{secret_id}/hide", {"hidden": "1"}).status_code == 302
    helper, delegation_id = _sophie_helps(app, ctx, louis, "documents:read agenda", see_hidden=True)
    card_only, _, _ = _share(helper, louis)
    with_vaccines, _, _ = _share(helper, louis, vaccinations="y")
    with_hidden, _, _ = _share(helper, louis, documents=[str(secret_id)])
    _change(web, louis, delegation_id, ["documents:read", "agenda"])  # no longer the hidden documents
    assert Clinician(app).open(with_hidden).status_code == 410
    assert Clinician(app).open(with_vaccines).status_code == 200
    _change(web, louis, delegation_id, ["documents:read"])  # no longer the agenda
    assert Clinician(app).open(with_vaccines).status_code == 410
    assert Clinician(app).open(card_only).status_code == 200
    assert web.get(f"/p/{louis}/access-log").get_data(as_text=True).count(ENDED_LOG) == 2


def test_ending_her_access_ends_her_shares_and_says_so(app, web, ctx, louis):
    helper, delegation_id = _sophie_helps(app, ctx, louis, "documents:read")
    public_id, _, _ = _share(helper, louis)
    resp = web.post(f"/p/{louis}/caregivers/{delegation_id}/end", {}, from_url=f"/p/{louis}/caregivers")
    assert resp.status_code == 302
    assert Clinician(app).open(public_id).status_code == 410
    assert ENDED_LOG in web.get(f"/p/{louis}/access-log").get_data(as_text=True)


def test_the_end_of_her_access_at_its_date_ends_her_shares_in_the_log(app, web, ctx, louis):
    from companion.services import delegations

    helper, delegation_id = _sophie_helps(app, ctx, louis, "documents:read")
    public_id, _, _ = _share(helper, louis, lifetime="7d")
    with ctx():
        db.session.get(Delegation, delegation_id).expires_at = utcnow() - timedelta(minutes=1)
        assert delegations.note_expired() == 1
        db.session.commit()
        assert db.session.scalar(select(ClinicianShare.revoked_at)) is not None
    assert Clinician(app).open(public_id).status_code == 410
    assert ENDED_LOG in web.get(f"/p/{louis}/access-log").get_data(as_text=True)


def _a_vaccine() -> str:
    from companion.prevention import load_rules

    return next(rid for rid, r in load_rules().items() if r.kind == "vaccine")


def test_choices_are_checked(web, louis):
    resp = web.post(f"/p/{louis}/shares", {"lifetime": "1d"}, from_url=f"/p/{louis}/shares")
    assert resp.status_code == 400 and "Choisissez au moins une chose" in resp.get_data(as_text=True)
    resp = web.post(f"/p/{louis}/shares", {"card": "y", "lifetime": "30d"}, from_url=f"/p/{louis}/shares")
    assert resp.status_code == 422
    resp = web.post(f"/p/{louis}/shares", {"card": "y", "lifetime": "1d", "passcode": "ab"},
                    from_url=f"/p/{louis}/shares")
    assert resp.status_code == 400 and "de 4 à 40 caractères" in resp.get_data(as_text=True)


def test_the_link_is_shown_only_in_the_session_that_made_it(app, web, ctx, louis):
    _share(web, louis)
    with ctx():
        share_id = db.session.scalar(select(ClinicianShare.id))
        owner_id = db.session.get(Profile, louis).user_id
    other_phone = signed_in(app.test_client(), owner_id)
    page = other_phone.get(f"/p/{louis}/shares/{share_id}").get_data(as_text=True)
    assert "/s/" not in page and "<svg" not in page
    assert "montrés qu’une fois" in page


def _leave(clinician, public_id, title="Courrier de sortie", passcode="", data=None):
    import io
    token = csrf_from(clinician.client.get(f"/s/{public_id}").get_data(as_text=True))
    body = {"csrf_token": token, "title": title, "passcode": passcode,
            "file": (io.BytesIO(data or make_pdf(title, [title])), "lettre.pdf")}
    return clinician.client.post(f"/s/{public_id}/leave", data=body, content_type="multipart/form-data")


def test_a_health_professional_leaves_a_document_back_marked_to_check(app, web, ctx, louis):
    from companion.models.document import Document
    public_id, _, _ = _share(web, louis, passcode="tilleul")
    clinician = Clinician(app)
    assert _leave(clinician, public_id, passcode="platane").status_code == 401  # a wrong try counts
    resp = _leave(clinician, public_id, passcode="tilleul")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/s/{public_id}/left")
    assert "Merci\u00a0: le document a été déposé" in clinician.client.get(resp.headers["Location"]).get_data(
        as_text=True)
    with ctx():
        doc = db.session.scalar(select(Document).where(Document.profile_id == louis))
        assert (doc.title, doc.source, doc.origin, doc.added_by_id) == (
            "Courrier de sortie", "D’un professionnel de santé, à vérifier", "shared", None)
    assert "Courrier de sortie" in web.get(f"/p/{louis}/documents").get_data(as_text=True)
    log = web.get(f"/p/{louis}/access-log").get_data(as_text=True)
    assert "a déposé un document par un partage" in log and "Courrier de sortie" in log
    for i in range(4):
        assert _leave(clinician, public_id, title=f"Lettre {i}", passcode="tilleul").status_code == 302
    assert _leave(clinician, public_id, title="Une de trop", passcode="tilleul").status_code == 409


def test_nothing_can_be_left_through_an_ended_share(app, web, ctx, louis):
    public_id, _, _ = _share(web, louis)
    with ctx():
        db.session.scalar(select(ClinicianShare)).revoked_at = utcnow()
        db.session.commit()
    assert _leave(Clinician(app), public_id).status_code == 410


def test_the_share_page_and_a_filled_card_cost_under_30_kb_on_first_load(app, web, louis):
    from .budgets import ENCODINGS, KB, first_visit, wire_size
    public_id, _, _ = _share(web, louis)
    clinician = Clinician(app)
    page_bytes, sizes = first_visit(clinician.client, f"/s/{public_id}")
    token = csrf_from(clinician.client.get(f"/s/{public_id}").get_data(as_text=True))
    package = clinician.client.post(f"/s/{public_id}/open", json={"passcode": None},
                                    headers={"X-CSRFToken": token, **ENCODINGS})
    total = page_bytes + wire_size(package)
    print(f"share page first load: {page_bytes} B ({sizes}); card package: {wire_size(package)} B")
    assert total <= 30 * KB, sizes


def test_an_old_share_still_opens_on_its_page_and_ends_past_fifty_newer_ones(app, web, ctx, louis):
    """The list shows the 50 newest; a share's own page and its end button find it however old."""
    _share(web, louis)
    with ctx():
        first = db.session.scalar(select(ClinicianShare))
        for i in range(50):
            db.session.add(ClinicianShare(
                public_id=f"later{i}", code_lookup=f"later{i}", code_wrapped_key=b"-", ciphertext=b"-",
                profile_id=louis, created_by_id=first.created_by_id, summary="card", tries_left=5,
                created_at=first.created_at + timedelta(seconds=i + 1), expires_at=first.expires_at))
        db.session.commit()
        first_id = first.id
    listing = web.get(f"/p/{louis}/shares").get_data(as_text=True)
    assert f'/p/{louis}/shares/{first_id + 50}"' in listing  # the newest is listed...
    assert f'/p/{louis}/shares/{first_id}"' not in listing  # ...the first is past the 50
    assert web.get(f"/p/{louis}/shares/{first_id}").status_code == 200
    resp = web.post(f"/p/{louis}/shares/{first_id}/revoke", from_url=f"/p/{louis}/shares")
    assert resp.status_code == 302
    with ctx():
        assert db.session.get(ClinicianShare, first_id).revoked_at is not None


def _caregiver_reads(ctx, louis) -> list[str]:
    from companion.models.audit import AccessEvent

    with ctx():
        return list(db.session.scalars(select(AccessEvent.action).where(
            AccessEvent.profile_id == louis, AccessEvent.actor_role == "caregiver").order_by(AccessEvent.id)))


def test_a_caregiver_s_look_at_the_share_form_and_each_printed_card_are_in_the_owner_s_log(app, ctx, louis):
    """The share form lists the newest documents' titles; a printed card (PDF or lock screen) shows
    today's emergency card whatever the share held: each is a read the owner sees in the log."""
    helper, _ = _sophie_helps(app, ctx, louis, "documents:read")
    before = _caregiver_reads(ctx, louis)
    assert helper.get(f"/p/{louis}/shares").status_code == 200
    assert _caregiver_reads(ctx, louis)[len(before):] == ["document.list"]
    _share(helper, louis)
    share_id = _share_id(ctx)
    before = _caregiver_reads(ctx, louis)
    assert helper.get(f"/p/{louis}/shares/{share_id}/wallet.pdf").status_code == 200
    assert helper.get(f"/p/{louis}/shares/{share_id}/lock-screen.png").status_code == 200
    assert _caregiver_reads(ctx, louis)[len(before):] == ["emergency.view", "emergency.view"]
    # Where the link is no longer held nothing is printed, and nothing is logged as seen.
    other = signed_in(app.test_client(), _sophie_id(ctx))
    before = _caregiver_reads(ctx, louis)
    assert other.get(f"/p/{louis}/shares/{share_id}/wallet.pdf").status_code == 409
    assert _caregiver_reads(ctx, louis)[len(before):] == []


def _share_id(ctx) -> int:
    with ctx():
        return db.session.scalar(select(ClinicianShare.id).order_by(ClinicianShare.id.desc()))


def _sophie_id(ctx) -> int:
    from companion.models.account import User

    with ctx():
        return db.session.scalar(select(User.id).where(User.email.like("sophie%")))
