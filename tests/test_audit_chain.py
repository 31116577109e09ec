"""The access log is append-only and tamper-evident: `audit verify` names the first broken entry."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text, update

from companion.extensions import db
from companion.models.audit import AccessEvent, AppendOnlyError, AuditCheckpoint
from companion.models.types import utcnow
from companion.services import access_log, audit


def _fill(ctx, n=5, start=None):
    with ctx():
        start = start or utcnow()
        for i in range(n):
            audit.record(actor=None, actor_role="system", action="profile.view", object_label=f"entry {i}",
                         at=start + timedelta(minutes=i))
        db.session.commit()
        return list(db.session.scalars(select(AccessEvent.id).order_by(AccessEvent.id)))


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["audit", *args])


def _sql(ctx, statement, **params):
    with ctx():
        with db.engine.begin() as conn:
            conn.execute(text(statement), params)


def test_an_intact_chain_verifies(app, ctx):
    _fill(ctx)
    result = _run(app, "verify")
    assert result.exit_code == 0 and "OK: 5 entries checked" in result.output


def test_editing_a_row_breaks_the_chain_at_that_row(app, ctx):
    ids = _fill(ctx)
    _sql(ctx, "UPDATE access_events SET object_label = 'forged' WHERE id = :id", id=ids[2])
    result = _run(app, "verify")
    assert result.exit_code == 1 and f"entry #{ids[2]}" in result.output


def test_deleting_a_row_breaks_the_chain_at_the_next_row(app, ctx):
    ids = _fill(ctx)
    _sql(ctx, "DELETE FROM access_events WHERE id = :id", id=ids[1])
    with ctx():
        verdict = audit.verify()
    assert not verdict.ok and verdict.broken_id == ids[2]


def test_deleting_the_last_rows_is_noticed(app, ctx):
    ids = _fill(ctx)
    _sql(ctx, "DELETE FROM access_events WHERE id = :id", id=ids[-1])
    with ctx():
        verdict = audit.verify()
    assert not verdict.ok and "missing" in verdict.reason


def test_reordering_rows_breaks_the_chain_at_the_first_moved_row(app, ctx):
    ids = _fill(ctx)
    with ctx():
        rows = {r.id: r for r in db.session.execute(select(AccessEvent.__table__)).all()}
    cols = [c.name for c in AccessEvent.__table__.columns if c.name not in ("id", "hash")]
    # Swap the contents of entries 2 and 3 (hashes and places in the chain too, with placeholders to
    # respect uniqueness).
    a, b = rows[ids[1]], rows[ids[2]]
    _sql(ctx, "UPDATE access_events SET hash = 'tmp', seq = -1 WHERE id = :id", id=ids[1])
    for target, source in ((ids[2], a), (ids[1], b)):
        sets = ", ".join(f"{c} = :{c}" for c in [*cols, "hash"])
        _sql(ctx, f"UPDATE access_events SET {sets} WHERE id = :id", id=target,
             **{c: getattr(source, c) for c in [*cols, "hash"]})
    with ctx():
        verdict = audit.verify()
    assert not verdict.ok and verdict.broken_id == ids[1]


def test_the_orm_refuses_to_change_or_delete_an_entry(app, ctx):
    ids = _fill(ctx, 1)
    with ctx():
        event = db.session.get(AccessEvent, ids[0])
        event.object_label = "changed"
        with pytest.raises(AppendOnlyError):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.get(AccessEvent, ids[0]))
        with pytest.raises(AppendOnlyError):
            db.session.flush()
        db.session.rollback()
        for statement in (delete(AccessEvent), update(AccessEvent).values(action="x"),
                          AccessEvent.__table__.delete(), AccessEvent.__table__.update().values(action="y")):
            with pytest.raises(AppendOnlyError):
                db.session.execute(statement)
            db.session.rollback()
        assert db.session.get(AccessEvent, ids[0]).action == "profile.view"


def test_pruning_removes_old_entries_and_keeps_the_chain_verifiable(app, ctx):
    old = utcnow() - timedelta(days=500)
    _fill(ctx, 3, start=old)
    recent = _fill(ctx, 2)[-2:]
    result = _run(app, "prune", "--months", "12")
    assert result.exit_code == 0 and "Removed 3 entries" in result.output
    with ctx():
        assert list(db.session.scalars(select(AccessEvent.id).order_by(AccessEvent.id))) == recent
        # Where the chain now starts is signed in a "prune" checkpoint, not kept in a row anyone could edit.
        prune_cp = db.session.scalar(select(AuditCheckpoint).where(AuditCheckpoint.reason == "prune"))
        first = db.session.get(AccessEvent, recent[0])
        assert f'"site":[{first.seq - 1},"{first.prev_hash}"]' in prune_cp.body
    assert _run(app, "verify").exit_code == 0
    # New entries still chain on.
    _fill(ctx, 1)
    assert _run(app, "verify").exit_code == 0


def test_pruning_everything_leaves_an_empty_but_valid_log(app, ctx):
    _fill(ctx, 2, start=utcnow() - timedelta(days=800))
    with ctx():
        assert access_log.prune(12) == 2
        db.session.commit()
        assert audit.verify().ok
    _fill(ctx, 1)
    assert _run(app, "verify").exit_code == 0


def test_retention_is_between_one_month_and_three_years():
    assert access_log.retention_months(0) == 1
    assert access_log.retention_months(120) == 36
    assert access_log.retention_months(12) == 12


def test_two_first_entries_at_once_on_an_empty_log_both_land_in_one_chain(app, backend):
    """The chain's head row is created by whichever first entry gets there; the other waits."""
    import threading

    from companion.extensions import db as _db
    from companion.services import audit as _audit

    errors, barrier = [], threading.Barrier(2)

    def first_entry(n):
        with app.app_context():
            try:
                barrier.wait()
                _audit.record(actor=None, actor_role="system", action="delegation.expired", object_id=n)
                _db.session.commit()
            except Exception as exc:
                errors.append(exc)
                _db.session.rollback()

    threads = [threading.Thread(target=first_entry, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if backend == "sqlite":
        # One writer at a time: a loser may be told the database is busy, never a broken chain.
        errors = [e for e in errors if "locked" not in str(e)]
    assert errors == []
    with app.app_context():
        assert _audit.verify().ok


def test_an_entry_is_written_with_its_transaction_and_only_then(app, ctx):
    """Entries are written at the commit (services/audit.py): one whose request was rolled back, or whose
    session was closed without a commit, is never written, not even by the next request's commit; those
    written keep the order they were recorded in, across chains."""
    def logged():
        return list(db.session.scalars(select(AccessEvent.object_label).order_by(AccessEvent.id)))

    def entry(label, **whose):
        audit.record(actor=None, actor_role="system", action="profile.view", object_label=label, **whose)

    with ctx():
        db.session.commit()  # each entry below is the first thing its transaction does
        entry("rolled back")
        db.session.rollback()
        entry("closed")
        db.session.close()
        entry("kept 1", profile_id=7)
        entry("kept 2", account_id=3)
        entry("kept 3", profile_id=7)
        assert logged() == []  # not before the commit
        db.session.commit()
        assert logged() == ["kept 1", "kept 2", "kept 3"]
        assert audit.verify().ok
