"""The access log's two keys, both kept outside the database.

- The chain key (COMPANION_AUDIT_KEY, 32 bytes in hex or base64) makes each entry's hash an HMAC: someone who
  can write to the database but does not hold the key cannot recompute a chain after changing it.
- The signing key (COMPANION_AUDIT_SIGNING_KEY, an Ed25519 seed of 32 bytes) signs the checkpoints, so a
  copy of them kept elsewhere proves which entries existed.

Outside production a development key is generated into the instance folder (like the master key);
production refuses to start without them (config.py).
"""

import base64
import binascii
import hashlib
import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app

log = logging.getLogger("companion.audit")

CHAIN_KEY = ("AUDIT_KEY", "COMPANION_AUDIT_KEY", "audit.key")
SIGNING_KEY = ("AUDIT_SIGNING_KEY", "COMPANION_AUDIT_SIGNING_KEY", "audit-signing.key")


class AuditKeyError(RuntimeError):
    pass


def decode32(raw: str) -> bytes | None:
    raw = (raw or "").strip()
    for decode in (bytes.fromhex, base64.urlsafe_b64decode, base64.b64decode):
        try:
            key = decode(raw)
        except (ValueError, binascii.Error):
            continue
        if len(key) == 32:
            return key
    return None


def _generated(path: Path) -> str:
    """Create the development key once, even when several processes start at the same moment."""
    if not path.exists():
        log.warning("%s is not set: generating a development key in %s.", path.name, path)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(os.urandom(32).hex())
        try:
            os.link(tmp, path)  # atomic: the first process wins, the others read its key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text()


def load(spec: tuple[str, str, str], config) -> bytes:
    setting, env_name, filename = spec
    raw = config.get(setting) or ""
    if not raw:
        if config.get("ENV_NAME") == "production":
            raise AuditKeyError(f"{env_name} must be set in production")
        raw = _generated(Path(config["INSTANCE_DIR"]) / filename)
    key = decode32(raw)
    if key is None:
        raise AuditKeyError(f"{env_name} must be 32 bytes, in hex or base64")
    return key


def _cached(name: str, spec) -> bytes:
    ext = current_app.extensions
    if name not in ext:
        ext[name] = load(spec, current_app.config)
    return ext[name]


def chain_key() -> bytes:
    return _cached("companion_audit_key", CHAIN_KEY)


def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_cached("companion_audit_signing_key", SIGNING_KEY))


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def key_id(public: Ed25519PublicKey) -> str:
    """A short name for the signing key, written beside each signature."""
    return hashlib.sha256(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]
