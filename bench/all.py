"""The one bench: everything issue 15 asks to compare, measured in one run, printed and written as the
markdown table the README embeds (between its `bench/all.py` markers, `--readme`).

1. Throughput (wrk, loopback): a bare Flask app answering a constant under the same gunicorn, then
   Companion's pages on PostgreSQL seeded with 100,010 documents over 1,002 accounts (one profile of
   10,000) and 1,500 devices: requests/s, p50, p99 and the share of bare Flask; the growth 10 -> 10,000.
2. Caregiver page views per second with 1, 2 and 4 gunicorn workers: 50 caregivers, each reading the
   document list of the person she helps, in turn, each view writing that person's access log.
3. First paint on Slow 3G (Chromium's throttling: 2,000 ms of latency, 50 KB/s each way) against its
   physical bound: the line's latency once per request the page cannot do without, plus the bytes of
   those responses at 50 KB/s. Login (cold), home right after signing in (the form's POST, its
   redirect, the page: two requests), the agenda opened a second time (one request, styles cached).
   Service workers are blocked: this is the page as the server sends it.
4. Push fan-out (bench/push_bench.py, on its own database): messages/s against the raw encryption rate.

A measurement, not a test: nothing is asserted, and the machine's other work shows in the figures (the
load average is printed beside them).

    apt-get install wrk chromium
    COMPANION_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/all.py [--quick] [--readme]
"""

import argparse
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import requests  # noqa: E402
import server_bench as sb  # noqa: E402
from seed import DOCS_LARGE, DOCS_SMALL, PASSWORD, Seeded, seed  # noqa: E402

RESULTS = HERE / "results.md"
README = ROOT / "README.md"
BEGIN, END = "<!-- bench/all.py:begin -->", "<!-- bench/all.py:end -->"
FLOOR = "signed in, nothing rendered (a redirect)"
LATENCY_MS, THROUGHPUT = 2000, 50_000  # Slow 3G, as Chromium's preset: 2 s, 400 kbit/s = 50 KB/s


def _routes(base: str, bare: str, cookie: str, s: Seeded) -> dict:
    css = re.search(r'href="(/static/css/app\.[0-9a-f]{10}\.css)"', requests.get(base + "/login").text)
    js = re.search(r'src="(/static/js/app\.[0-9a-f]{10}\.js)"', requests.get(base + "/login").text)
    static = (css or js).group(1) if (css or js) else "/static/css/app.css"
    return {
        "bare Flask (constant)": (bare + "/", None),
        "a static file": (base + static, None),
        "login page": (base + "/login", None),
        # What every signed-in answer pays before any page is made: the session and the profiles it
        # reaches read, nothing rendered (/login redirects a signed-in account home).
        FLOOR: (base + "/login", cookie),
        "home (signed in)": (base + "/", cookie),
        "agenda": (f"{base}/p/{s.small}/agenda", cookie),
        f"document list, {DOCS_SMALL:,} documents": (f"{base}/p/{s.small}/documents", cookie),
        f"document list, {DOCS_LARGE:,} documents": (f"{base}/p/{s.large}/documents", cookie),
        f"document page, {DOCS_SMALL:,} documents": (base + sb._first_doc(base, cookie, s.small), cookie),
        f"document page, {DOCS_LARGE:,} documents": (base + sb._first_doc(base, cookie, s.large), cookie),
        # Her own log's first page (her profile's and her account's entries, merged), her entries among
        # the oldest of the whole log; the child's trash, among everybody's.
        f"access log (a page of {s.log_entries:,} entries)": (f"{base}/p/{s.small}/access-log", cookie),
        "trash, among the site's": (f"{base}/p/{s.large}/documents/trash", cookie),
    }


def _throughput(env: dict, s: Seeded, args) -> dict:
    web, base = sb._gunicorn(env, "companion:create_app()", [])
    bare, bare_base = sb._gunicorn(env, "bare_flask:app", ["--pythonpath", str(HERE)])
    try:
        routes = _routes(base, bare_base, sb._sign_in(base), s)
        runs: dict[str, list[dict]] = {name: [] for name in routes}
        for _round in range(args.rounds):  # interleaved: a slow minute of the machine hits every route
            for name, (url, cookie) in routes.items():
                runs[name].append(sb._wrk(url, args.seconds, args.connections, cookie))
    finally:
        for proc in (web, bare):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    return runs


