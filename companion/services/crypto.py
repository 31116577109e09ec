"""Encryption at rest: AES-256-GCM with one data key per document, wrapped by a master key.

The master key comes from COMPANION_MASTER_KEY (base64 or hex of 32 bytes). Outside production, a
development key is generated into the instance folder, with a warning: losing it loses every document.
"""

import base64
import binascii
import logging
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger("companion.crypto")

BLOB_MAGIC = b"CPD1"
WRAP_PREFIX = "v1:"
_WRAP_AAD = b"companion-data-key"


class CryptoError(RuntimeError):
    """The ciphertext or the wrapped key does not open with our keys (tampering or wrong key)."""


def decode_master_key(raw: str) -> bytes:
    """The 32-byte key from its hex or base64 text; CryptoError when it is not one."""
    raw = raw.strip()
    for decode in (bytes.fromhex, base64.urlsafe_b64decode, base64.b64decode):
        try:
            key = decode(raw)
        except (ValueError, binascii.Error):
            continue
        if len(key) == 32:
            return key
    raise CryptoError("COMPANION_MASTER_KEY must be 32 bytes, in hex or base64")


def load_master_key(instance_dir: str, env_name: str) -> bytes:
    raw = os.environ.get("COMPANION_MASTER_KEY", "")
    if raw:
        return decode_master_key(raw)
    if env_name == "production":
        raise CryptoError("COMPANION_MASTER_KEY must be set in production")
    path = Path(instance_dir) / "master.key"
    if not path.exists():
        log.warning("COMPANION_MASTER_KEY is not set: generating a development key in %s. "
                    "Back it up: without it the stored documents cannot be read.", path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(AESGCM.generate_key(256).hex())
    return decode_master_key(path.read_text())


def encrypt(master: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, str]:
    """Return (blob, wrapped data key). `aad` binds the blob to its storage key (no swapping)."""
    data_key = AESGCM.generate_key(256)
    nonce = os.urandom(12)
    blob = BLOB_MAGIC + nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad)
    wrap_nonce = os.urandom(12)
    wrapped = wrap_nonce + AESGCM(master).encrypt(wrap_nonce, data_key, _WRAP_AAD)
    return blob, WRAP_PREFIX + base64.b64encode(wrapped).decode()


def decrypt(master: bytes, blob: bytes, wrapped_key: str, aad: bytes) -> bytes:
    if not blob.startswith(BLOB_MAGIC) or not wrapped_key.startswith(WRAP_PREFIX):
        raise CryptoError("unknown blob or key format")
    try:
        wrapped = base64.b64decode(wrapped_key[len(WRAP_PREFIX):])
        data_key = AESGCM(master).decrypt(wrapped[:12], wrapped[12:], _WRAP_AAD)
        body = blob[len(BLOB_MAGIC):]
        return AESGCM(data_key).decrypt(body[:12], body[12:], aad)
    except (InvalidTag, ValueError, binascii.Error) as exc:
        raise CryptoError("the document does not open with this key") from exc
