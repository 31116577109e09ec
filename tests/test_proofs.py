"""Proofs of delegation (issue 17): each delegation, consent and revocation gives a one-page PDF filed in
both people's documents; its QR code holds a signed statement the verifier accepts, and a forged
signature, a changed statement or an unknown key are refused."""

import html
import io
import json
import re
from datetime import timedelta

import pikepdf
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pikepdf import PdfImage
from sqlalchemy import select

from companion.extensions import db
from companion.models.audit import AccessEvent
from companion.models.delegation import Delegation
from companion.models.document import Document
from companion.models.proof import Proof
from companion.services import documents, proof_keys, proofs

from .cast import helped, own_profile_id
from .test_wallet_card import _page_text


def _proof_docs(ctx, pid: int) -> list[tuple[str, bytes]]:
    with ctx():
        proof_docs = select(Document).where(Document.profile_id == pid, Document.origin == "proof")
        docs = db.session.scalars(proof_docs.order_by(Document.id)).all()
        return [(d.title, documents.read_bytes(d)) for d in docs]


def _qr_text(pdf_bytes: bytes) -> str:
    pdf = pikepdf.open(io.BytesIO(pdf_bytes))
    assert len(pdf.pages) == 1
    images = [PdfImage(obj).as_pil_image() for obj in pdf.pages[0].get_images().values()]
    found = [r.text for img in images for r in zxingcpp.read_barcodes(img.convert("RGB"))]
    assert len(found) == 1
    return found[0]


def _tamper(token: str, **changes) -> str:
    prefix, kid, payload, sig = token.split(".")
    data = json.loads(proof_keys.unb64url(payload))
    data.update(changes)
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return ".".join((prefix, kid, proof_keys.b64url(raw), sig))


def test_a_delegation_and_its_end_give_proofs_in_both_peoples_documents(app, ctx):
    louis, sophie, pid, d_id = helped(app, ctx, term="6m")
    sophie_pid = own_profile_id(ctx, "sophie")
    (title, pdf), = _proof_docs(ctx, pid)
    assert title == "Preuve\u00a0: Sophie Bernard peut agir pour Louis Bernard"
    assert [t for t, _ in _proof_docs(ctx, sophie_pid)] == [title]
    text = " ".join(_page_text(pikepdf.open(io.BytesIO(pdf))).split())
    assert "Sophie Bernard peut agir pour Louis Bernard - voir les documents, l'agenda de pr" in text
    url = _qr_text(pdf)
    assert url.startswith("http://localhost:5000/verify#CP1.")
    with app.test_request_context():
        stmt = proofs.read(url)
        assert (stmt.kind, stmt.person, stmt.caregiver) == ("delegation", "Louis Bernard", "Sophie Bernard")
        assert stmt.scopes == ("documents:read", "agenda")
        d = db.session.get(Delegation, d_id)
        assert stmt.until == d.expires_at.astimezone(proofs.ZoneInfo("Europe/Paris")).date()
        # Nothing but names, scopes, dates and ids in what the QR code carries.
        assert set(json.loads(proof_keys.unb64url(url.split(".")[2]))) == set(proofs.FIELDS)
    assert app.test_client().get(f"/verify/status/{stmt.proof_id}.json").json == {"state": "active"}
    with app.test_request_context():  # on a clock moved past its end, the same proof no longer holds
        later = db.session.get(Delegation, d_id).expires_at + timedelta(seconds=1)
        assert proofs.status(stmt.proof_id, now=later) == "expired"
    # Sophie sees it among her documents, as any document.
    listing = sophie.get(f"/p/{sophie_pid}/documents").get_data(as_text=True)
    assert "Preuve\u00a0: Sophie Bernard peut agir pour Louis Bernard" in listing

    assert louis.post(f"/p/{pid}/caregivers/{d_id}/end", from_url=f"/p/{pid}/caregivers").status_code == 302
    titles = [t for t, _ in _proof_docs(ctx, pid)]
    assert titles[-1] == "Preuve\u00a0: Sophie Bernard n’agit plus pour Louis Bernard"
    assert [t for t, _ in _proof_docs(ctx, sophie_pid)] == titles
    with app.test_request_context():
        ended = proofs.read(_qr_text(_proof_docs(ctx, pid)[-1][1]))
        assert ended.kind == "revocation"
    client = app.test_client()
    assert client.get(f"/verify/status/{stmt.proof_id}.json").json == {"state": "ended"}
    assert client.get(f"/verify/status/{ended.proof_id}.json").json == {"state": "ended"}
    assert client.get("/verify/status/nothing-of-ours.json").status_code == 404
    with ctx():
        filed = db.session.scalars(select(AccessEvent.object_label).where(
            AccessEvent.profile_id == pid, AccessEvent.action == "proof.filed")).all()
        assert filed == titles


