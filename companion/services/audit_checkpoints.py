"""Signed checkpoints of the access log: every chain's head and length at a moment, signed with Ed25519.

A checkpoint is what makes truncation and wholesale recomputation visible: `audit verify` checks that each
head a checkpoint names still exists with the same hash. Kept in the database and exportable as JSON lines
(`flask audit checkpoint --export FILE`), so an operator can keep a copy where a database intruder cannot
reach it. Pruning writes one too, naming where each pruned chain now starts ("anchors"): legitimate
pruning verifies, while deleting old entries without the signing key does not.
"""

import base64
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from sqlalchemy import select

from ..extensions import db
from ..models.audit import AuditChain, AuditCheckpoint
from ..models.types import utcnow
from . import audit_keys


@dataclass(frozen=True)
class Checkpoint:
    body: str
    signature: str
    key_id: str

    @property
    def data(self) -> dict:
        return json.loads(self.body)

    def line(self) -> str:
        return json.dumps({"body": self.body, "signature": self.signature, "key_id": self.key_id})


def heads() -> dict[str, list]:
    rows = db.session.execute(select(AuditChain.chain, AuditChain.seq, AuditChain.last_hash)
                              .order_by(AuditChain.chain))
    return {chain: [seq, last] for chain, seq, last in rows}


def sign(data: dict, key=None) -> Checkpoint:
    key = key or audit_keys.signing_key()
    body = json.dumps(data, sort_keys=True, separators=(",", ":"))
    signature = base64.b64encode(key.sign(body.encode())).decode()
    return Checkpoint(body, signature, audit_keys.key_id(key.public_key()))


def write(reason: str, anchors: dict | None = None) -> AuditCheckpoint:
    """Sign and store the heads as they are now (in the caller's transaction)."""
    now = utcnow()
    data = {"v": 1, "at": now.isoformat(), "reason": reason, "heads": heads(), "anchors": anchors or {}}
    signed = sign(data)
    row = AuditCheckpoint(at=now, reason=reason, body=signed.body, signature=signed.signature,
                          key_id=signed.key_id)
    db.session.add(row)
    db.session.flush()
    return row


def write_if_changed(reason: str = "hourly") -> int:
    """The hourly checkpoint, skipped when no chain moved since the last one (0 or 1 written)."""
    last = db.session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1))
    current = heads()
    if not current or (last is not None and json.loads(last.body).get("heads") == current):
        return 0
    write(reason)
    return 1


def stored():
    """Every stored checkpoint, oldest first, read a few at a time (each names every chain)."""
    rows = db.session.execute(select(AuditCheckpoint.body, AuditCheckpoint.signature, AuditCheckpoint.key_id)
                              .order_by(AuditCheckpoint.id)).yield_per(100)
    for body, signature, key_id in rows:
        yield Checkpoint(body, signature, key_id)


def from_line(line: str) -> Checkpoint:
    raw = json.loads(line)
    return Checkpoint(raw["body"], raw["signature"], raw.get("key_id", ""))


def is_signed(cp: Checkpoint) -> bool:
    try:
        audit_keys.public_key().verify(base64.b64decode(cp.signature), cp.body.encode())
    except (InvalidSignature, ValueError):
        return False
    return True
