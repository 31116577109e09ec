"""Where a page's CPU goes when served for real: the production recipe's gunicorn workers against the
PostgreSQL processes serving the bench database, in ms of CPU a request, during a wrk run of each of
bench/all.py's routes (one after the other, on the bench's seeded data). Read from /proc: the CPU time
of the gunicorn process group (workers replaced meanwhile included) and of the PostgreSQL backends
serving the bench database, before and after; the machine's idle time beside them (a page that leaves
the cores idle is waiting, not computing). PostgreSQL's own writers (WAL, checkpoints, autovacuum)
are not counted.
A measurement, not a test: nothing is asserted.

    apt-get install wrk
    COMPANION_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/cpu_split.py [--seconds 8] [--connections 16]

The database's schema is dropped and rebuilt (bench/seed.py, about a minute).
"""

import argparse
import os
import re
import signal
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import all as bench_all  # noqa: E402
import server_bench as sb  # noqa: E402
from seed import seed  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


# A backend's title: "postgres: [cluster: ]user database address state" (Debian adds "15/main: ").
BACKEND = re.compile(r"^postgres: (?:\S+: )?\S+ (\S+) ")


def _cpu_ticks(group: int, database: str) -> tuple[int, int]:
    """CPU ticks so far of gunicorn (the processes of its group, and the workers it replaced meanwhile:
    their time is added to the master's children's when it reaps them) and of the PostgreSQL backends
    serving `database`."""
    app = pg = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        ticks = int(fields[11]) + int(fields[12])  # utime + stime
        if int(fields[2]) == group:
            app += ticks + (int(fields[13]) + int(fields[14]) if int(entry.name) == group else 0)
        elif (backend := BACKEND.match(command)) and backend.group(1) == database:
            pg += ticks
    return app, pg


def _idle_ticks() -> int:
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    return int(fields[3]) + int(fields[4])  # idle + iowait


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    db_url = os.environ.get("COMPANION_BENCH_DATABASE_URL")
    if not db_url:
        raise SystemExit("needs COMPANION_BENCH_DATABASE_URL (PostgreSQL) and wrk")
    database = urlsplit(db_url).path.lstrip("/")
    env = sb._env(db_url, tempfile.mkdtemp(prefix="companion-cpu-split-"))
    seeded = seed(env)
    web, base = sb._gunicorn(env, "companion:create_app()", [])
    bare, bare_base = sb._gunicorn(env, "bare_flask:app", ["--pythonpath", str(HERE)])
    try:
        routes = bench_all._routes(base, bare_base, sb._sign_in(base), seeded)
        print(f"wrk -c{args.connections}, {args.seconds} s a route; ms of CPU a request "
              f"(load average {os.getloadavg()[0]:.1f} before)")
        print("| route | requests/s | gunicorn | PostgreSQL | cores left idle |")
        print("|---|---|---|---|---|")
        for name, (url, cookie) in routes.items():
            group = bare.pid if url.startswith(bare_base) else web.pid
            (app0, pg0), idle0 = _cpu_ticks(group, database), _idle_ticks()
            run = sb._wrk(url, args.seconds, args.connections, cookie)
            (app1, pg1), idle1 = _cpu_ticks(group, database), _idle_ticks()
            count = max(run["rps"] * args.seconds, 1)
            # A backend that ended during the run takes its time with it: never below nothing.
            ms = [max(0.0, (after - before) / TICK / count * 1000) for before, after in
                  ((app0, app1), (pg0, pg1), (idle0, idle1))]
            print(f"| {name} | {run['rps']:,.0f} | {ms[0]:.2f} | {ms[1]:.2f} | {ms[2]:.2f} |", flush=True)
    finally:
        for proc in (web, bare):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
