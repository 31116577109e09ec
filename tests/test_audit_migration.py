"""Migration 0009 re-chains the entries written under the former single unkeyed chain, and signs a first
checkpoint of them; downgrading gives back a chain the former code verifies."""

import hashlib
import json
from datetime import timedelta

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from companion.extensions import db
from companion.models.audit import AuditCheckpoint
from companion.models.types import UTCDateTime, utcnow
from companion.services import audit

from .test_migrations import fresh_app  # noqa: F401 (the fixture)

GENESIS = "0" * 64
EVENTS = sa.table("access_events", sa.column("id"), sa.column("at", UTCDateTime()), sa.column("actor_id"),
                  sa.column("actor_name"), sa.column("actor_role"), sa.column("profile_id"),
                  sa.column("account_id"), sa.column("action"), sa.column("object_type"),
                  sa.column("object_id"), sa.column("object_label"), sa.column("prev_hash"),
                  sa.column("hash"))


def _old_digest(e: dict) -> str:
    return hashlib.sha256(json.dumps([
        e["at"].isoformat(timespec="microseconds"), e["actor_id"], e["actor_name"], e["actor_role"],
        e["profile_id"], e["account_id"], e["action"], e["object_type"], e["object_id"], e["object_label"],
        e["prev_hash"]], separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def _old_rows(n: int) -> list[dict]:
    rows, prev, start = [], GENESIS, utcnow() - timedelta(days=2)
    for i in range(n):
        row = {"at": start + timedelta(minutes=i), "actor_id": None, "actor_name": "",
               "actor_role": "system", "profile_id": None, "account_id": None, "action": "profile.view",
               "object_type": "", "object_id": "", "object_label": f"ancienne {i}", "prev_hash": prev}
        row["hash"] = prev = _old_digest(row)
        rows.append(row)
    return rows


def _old_chain_holds(conn) -> bool:
    prev = GENESIS
    for row in conn.execute(select(EVENTS).order_by(EVENTS.c.id)).mappings():
        if row["prev_hash"] != prev or _old_digest(dict(row)) != row["hash"]:
            return False
        prev = row["hash"]
    return conn.execute(sa.text("SELECT last_hash FROM audit_head")).scalar() == prev


def test_existing_entries_are_rechained_checkpointed_and_given_back_on_downgrade(fresh_app):  # noqa: F811
    with fresh_app.app_context():
        upgrade(revision="0006")
        with db.engine.begin() as conn:
            conn.execute(EVENTS.insert(), _old_rows(4))
            conn.execute(sa.text("INSERT INTO audit_head (id, last_hash, anchor_hash) VALUES (1, :h, :g)"),
                         {"h": _old_rows(4)[-1]["hash"], "g": GENESIS})
        upgrade()
        verdict = audit.verify()
        assert verdict.ok and verdict.checked == 4
        assert db.session.scalar(select(AuditCheckpoint.reason)) == "migration"
        audit.record(actor=None, actor_role="system", action="profile.view", object_label="nouvelle")
        db.session.commit()
        assert audit.verify().ok
        db.session.remove()
        downgrade(revision="0006")
        with db.engine.connect() as conn:
            assert _old_chain_holds(conn)
