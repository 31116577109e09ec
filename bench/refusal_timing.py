"""Time of a refused request on a profile that exists against one that does not (issue 12: the
first took 1.6-1.75 times as long, so profile ids could be mapped by timing).

Prints the median of each and their ratio; about 1.00 is the aim. The test that keeps the work equal is
tests/test_refusal_same_work.py (same SQL statements); times are only measured here, never asserted.
Run: .venv/bin/python bench/refusal_timing.py
"""

import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import select

from companion import create_app
from companion.extensions import db
from companion.models.profile import Profile

ROUNDS = 300


def _register(client, email: str, name: str) -> None:
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/register").get_data(as_text=True))
    client.post("/register", data={"email": email, "password": "une phrase facile 2026", "display_name": name,
                                   "csrf_token": token.group(1)})


def _time_ms(client, url: str) -> float:
    started = time.perf_counter()
    assert client.get(url).status_code == 404
    return (time.perf_counter() - started) * 1000


def _medians(client, first: str, second: str) -> tuple[float, float]:
    """Alternated, so a neighbour's load on the machine weighs on both alike."""
    pairs = [(_time_ms(client, first), _time_ms(client, second)) for _ in range(ROUNDS)]
    return statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs)


def main() -> None:
    logging.disable(logging.WARNING)  # one "access refused" line per request would drown the result
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3", "INSTANCE_DIR": tmp,
                          "RATELIMIT_ENABLED": False}, testing=True)
        with app.app_context():
            upgrade()
        owner, stranger = app.test_client(), app.test_client()
        _register(owner, "louis@example.fr", "Louis Bernard")
        _register(stranger, "eve@example.fr", "Eve Martin")
        with app.app_context():
            louis = db.session.scalar(select(Profile.id).where(Profile.first_name == "Louis"))
        _time_ms(stranger, "/p/999999/documents")  # warm-up
        existing, missing = _medians(stranger, f"/p/{louis}/documents", "/p/999999/documents")
        print(f"refused, profile exists: {existing:.2f} ms  missing: {missing:.2f} ms  "
              f"ratio: {existing / missing:.2f}  ({ROUNDS} requests each, medians)")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
