"""1,000 appends at once, from threads and from two processes, leave chains that verify: no fork, no
lost entry, on SQLite and PostgreSQL alike (each append claims its chain's head with one UPDATE, held
to the commit)."""

import os
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import func, select

from companion.extensions import db
from companion.models.audit import AccessEvent
from companion.services import audit

from .cast import own_profile_id, registered

ROOT = Path(__file__).resolve().parent.parent


def _two_profiles(app, ctx) -> list[int]:
    registered(app, "louis")
    registered(app, "anna")
    return [own_profile_id(ctx, "louis"), own_profile_id(ctx, "anna")]


def _appender(app, pids, n, start, errors):
    def run():
        with app.app_context():  # each thread its own app context, hence its own session
            start.wait()
            for i in range(n):
                try:
                    audit.record(actor=None, actor_role="system", action="profile.view",
                                 profile_id=pids[i % len(pids)], object_label=f"thread entry {i}")
                    db.session.commit()
                except Exception as exc:  # collected: the test fails on any
                    db.session.rollback()
                    errors.append(repr(exc))
    return threading.Thread(target=run)


def _count_and_verify(ctx):
    with ctx():
        total = db.session.scalar(select(func.count()).select_from(AccessEvent).where(
            AccessEvent.object_label.like("% entry %")))
        return total, audit.verify()


def test_a_thousand_appends_from_eight_threads_leave_chains_that_verify(app, ctx):
    pids = [None, *_two_profiles(app, ctx)]
    errors, start = [], threading.Barrier(8)
    threads = [_appender(app, pids, 125, start, errors) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total, verdict = _count_and_verify(ctx)
    assert total == 1000 and verdict.ok, verdict


def test_a_thousand_appends_from_two_processes_leave_chains_that_verify(app, ctx, tmp_path):
    pids = _two_profiles(app, ctx)
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [app.config["SQLALCHEMY_DATABASE_URI"], app.config["INSTANCE_DIR"], "500",
            ",".join(map(str, pids)), str(go)]
    procs = [subprocess.Popen([sys.executable, "-m", "tests.audit_appender", *args], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    go.touch()  # both start appending at the same moment
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and "done" in out, err[-2000:]
    total, verdict = _count_and_verify(ctx)
    assert total == 1000 and verdict.ok, verdict
    with ctx():
        chains = set(db.session.scalars(select(AccessEvent.chain).distinct()))
    assert chains >= {"site", f"p:{pids[0]}", f"p:{pids[1]}"}
