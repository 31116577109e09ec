"""The CPU one request of each signed-in page costs in one process (Flask's test client: no server, no
compression, no network), on the bench's PostgreSQL data, beside a bare Flask app answering a constant
the same way. Each figure is the best of several batches, so a minute when other work takes the shared
cores does not count. bench/all.py's throughput moves by 2x between runs on a shared machine; this is
the figure to compare two versions of the code with, run one after the other on the same data.

    COMPANION_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/page_cpu.py [--code DIR] [--no-seed] [--batches 7] [--size 60]

`--code DIR`: measure the `companion` package of another checkout (its catalogs compiled with
`make catalogs`) on the same data. `--no-seed`: keep the data of the last seeding (bench/seed.py drops
and rebuilds the schema, about a minute). A measurement, not a test: nothing is asserted.
"""

import argparse
import logging
import os
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _cpu_ms(get, batches: int, size: int) -> float:
    """The best batch's CPU per request, after a warm-up (templates compiled, plans kept)."""
    for _ in range(20):
        get()
    best = float("inf")
    for _ in range(batches):
        start = time.process_time()
        for _ in range(size):
            get()
        best = min(best, (time.process_time() - start) / size * 1000)
    return best


def _bench_ids() -> tuple[int, int]:
    """The bench account's own profile (10 documents) and its child's (10,000), as bench/seed.py made them."""
    from seed import OWNER
    from sqlalchemy import select

    from companion.extensions import db
    from companion.models.account import User
    from companion.models.profile import ProfileOwner

    owner = db.session.scalar(select(User.id).where(User.email == OWNER))
    small, large = db.session.scalars(select(ProfileOwner.profile_id).where(ProfileOwner.user_id == owner)
                                      .order_by(ProfileOwner.profile_id)).all()[:2]
    return small, large


def _helped_profile(email: str) -> int:
    """The profile a caregiver of bench/seed.py helps."""
    from sqlalchemy import select

    from companion.extensions import db
    from companion.models.account import User
    from companion.models.delegation import Delegation

    return db.session.scalar(select(Delegation.profile_id).join(User, User.id == Delegation.caregiver_id)
                             .where(User.email == email))


def _signed_in(app, email: str | None = None):
    from seed import OWNER, PASSWORD

    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").text).group(1)
    answer = client.post("/login", data={"csrf_token": token, "email": email or OWNER, "password": PASSWORD})
    assert answer.status_code == 302, answer.status_code
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", help="another checkout whose companion package is measured")
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--batches", type=int, default=7)
    parser.add_argument("--size", type=int, default=60)
    args = parser.parse_args()
    db_url = os.environ.get("COMPANION_BENCH_DATABASE_URL")
    if not db_url:
        raise SystemExit("needs COMPANION_BENCH_DATABASE_URL (PostgreSQL)")
    sys.path[:0] = [str(HERE), str(HERE.parent)]
    import bare_flask
    import server_bench  # puts this checkout first on the path: --code goes before it

    if args.code:
        sys.path.insert(0, str(Path(args.code).resolve()))

    env = server_bench._env(db_url, tempfile.mkdtemp(prefix="companion-page-cpu-"))
    if not args.no_seed:
        from seed import seed

        seed(env)
    os.environ.update(env)
    logging.getLogger("companion").setLevel(logging.ERROR)  # the bench account's new-device mail has no SMTP
    import companion

    app = companion.create_app()
    from seed import CAREGIVER

    with app.app_context():
        small, large = _bench_ids()
        helped = _helped_profile(CAREGIVER.format(0))
    web, caregiver = _signed_in(app), _signed_in(app, CAREGIVER.format(0))
    doc = re.search(rf'href="(/p/{small}/documents/\d+)"', web.get(f"/p/{small}/documents").text).group(1)
    anonymous, bare = app.test_client(), bare_flask.app.test_client()
    pages = {
        "bare Flask (constant)": (bare, "/"),
        "login page": (anonymous, "/login"),
        "signed in, nothing rendered (a redirect)": (web, f"/p/{small}"),
        "home": (web, "/"),
        "agenda": (web, f"/p/{small}/agenda"),
        "document list, 10 documents": (web, f"/p/{small}/documents"),
        "document list, 10,000 documents": (web, f"/p/{large}/documents"),
        "document page": (web, doc),
        "access log (a page of 1,000,000 entries)": (web, f"/p/{small}/access-log"),
        "trash": (web, f"/p/{large}/documents/trash"),
        # The one read that writes: the helped person's log gets a line for each view.
        "a caregiver's view of a document list (a line in its log)": (caregiver, f"/p/{helped}/documents"),
    }
    print(f"companion from {Path(companion.__file__).parent}; best of {args.batches} batches of {args.size}")
    print("| page | ms of CPU a request | x bare Flask |")
    print("|---|---|---|")
    base = None
    for name, (client, url) in pages.items():
        status = client.get(url).status_code
        assert status in (200, 308), (url, status)
        ms = _cpu_ms(lambda c=client, u=url: c.get(u), args.batches, args.size)
        base = base or ms
        print(f"| {name} | {ms:.2f} | {ms / base:.1f} |")


if __name__ == "__main__":
    main()
