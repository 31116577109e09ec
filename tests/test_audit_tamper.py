"""Someone who can write to the database but holds neither key cannot rewrite the access log quietly:
truncation, deletion, edit-and-recompute (plain SHA-256 or a forged HMAC) are each caught by `verify`;
legitimate pruning still verifies; exported checkpoints catch even a rewrite made with the chain key."""

import hashlib
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from companion.config import ConfigError, build_config
from companion.extensions import db
from companion.models.audit import AccessEvent, AuditCheckpoint
from companion.models.types import utcnow
from companion.services import access_log, audit, audit_checkpoints, audit_keys

COLS = ("chain", "seq", "at", "actor_id", "actor_name", "actor_role", "profile_id", "account_id", "action",
        "object_type", "object_id", "object_label", "prev_hash", "hash")


def _fill(ctx, n=6, start=None):
    with ctx():
        start = start or utcnow() - timedelta(hours=1)
        for i in range(n):
            audit.record(actor=None, actor_role="system", action="profile.view", object_label=f"entry {i}",
                         at=start + timedelta(minutes=i))
        db.session.commit()
        return list(db.session.scalars(select(AccessEvent.id).order_by(AccessEvent.id)))


def _sql(ctx, statement, **params):
    with ctx(), db.engine.begin() as conn:
        conn.execute(text(statement), params)


def _plain_sha256(event) -> str:
    return hashlib.sha256(json.dumps([getattr(event, c) for c in COLS if c != "hash"], default=str)
                          .encode()).hexdigest()


def _rewrite(ctx, make_hash, *, drop_first=0, renumber=False):
    """What an intruder does: edit the chain's rows, recompute every hash with `make_hash`, move the head."""
    with ctx():
        rows = [dict(r._mapping) for r in db.session.execute(
            select(AccessEvent.__table__).order_by(AccessEvent.id))]
    for row in rows[:drop_first]:
        _sql(ctx, "DELETE FROM access_events WHERE id = :id", id=row["id"])
    prev, seq = audit.GENESIS, 0
    for row in rows[drop_first:]:
        seq = seq + 1 if renumber else row["seq"]
        label = row["object_label"].replace("entry 3", "forged")
        event = SimpleNamespace(**{**row, "seq": seq, "prev_hash": prev, "object_label": label})
        event.hash = make_hash(event)
        _sql(ctx, "UPDATE access_events SET seq = :seq, prev_hash = :p, hash = :h, object_label = :l "
             "WHERE id = :id", seq=seq, p=prev, h=event.hash, l=label, id=row["id"])
        prev = event.hash
    _sql(ctx, "UPDATE audit_chains SET seq = :s, last_hash = :h WHERE chain = 'site'", s=seq, h=prev)


def _verdict(ctx, lines=()):
    with ctx():
        return audit.verify(lines)


def test_deleting_the_oldest_entries_is_detected(app, ctx):
    ids = _fill(ctx)
    _sql(ctx, "DELETE FROM access_events WHERE id IN (:a, :b)", a=ids[0], b=ids[1])
    verdict = _verdict(ctx)
    assert not verdict.ok and verdict.broken_id == ids[2] and "missing" in verdict.reason


def test_deleting_an_entry_in_the_middle_is_detected(app, ctx):
    ids = _fill(ctx)
    _sql(ctx, "DELETE FROM access_events WHERE id = :id", id=ids[3])
    assert _verdict(ctx).broken_id == ids[4]


@pytest.mark.parametrize("forge", ["plain sha-256", "hmac with a wrong key"])
def test_editing_and_recomputing_the_chain_without_the_key_is_detected(app, ctx, forge):
    ids = _fill(ctx)
    wrong = b"\x07" * 32
    make = _plain_sha256 if forge == "plain sha-256" else (lambda e: audit.digest(wrong, e))
    _rewrite(ctx, make)
    verdict = _verdict(ctx)
    assert not verdict.ok and verdict.broken_id == ids[0] and "hash" in verdict.reason


def test_truncating_and_recomputing_from_the_start_without_the_key_is_detected(app, ctx):
    _fill(ctx)
    _rewrite(ctx, _plain_sha256, drop_first=2, renumber=True)
    assert not _verdict(ctx).ok


def test_removing_the_newest_entries_after_a_checkpoint_is_detected(app, ctx):
    ids = _fill(ctx)
    with ctx():
        audit_checkpoints.write("manual")
        db.session.commit()
        before = db.session.get(AccessEvent, ids[-3])
        seq, last = before.seq, before.hash
    _sql(ctx, "DELETE FROM access_events WHERE id IN (:a, :b)", a=ids[-1], b=ids[-2])
    _sql(ctx, "UPDATE audit_chains SET seq = :s, last_hash = :h WHERE chain = 'site'", s=seq, h=last)
    verdict = _verdict(ctx)
    assert not verdict.ok and "checkpoint" in verdict.reason


