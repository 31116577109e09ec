"""The keys of the proofs of delegation: one Ed25519 seed signs (COMPANION_PROOF_SIGNING_KEY, kept
outside the database like the access log's keys, services/audit_keys.py), and every public key a
verifier may need is published with its id, the current one and the retired ones (so a proof printed
before a rotation still checks)."""

import base64

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app

from . import audit_keys

SIGNING_KEY = ("PROOF_SIGNING_KEY", "COMPANION_PROOF_SIGNING_KEY", "proof-signing.key")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_key() -> Ed25519PrivateKey:
    ext = current_app.extensions
    if "companion_proof_key" not in ext:
        ext["companion_proof_key"] = audit_keys.load(SIGNING_KEY, current_app.config)
    return Ed25519PrivateKey.from_private_bytes(ext["companion_proof_key"])


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def current_id() -> str:
    return audit_keys.key_id(signing_key().public_key())


def published() -> list[dict]:
    """Every key a verifier may meet, as JSON Web Keys (RFC 8037), the current one first."""
    keys = [(signing_key().public_key(), "current")]
    for raw in (current_app.config.get("PROOF_RETIRED_KEYS") or "").split(","):
        decoded = audit_keys.decode32(raw)
        if decoded is not None:
            keys.append((Ed25519PublicKey.from_public_bytes(decoded), "retired"))
    return [{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": audit_keys.key_id(k),
             "x": b64url(_raw(k)), "status": status} for k, status in keys]


def sign(payload: bytes) -> bytes:
    return signing_key().sign(payload)


def verify(kid: str, payload: bytes, signature: bytes) -> bool | None:
    """True or False for a published key; None when no published key has this id."""
    for jwk in published():
        if jwk["kid"] == kid:
            try:
                Ed25519PublicKey.from_public_bytes(unb64url(jwk["x"])).verify(signature, payload)
            except InvalidSignature:
                return False
            return True
    return None