def test_an_older_proof_of_a_changed_access_no_longer_passes_for_it(app, ctx):
    """The owner narrows the caregiver to the agenda and brings the end forward: the first proof (the
    documents too, until next year) shown at a pharmacy must not read as holding today."""
    louis, _sophie, pid, d_id = helped(app, ctx, term="1y")
    with ctx():
        first = db.session.scalar(select(Proof.token).where(Proof.delegation_id == d_id).order_by(Proof.id))
    client, url = app.test_client(), f"/p/{pid}/caregivers"
    assert client.get(f"/verify/status/{first}.json").json == {"state": "active"}
    assert louis.post(f"{url}/{d_id}/change", {"scopes": ["agenda"]}, from_url=url).status_code == 302
    with ctx():
        newest = db.session.scalar(select(Proof.token).where(Proof.delegation_id == d_id)
                                   .order_by(Proof.id.desc()).limit(1))
    assert newest != first
    assert client.get(f"/verify/status/{first}.json").json == {"state": "replaced"}
    assert client.get(f"/verify/status/{newest}.json").json == {"state": "active"}
    page = client.get("/verify").get_data(as_text=True)
    words = json.loads(html.unescape(re.search(r'data-words="([^"]*)"', page)[1]))
    assert words["status"]["replaced"].startswith("Une preuve plus récente remplace celle-ci")  # the page's
    assert louis.post(f"{url}/{d_id}/end", from_url=url).status_code == 302
    assert client.get(f"/verify/status/{first}.json").json == {"state": "ended"}  # ended says more


def test_a_consent_gives_a_proof_too(app, ctx):
    _louis, _sophie, pid, d_id = helped(app, ctx)
    with app.test_request_context():
        proofs.issue("consent", db.session.get(Delegation, d_id))
        db.session.commit()
    title, pdf = _proof_docs(ctx, pid)[-1]
    assert title == "Preuve\u00a0: Louis Bernard accepte que Sophie Bernard agisse en son nom"
    assert [t for t, _ in _proof_docs(ctx, own_profile_id(ctx, "sophie"))][-1] == title
    with app.test_request_context():
        assert proofs.read(_qr_text(pdf)).kind == "consent"


def test_forged_changed_or_unknown_statements_are_refused(app, ctx):
    _louis, _sophie, pid, _d = helped(app, ctx)
    with app.test_request_context():
        token = db.session.scalar(select(Proof.statement))
        assert proofs.read(token).caregiver == "Sophie Bernard"
        cases = {
            "bad_signature": [_tamper(token, c="Eve Mallory"), _tamper(token, u="2099-12-31"),
                              _tamper(token, s=["documents:read", "documents:write", "agenda"])],
            "format": ["", "CP1.abc", "hello", token.replace("CP1", "CP2", 1), token + ".x"],
        }
        prefix, kid, payload, sig = token.split(".")
        other = Ed25519PrivateKey.generate()
        forged = proof_keys.b64url(other.sign(proof_keys.unb64url(payload)))
        cases["bad_signature"].append(".".join((prefix, kid, payload, forged)))  # our key id, not our key
        cases["bad_signature"].append(".".join((prefix, kid, payload, sig[:-4] + "AAAA")))
        cases["unknown_key"] = [".".join((prefix, "0123456789abcdef", payload, forged))]
        # Signed by our own key but not a statement (a field missing, an unknown scope): still refused.
        for odd in ({"v": 1, "k": "delegation"}, {**json.loads(proof_keys.unb64url(payload)), "s": ["all"]}):
            raw = json.dumps(odd).encode()
            cases["format"].append(".".join((prefix, kid, proof_keys.b64url(raw),
                                             proof_keys.b64url(proof_keys.sign(raw)))))
        for reason, texts in cases.items():
            for text in texts:
                with pytest.raises(proofs.ProofRefused) as refused:
                    proofs.read(text)
                assert refused.value.reason == reason, text


def test_keys_are_published_with_their_id_and_old_ones_stay_after_a_rotation(app, ctx):
    _louis, _sophie, _pid, _d = helped(app, ctx)
    client = app.test_client()
    resp = client.get("/.well-known/companion-proof-keys.json")
    assert resp.status_code == 200 and "Set-Cookie" not in resp.headers
    (key,) = resp.json["keys"]
    with app.test_request_context():
        token = db.session.scalar(select(Proof.statement))
        assert key["kid"] == token.split(".")[1] and key["status"] == "current"
        old_public = proof_keys.signing_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    # Rotation: a new signing key, the old public key kept as retired.
    saved = dict(app.extensions), dict(app.config)
    try:
        app.extensions.pop("companion_proof_key")
        app.config.update(PROOF_SIGNING_KEY="44" * 32, PROOF_RETIRED_KEYS=old_public.hex())
        keys = client.get("/.well-known/companion-proof-keys.json").json["keys"]
        assert [k["status"] for k in keys] == ["current", "retired"] and keys[1]["kid"] == key["kid"]
        with app.test_request_context():
            assert proofs.read(token).caregiver == "Sophie Bernard"  # signed before the rotation
            app.config["PROOF_RETIRED_KEYS"] = ""
            with pytest.raises(proofs.ProofRefused) as refused:
                proofs.read(token)
            assert refused.value.reason == "unknown_key"
    finally:
        app.extensions.clear(), app.extensions.update(saved[0])
        app.config.clear(), app.config.update(saved[1])


def test_the_verifier_page_is_public_and_names_nobody(app):
    resp = app.test_client().get("/verify")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Vérifier une preuve" in html and "js/verify" in html


def test_the_verifier_and_the_keys_run_no_statement_and_a_status_one(app):
    """Anyone may open them, often: the page and the keys read nothing from the database, a status
    reads the proof and its delegation only."""
    from .statements import counted

    client = app.test_client()
    for url in ("/verify", "/.well-known/companion-proof-keys.json"):
        client.get(url)
        with counted(app) as sql:
            assert client.get(url).status_code == 200
        assert list(sql) == [], url
    with counted(app) as sql:
        assert client.get("/verify/status/unknown.json").status_code == 404
    assert len(list(sql)) == 1