def _caregiver_views(env: dict, s: Seeded, args) -> dict[int, dict]:
    """Views/s of 50 caregivers, each reading the document list of the person she helps, in turn (each
    view appends to that person's access log), with 1, 2 and 4 workers: three servers up at once and
    their rounds interleaved, so a busy minute of the shared machine does not land on one of them."""
    script = Path(tempfile.mkdtemp(prefix="companion-bench-")) / "views.lua"
    servers = {workers: sb._gunicorn({**env, "WEB_CONCURRENCY": str(workers)}, "companion:create_app()", [])
               for workers in (1, 2, 4)}
    runs: dict[int, list[dict]] = {workers: [] for workers in servers}
    try:
        # Sessions live in the database: signed in once, valid on all three.
        _views_script(script, [(sb._sign_in(servers[1][1], email), pid) for email, pid in s.helped])
        for _round in range(args.rounds):
            for workers, (_proc, base) in servers.items():
                runs[workers].append(sb._wrk(base + "/", args.seconds, args.connections, None,
                                             script=str(script)))
    finally:
        for proc, _base in servers.values():
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    found: dict[int, dict] = {}
    for workers, rounds in runs.items():
        found[workers] = {k: statistics.median(r[k] for r in rounds) for k in ("rps", "p50", "p99")}
        found[workers]["bad"] = sum(r["non2xx"] + r["errors"] for r in rounds)
    return found


def _views_script(path: Path, visits: list[tuple[str, int]]) -> None:
    """A wrk script sending each caregiver's request with her own cookie, one after the other."""
    cookies = ", ".join(f'"{cookie}"' for cookie, _pid in visits)
    paths = ", ".join(f'"/p/{pid}/documents"' for _cookie, pid in visits)
    path.write_text(f"local cookies = {{{cookies}}}\nlocal paths = {{{paths}}}\nlocal i = 0\n"
                    "request = function()\n  i = i + 1\n  local k = (i % #paths) + 1\n"
                    "  return wrk.format('GET', paths[k], {['Cookie'] = cookies[k], "
                    "['Accept-Encoding'] = 'br, gzip'})\nend\n")


