"""Access-log appends per second from several threads: all on one chain (one busy profile) against one
chain each (different profiles), the case a site-wide head used to serialise.

Each append commits on its own, like a caregiver's page view. Run:
    .venv/bin/python bench/audit_appends.py [DATABASE_URL]   (default: a fresh SQLite file)
PostgreSQL: give an empty database you can drop the schema of (the tables are rebuilt).
"""

import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import text

from companion import create_app
from companion.extensions import db
from companion.services import audit

THREADS, PER_THREAD = (1, 2, 4, 8), 100


def _app(url: str, tmpdir: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{tmpdir}/bench.sqlite3",
                      "INSTANCE_DIR": tmpdir}, testing=True)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
    return app


def _profiles(app, count: int) -> list[int]:
    from companion.models.profile import Profile

    with app.app_context():
        made = [Profile(first_name=f"Bench{i}", last_name="Test") for i in range(count)]
        db.session.add_all(made)
        db.session.commit()
        return [p.id for p in made]


def _run(app, threads: int, pids: list[int]) -> float:
    """`pids`: the profile each thread writes to (all the same: one chain; all different: one each)."""
    def work(n):
        with app.app_context():
            for i in range(PER_THREAD):
                audit.record(actor=None, actor_role="caregiver", action="profile.view", profile_id=pids[n],
                             object_label=f"{n}-{i}")
                db.session.commit()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return threads * PER_THREAD / (time.perf_counter() - start)


def main(url: str = "") -> None:
    with tempfile.TemporaryDirectory() as tmpdir:
        app = _app(url, tmpdir)
        pids = _profiles(app, max(THREADS))
        for threads in THREADS:
            one = _run(app, threads, [pids[0]] * threads)
            each = _run(app, threads, pids[:threads])
            print(f"{threads} thread(s): {one:6.0f} appends/s on one profile, {each:6.0f} on one each")
        with app.app_context():
            print("verify:", audit.verify())


if __name__ == "__main__":
    main(*sys.argv[1:2])
