"""Append to the access log from a process of its own:
`python -m tests.audit_appender URL INSTANCE N PIDS GO`.

Used by tests/test_audit_concurrency.py to show that two processes appending to the same chains at once
leave chains that verify. It says "ready" once the app is up, then waits for the GO file to exist."""

import sys
import time
from pathlib import Path


def main(url: str, instance: str, count: int, profile_ids: str, go: str) -> None:
    from companion import create_app
    from companion.extensions import db
    from companion.services import audit

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_DIR": instance}, testing=True)
    pids = [None] + [int(p) for p in profile_ids.split(",") if p]
    print("ready", flush=True)
    while not Path(go).exists():
        time.sleep(0.01)
    with app.app_context():
        for i in range(count):
            audit.record(actor=None, actor_role="system", action="profile.view",
                         profile_id=pids[i % len(pids)], object_label=f"process entry {i}")
            db.session.commit()
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