def _push(db_url: str, args) -> list[str]:
    """bench/push_bench.py on its own database (it drops its schema), its closing lines."""
    from sqlalchemy import create_engine, text

    name = db_url.rsplit("/", 1)[1] + "_push"
    admin = create_engine(db_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    size = ["--count", "1000", "--accounts", "100"] if args.quick else []
    env = {**os.environ, "COMPANION_BENCH_DATABASE_URL": db_url.rsplit("/", 1)[0] + "/" + name}
    out = subprocess.run([sys.executable, str(HERE / "push_bench.py"), *size], env=env, capture_output=True,
                         text=True, timeout=900)
    wanted = re.compile(r"(database|raw|fan-out|2 workers|CPU)")
    return [line for line in out.stdout.splitlines() if wanted.match(line)]


def _report(runs: dict, views: dict, paints: list, push: list[str], args) -> str:
    med = {name: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50", "p99")}
           for name, rs in runs.items()}
    bare = med["bare Flask (constant)"]["rps"] or float("nan")
    seeded, quick = args.seeded, " --quick" if args.quick else ""
    out = [f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/all.py{quick}` on "
           f"{platform.machine()}, {os.cpu_count()} cores shared with other work (load average "
           f"{os.getloadavg()[0]:.1f} at the end), "
           f"Python {platform.python_version()}, PostgreSQL seeded with {seeded.documents:,} documents, "
           f"{seeded.accounts:,} accounts, {seeded.devices:,} devices, {seeded.log_entries:,} access log "
           "entries; gunicorn per deploy/gunicorn.conf.py; "
           f"wrk -c{args.connections}, {args.seconds} s x {args.rounds} interleaved rounds (median).", "",
           "| route | requests/s | share of bare Flask | p50 | p99 | errors |", "|---|---|---|---|---|---|"]
    for name, rs in runs.items():
        m, bad = med[name], sum(r["non2xx"] + r["errors"] for r in rs)
        out.append(f"| {name} | {m['rps']:,.0f} | {100 * m['rps'] / bare:.1f} % | {m['p50']:.1f} ms | "
                   f"{m['p99']:.1f} ms | {bad} |")
    out.append("")
    for kind in ("document list", "document page"):
        few, many = med[f"{kind}, {DOCS_SMALL:,} documents"], med[f"{kind}, {DOCS_LARGE:,} documents"]
        if not (few["p50"] and many["rps"]):  # nothing answered in time: the table shows it
            continue
        out.append(f"- growth {DOCS_SMALL:,} -> {DOCS_LARGE:,} documents, {kind}: p50 "
                   f"x{many['p50'] / few['p50']:.2f}, requests/s x{few['rps'] / many['rps']:.2f} fewer "
                   "(goal: within 1.3)")
    signed_in = [n for n in med if n.startswith(("home", "agenda", "document", "access log", "trash"))]
    worst = min(100 * med[n]["rps"] / bare for n in signed_in)
    out.append(f"- signed-in pages: the slowest at {worst:.1f} % of bare Flask (goal: 20 %); a static file "
               f"at {100 * med['a static file']['rps'] / bare:.0f} % (goal: 50 %)")
    out.append(f"- the floor under every signed-in page (session and profiles read, nothing rendered): "
               f"{100 * med[FLOOR]['rps'] / bare:.1f} % of bare Flask")
    out += ["", "| caregiver views, 50 caregivers (each view writes the access log) | views/s | p50 | p99 "
            "| errors |",
            "|---|---|---|---|---|"]
    for workers, v in views.items():
        out.append(f"| {workers} worker(s) | {v['rps']:,.0f} | {v['p50']:.1f} ms | {v['p99']:.1f} ms "
                   f"| {v['bad']:.0f} |")
    if paints:
        out += ["", f"| Slow 3G ({LATENCY_MS:,} ms, {THROUGHPUT // 1000} KB/s), service worker blocked "
                "| requests | bytes of those responses | physical bound | first paint | paint / bound |",
                "|---|---|---|---|---|---|"]
        for name, requests_needed, size, fcp in paints:
            bound = requests_needed * LATENCY_MS + 1000 * size / THROUGHPUT
            out.append(f"| {name} | {requests_needed} | {size:,} | {bound:,.0f} ms | {fcp:,.0f} ms "
                       f"| {fcp / bound:.2f} (goal: 1.1) |")
    if push:
        out += ["", "Push fan-out (bench/push_bench.py):", "", "```", *push, "```"]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke: small data, 2 s a route, one round")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--no-push", action="store_true")
    parser.add_argument("--readme", action="store_true", help="also put the table in README.md")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds = 2, 1
    db_url = os.environ.get("COMPANION_BENCH_DATABASE_URL")
    if not db_url or not db_url.startswith("postgresql") or not shutil.which("wrk"):
        raise SystemExit("needs COMPANION_BENCH_DATABASE_URL (PostgreSQL) and wrk (apt-get install wrk)")
    env = sb._env(db_url, tempfile.mkdtemp(prefix="companion-bench-"))
    args.seeded = seed(env, accounts=100 if args.quick else 1000,
                       log_entries=50_000 if args.quick else 1_000_000)
    runs = _throughput(env, args.seeded, args)
    views = _caregiver_views(env, args.seeded, args)
    paints = [] if args.no_browser else _paints(env, args.seeded)
    push = [] if args.no_push else _push(db_url, args)
    text = _report(runs, views, paints, push, args)
    print(text)
    RESULTS.write_text(text)
    if args.readme:
        readme = README.read_text()
        start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
        README.write_text(readme[:start] + "\n" + text + readme[end:])


def _paints(env: dict, s: Seeded) -> list:
    import page_load

    web, base = sb._gunicorn(env, "companion:create_app()", [])
    try:
        return page_load.slow_3g(base.replace("127.0.0.1", "localhost"), s.small, PASSWORD,
                                 LATENCY_MS, THROUGHPUT)
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=30)


if __name__ == "__main__":
    main()
