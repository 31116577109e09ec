"""Encryption at rest: AES-256-GCM with one data key per document, wrapped by a master key.

The master key comes from COMPANION_MASTER_KEY (base64 or hex of 32 bytes). Outside production, a
development key is generated into the instance folder, with a warning: losing it loses every document.
"""

import base64
import binascii
import logging
import os
import tempfile
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
        _create_development_key(path)
    return decode_master_key(path.read_text())


def _create_development_key(path: Path) -> None:
    """Write a new key beside `path`, then link it into place: the key file appears whole or not at all,
    and of two requests creating it at the same instant, the second keeps the first one's key."""
    fd, temp = tempfile.mkstemp(prefix=".master.key.", dir=path.parent)  # mode 0o600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(AESGCM.generate_key(256).hex())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            return  # another request's key is in place: that one is used
        log.warning("COMPANION_MASTER_KEY is not set: generated a development key in %s. "
                    "Back it up: without it the stored documents cannot be read.", path)
    finally:
        os.unlink(temp)


def encrypt(master: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, str]:
    """Return (blob, wrapped data key). `aad` binds the blob to its storage key (no swapping)."""
    data_key = AESGCM.generate_key(256)
    nonce = os.urandom(12)
    blob = BLOB_MAGIC + nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad)
    return blob, wrap(master, data_key)


def wrap(master: bytes, data_key: bytes) -> str:
    """A data key sealed by the master key, as stored in a row."""
    wrap_nonce = os.urandom(12)
    wrapped = wrap_nonce + AESGCM(master).encrypt(wrap_nonce, data_key, _WRAP_AAD)
    return WRAP_PREFIX + base64.b64encode(wrapped).decode()


def unwrap(master: bytes, wrapped_key: str) -> bytes:
    if not wrapped_key.startswith(WRAP_PREFIX):
        raise CryptoError("unknown key format")
    try:
        wrapped = base64.b64decode(wrapped_key[len(WRAP_PREFIX):])
        return AESGCM(master).decrypt(wrapped[:12], wrapped[12:], _WRAP_AAD)
    except (InvalidTag, ValueError, binascii.Error) as exc:
        raise CryptoError("the key does not open with this master key") from exc


def decrypt(master: bytes, blob: bytes, wrapped_key: str, aad: bytes) -> bytes:
    if not blob.startswith(BLOB_MAGIC) or not wrapped_key.startswith(WRAP_PREFIX):
        raise CryptoError("unknown blob or key format")
    data_key = unwrap(master, wrapped_key)
    try:
        body = blob[len(BLOB_MAGIC):]
        return AESGCM(data_key).decrypt(body[:12], body[12:], aad)
    except (InvalidTag, ValueError, binascii.Error) as exc:
        raise CryptoError("the document does not open with this key") from exc


# Large files read in pieces (an export resumed with HTTP ranges): the plaintext is cut in segments of
# SEGMENT bytes, each sealed on its own with its index and whether it is the last in the AAD (no
# segment can be moved, dropped or cut off unnoticed), so a range opens only the segments it covers.
SEGMENTED_MAGIC = b"CPS1"
SEGMENT = 256 * 1024
SEAL_OVERHEAD = 12 + 16  # nonce and tag


def _segment_aad(aad: bytes, index: int, last: bool) -> bytes:
    return aad + index.to_bytes(8, "big") + (b"L" if last else b"-")


def seal_segment(data_key: bytes, aad: bytes, index: int, last: bool, plaintext: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(data_key).encrypt(nonce, plaintext, _segment_aad(aad, index, last))


def open_segment(data_key: bytes, aad: bytes, index: int, last: bool, sealed: bytes) -> bytes:
    try:
        return AESGCM(data_key).decrypt(sealed[:12], sealed[12:], _segment_aad(aad, index, last))
    except (InvalidTag, ValueError) as exc:
        raise CryptoError("a segment does not open with this key") from exc


def segment_span(index: int, plain_size: int) -> tuple[int, int]:
    """Where segment `index` of a plaintext of `plain_size` bytes lies in the stored blob (offset, length)."""
    start = len(SEGMENTED_MAGIC) + index * (SEGMENT + SEAL_OVERHEAD)
    return start, min(SEGMENT, plain_size - index * SEGMENT) + SEAL_OVERHEAD
