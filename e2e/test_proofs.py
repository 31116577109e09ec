"""The proof verifier (issue 17), in Chromium: a proof's statement checked in the browser with WebCrypto
Ed25519 against the published keys; offline once the page and its keys were opened online; a changed
statement, a forged signature and an unknown key refused in plain words; axe finds nothing."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import expect
from sqlalchemy import select

from companion.extensions import db
from companion.models.account import User
from companion.models.delegation import Delegation
from companion.models.proof import Proof
from companion.services import accounts, proof_keys, proofs

from .conftest import axe_check, wait_for_service_worker

pytestmark = pytest.mark.e2e

VERIFY_KEPT = "async () => !!(await caches.match('/verify', {cacheName: 'companion-verify'}))"


def _proof(live_server, louis_email: str, sophie_email: str) -> str:
    """Louis lets Sophie act for him (through the service, as the accept button does); the statement."""
    from tests.cast import make_delegation

    with live_server.app.test_request_context():
        louis = accounts.register(louis_email, "une phrase facile", "Louis Bernard", cost=(1, 1024))
        sophie = accounts.register(sophie_email, "une phrase facile", "Sophie Bernard", cost=(1, 1024))
        d = make_delegation(accounts.own_profile(louis).id, sophie, "documents:read agenda")
        proof = proofs.issue("delegation", d)
        db.session.commit()
        assert db.session.scalar(select(User.id).where(User.email == sophie_email))
        return proof.statement


def _tampered(token: str) -> str:
    prefix, kid, payload, sig = token.split(".")
    data = json.loads(proof_keys.unb64url(payload))
    data["c"] = "Eve Mallory"
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return ".".join((prefix, kid, proof_keys.b64url(raw), sig))


def _forged(token: str) -> str:
    prefix, _kid, payload, _sig = token.split(".")
    sig = Ed25519PrivateKey.generate().sign(proof_keys.unb64url(payload))
    return ".".join((prefix, "0123456789abcdef", payload, proof_keys.b64url(sig)))


def _verified(page, base: str, token: str):
    """The verifier opened at a proof's address; its result, once the signature is found good."""
    page.goto(f"{base}/verify#{token}")
    result = page.locator("#verify-result")
    expect(result).to_contain_text("Authentique : cette preuve a été signée par Companion")
    return result


def _check(page, text: str):
    page.get_by_label("Texte de la preuve (il commence par CP1)").fill(text)
    page.get_by_role("button", name="Vérifier", exact=True).click()


def test_a_proof_is_checked_in_the_browser_even_offline_and_forgeries_are_refused(page, live_server,
                                                                                   unique_email):
    base = live_server.url
    token = _proof(live_server, unique_email, "s-" + unique_email)
    result = page.locator("#verify-result")

    # The QR code's address: the statement after '#', checked at once, and still valid today.
    page.goto(f"{base}/verify#{token}")
    expect(result).to_contain_text("Authentique : cette preuve a été signée par Companion")
    expect(result).to_contain_text("Sophie Bernard peut agir pour Louis Bernard — voir les documents, "
                                   "l’agenda de prévention — jusqu’au")
    expect(result).to_contain_text("Cet accès est toujours valable aujourd’hui.")
    axe_check(page)
    wait_for_service_worker(page)
    page.goto(f"{base}/verify")
    for _ in range(40):
        if page.evaluate(VERIFY_KEPT):
            break
        page.wait_for_timeout(250)
    assert page.evaluate(VERIFY_KEPT), "the verifier page was not kept for offline use"

    page.context.set_offline(True)
    resp = page.goto(f"{base}/verify")
    assert resp is not None and resp.from_service_worker
    _check(page, token)
    expect(result).to_contain_text("Authentique")
    expect(result).to_contain_text("Sophie Bernard peut agir pour Louis Bernard")
    expect(result).to_contain_text("Pas de réseau : on ne peut pas dire aujourd’hui si cet accès")

    _check(page, _tampered(token))
    expect(result).to_contain_text("La signature ne correspond pas : cette preuve a été modifiée")
    expect(result).not_to_contain_text("Eve Mallory")
    _check(page, _forged(token))
    expect(result).to_contain_text("Cette preuve a été signée avec une clé que Companion ne publie pas.")
    _check(page, "CP1.n'importe quoi")
    expect(result).to_contain_text("Ce n’est pas une preuve Companion")
    axe_check(page)
    page.context.set_offline(False)


def test_a_dependent_adult_is_created_with_the_real_form_and_its_pages_pass_axe(page, live_server,
                                                                                unique_email):
    from companion.demo.documents import make_pdf

    from .conftest import paris_today, register

    base = live_server.url
    register(page, base, unique_email, name="Sophie Bernard")
    page.get_by_role("link", name="Ajouter un adulte dont je m’occupe").click()
    axe_check(page)
    page.get_by_label("Prénom").fill("Louis")
    page.get_by_label("Nom", exact=True).fill("Bernard")
    page.get_by_label("Date de naissance").fill("1940-02-03")
    page.get_by_label("Tutelle").check()
    page.get_by_label("Preuve de la base légale (PDF ou photo)").set_input_files(
        files=[{"name": "jugement.pdf", "mimeType": "application/pdf",
                "buffer": make_pdf("Jugement", ["Tribunal judiciaire"])}])
    review = paris_today().replace(year=paris_today().year + 1)
    page.get_by_label("Date pour la vérifier à nouveau").fill(review.isoformat())
    page.get_by_role("button", name="Créer le profil").click()
    expect(page.get_by_role("heading", name="Base légale pour Louis Bernard")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Tutelle")
    axe_check(page)
    page.get_by_role("link", name="Voir la preuve").click()
    expect(page.locator("main")).to_contain_text("Preuve de la base légale : Tutelle")


def test_the_verifier_shows_a_name_exactly_as_signed_even_with_a_dollar_sign(page, live_server, unique_email):
    """String.replace reads "$&", "$`" and "$'" in a replacement as patterns: a caregiver whose name holds
    one made the page show words the signed statement does not say."""
    from tests.cast import make_delegation

    with live_server.app.test_request_context():
        louis = accounts.register(unique_email, "une phrase facile", "Louis Bernard", cost=(1, 1024))
        sophie = accounts.register("s-" + unique_email, "une phrase facile", "Sophie $& $' Bernard",
                                   cost=(1, 1024))
        token = proofs.issue("delegation", make_delegation(accounts.own_profile(louis).id, sophie,
                                                           "agenda")).statement
        db.session.commit()
    result = _verified(page, live_server.url, token)
    expect(result).to_contain_text("Sophie $& $' Bernard peut agir pour Louis Bernard — l’agenda de "
                                   "prévention")
    expect(result).not_to_contain_text("%(caregiver)s")


def test_an_older_proof_of_a_changed_access_says_a_newer_one_replaces_it(page, live_server, unique_email):
    """Shown at a pharmacy after the owner narrowed the access: the signature is still good, but the
    page must not say the access still holds as written."""
    base = live_server.url
    first = _proof(live_server, unique_email, "s-" + unique_email)
    with live_server.app.test_request_context():
        proof = db.session.scalar(select(Proof).where(Proof.statement == first))
        d = db.session.get(Delegation, proof.delegation_id)
        d.scopes = "agenda"
        proofs.issue("delegation", d)
        db.session.commit()
    result = _verified(page, base, first)
    expect(result).to_contain_text("Une preuve plus récente remplace celle-ci : ce qu’elle dit n’est "
                                   "peut-être plus vrai. Demandez la preuve la plus récente.")
    expect(result).not_to_contain_text("Cet accès est toujours valable aujourd’hui.")
    axe_check(page)
