"""Checking the access log: every chain's links and HMACs, and every signed checkpoint's heads.

What each check catches, for someone who can write to the database but holds neither key:
- an edited entry, even with its hash recomputed (plain SHA-256 or a wrong key): its HMAC does not match;
- an entry deleted in the middle: its chain skips a number (`seq`) and the next link breaks;
- the oldest entries deleted: the chain no longer starts at 1, nor where a signed pruning checkpoint says;
- the newest entries deleted (and the head put back): a checkpoint names an entry that is gone;
- every chain recomputed with the key (an insider): the heads differ from the checkpoints kept elsewhere.
"""

from dataclasses import dataclass, field
from itertools import chain

from sqlalchemy import select

from ..extensions import db
from ..models.audit import AccessEvent, AuditChain
from . import audit_checkpoints as cps
from . import audit_keys
from .audit import GENESIS, digest


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""
    chain: str = ""


class Broken(Exception):
    def __init__(self, reason: str, chain: str = "", event_id: int | None = None):
        super().__init__(reason)
        self.reason, self.chain, self.event_id = reason, chain, event_id


@dataclass
class _Walk:
    starts: dict
    heads: dict
    promised: dict  # (chain, seq) -> hash, from the checkpoints
    key: bytes
    checked: int = 0
    seen: set = field(default_factory=set)

    def chain(self, name: str, events) -> None:
        seq, last = self.starts.get(name, (0, GENESIS))
        for event in events:
            if event.seq != seq + 1:
                raise Broken("an entry is missing before this one" if event.seq > seq + 1
                             else "entries are out of order", name, event.id)
            if event.prev_hash != last:
                raise Broken("link to the previous entry is broken", name, event.id)
            if digest(self.key, event) != event.hash:
                raise Broken("content does not match its hash", name, event.id)
            promised = self.promised.pop((name, event.seq), None)
            if promised is not None and promised != event.hash:
                raise Broken("entry differs from a signed checkpoint", name, event.id)
            seq, last = event.seq, event.hash
            self.checked += 1
        self.end(name, seq, last)

    def end(self, name: str, seq: int, last: str) -> None:
        self.seen.add(name)
        head = self.heads.get(name)
        if head is None:
            raise Broken("the chain's head is missing", name)
        if head != (seq, last):
            raise Broken("the last entries are missing", name)


def _fold(found: dict, name: str, seq: int, last: str) -> None:
    """Keep the furthest point named for the chain. Checking only that one is enough: its HMAC covers
    the link to every entry before it, so an earlier named entry cannot differ while it holds."""
    if name in found and found[name][0] == seq and found[name][1] != last:
        raise Broken("two signed checkpoints disagree", name)
    if name not in found or seq > found[name][0]:
        found[name] = (seq, last)


def _gather(checkpoints) -> tuple[dict, dict]:
    """(furthest head named per chain, furthest pruning anchor per chain), read one checkpoint at a time."""
    heads: dict = {}
    starts: dict = {}
    for cp in checkpoints:
        if not cps.is_signed(cp):
            raise Broken("a checkpoint's signature does not hold")
        data = cp.data
        for name, (seq, last) in data.get("heads", {}).items():
            _fold(heads, name, seq, last)
        for name, (seq, last) in data.get("anchors", {}).items():
            _fold(starts, name, seq, last)
    return heads, starts


def _promised(heads: dict, starts: dict) -> dict:
    """The named heads that pruning has not legitimately removed since: each must still be there."""
    promised: dict = {}
    for name, (seq, last) in heads.items():
        start_seq, start_hash = starts.get(name, (0, GENESIS))
        if seq == start_seq and last != start_hash:
            raise Broken("a chain starts where no checkpoint says", name)
        if seq > start_seq:
            promised[(name, seq)] = last
    return promised


def _by_chain(rows):
    """Group the entries, streamed in (chain, id) order, into one iterator per chain."""
    from itertools import groupby

    return groupby(rows, key=lambda e: e.chain)


def _run(walk: _Walk) -> None:
    rows = db.session.scalars(select(AccessEvent).order_by(AccessEvent.chain, AccessEvent.id)).yield_per(1000)
    for name, events in _by_chain(rows):
        walk.chain(name, events)
    for name in sorted(set(walk.heads) - walk.seen):
        walk.end(name, *walk.starts.get(name, (0, GENESIS)))
    if walk.promised:
        (name, _seq), _hash = next(iter(walk.promised.items()))
        raise Broken("entries named by a signed checkpoint are missing", name)


def verify(checkpoint_lines=()) -> Verdict:
    """Check every chain and every checkpoint (the stored ones and `checkpoint_lines`, JSON lines)."""
    checkpoints = chain(cps.stored(), (cps.from_line(line) for line in checkpoint_lines if line.strip()))
    heads = {c: (s, h) for c, s, h in db.session.execute(
        select(AuditChain.chain, AuditChain.seq, AuditChain.last_hash))}
    walk = _Walk({}, heads, {}, audit_keys.chain_key())
    try:
        named, walk.starts = _gather(checkpoints)
        walk.promised = _promised(named, walk.starts)
        _run(walk)
    except Broken as exc:
        return Verdict(False, walk.checked, exc.event_id, exc.reason, exc.chain)
    return Verdict(True, walk.checked)