def test_a_rewrite_with_the_chain_key_is_caught_by_the_checkpoints_kept_elsewhere(app, ctx, tmp_path):
    """An insider holding the chain key truncates and recomputes everything, and deletes the stored
    checkpoints: only the exported copy can tell, and it does."""
    _fill(ctx)
    export = tmp_path / "checkpoints.jsonl"
    result = app.test_cli_runner().invoke(args=["audit", "checkpoint", "--export", str(export)])
    assert result.exit_code == 0 and export.read_text().count("\n") == 1
    with ctx():
        key = audit_keys.chain_key()
    _rewrite(ctx, lambda e: audit.digest(key, e), drop_first=2, renumber=True)
    _sql(ctx, "DELETE FROM audit_checkpoints")
    assert _verdict(ctx).ok  # the database alone cannot tell...
    runner = app.test_cli_runner()
    caught = runner.invoke(args=["audit", "verify", "--checkpoints", str(export)])
    assert caught.exit_code == 1 and "BROKEN" in caught.output  # ...the copy kept elsewhere can


def test_legitimate_pruning_verifies_but_dropping_its_checkpoint_does_not(app, ctx):
    _fill(ctx, 3, start=utcnow() - timedelta(days=500))
    _fill(ctx, 2)
    with ctx():
        audit_checkpoints.write("manual")
        assert access_log.prune(12) == 3
        db.session.commit()
        assert audit.verify().ok
    _fill(ctx, 1)
    assert _verdict(ctx).ok
    _sql(ctx, "DELETE FROM audit_checkpoints WHERE reason = 'prune'")
    assert not _verdict(ctx).ok


def test_a_checkpoint_signed_with_another_key_is_refused(app, ctx):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _fill(ctx)
    with ctx():
        forged = audit_checkpoints.sign({"v": 1, "heads": {}, "anchors": {"site": [6, "0" * 64]}},
                                        Ed25519PrivateKey.generate())
        db.session.add(AuditCheckpoint(at=utcnow(), reason="prune", body=forged.body,
                                       signature=forged.signature, key_id=forged.key_id))
        db.session.commit()
    assert "signature" in _verdict(ctx).reason


def test_periodic_checkpoints_are_written_every_n_entries_of_a_chain(app, ctx):
    app.config["AUDIT_CHECKPOINT_EVERY"] = 4
    try:
        _fill(ctx, 9)
    finally:
        app.config["AUDIT_CHECKPOINT_EVERY"] = 1000
    with ctx():
        bodies = [json.loads(b) for b in db.session.scalars(select(AuditCheckpoint.body))]
    assert [b["heads"]["site"][0] for b in bodies] == [4, 8]


def test_production_refuses_to_start_without_the_access_log_keys(monkeypatch):
    monkeypatch.setenv("COMPANION_ENV", "production")
    monkeypatch.setenv("COMPANION_SECRET_KEY", "k3V9q-Zt8LwX2nRb7HcY4mPj6sDf1GhA0uEo5iTy")  # a strong one
    monkeypatch.setenv("COMPANION_MASTER_KEY", "00" * 32)
    monkeypatch.setenv("COMPANION_RATELIMIT_STORAGE", "redis://127.0.0.1:6379")
    monkeypatch.setenv("COMPANION_AUDIT_SIGNING_KEY", "22" * 32)
    monkeypatch.setenv("COMPANION_PROOF_SIGNING_KEY", "33" * 32)
    monkeypatch.setenv("COMPANION_VAPID_SUBJECT", "mailto:ops@companion.example")
    monkeypatch.delenv("COMPANION_AUDIT_KEY", raising=False)
    with pytest.raises(ConfigError, match="COMPANION_AUDIT_KEY"):
        build_config()
    monkeypatch.setenv("COMPANION_AUDIT_KEY", "too short")
    with pytest.raises(ConfigError, match="COMPANION_AUDIT_KEY"):
        build_config()
    monkeypatch.setenv("COMPANION_AUDIT_KEY", "11" * 32)
    monkeypatch.delenv("COMPANION_AUDIT_SIGNING_KEY")
    with pytest.raises(ConfigError, match="COMPANION_AUDIT_SIGNING_KEY"):
        build_config()


def test_development_keys_are_generated_once_outside_the_database(tmp_path):
    config = {"ENV_NAME": "development", "INSTANCE_DIR": str(tmp_path), "AUDIT_KEY": ""}
    first = audit_keys.load(audit_keys.CHAIN_KEY, config)
    assert audit_keys.load(audit_keys.CHAIN_KEY, config) == first and len(first) == 32
    assert (tmp_path / "audit.key").stat().st_mode & 0o077 == 0
    with pytest.raises(audit_keys.AuditKeyError):
        audit_keys.load(audit_keys.CHAIN_KEY, {**config, "ENV_NAME": "production"})
