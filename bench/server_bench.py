"""Server throughput, measured side by side in one run: the production recipe's gunicorn settings
(deploy/gunicorn.conf.py) serving Companion on PostgreSQL, and a bare Flask app answering a constant
under the same gunicorn. For each route: requests/s, p50 and p99 latency (wrk), and the share of bare
Flask; then the growth from a 10-document profile to a 10,000-document one. Loopback only, bounded in
time. A measurement, not a timed test: nothing is asserted.

    apt-get install wrk
    COMPANION_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/server_bench.py [--seconds 5] [--rounds 2] [--connections 16]

The database's schema is dropped and rebuilt. The rate limiter counts in memory (one worker's count
each): no route measured here is rate limited.
"""

import argparse
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))

import requests  # noqa: E402
from seed import DOCS_LARGE, DOCS_SMALL, OWNER, PASSWORD, seed  # noqa: E402


def _env(db_url: str, instance: str) -> dict:
    key = lambda: secrets.token_hex(32)  # noqa: E731
    return {**os.environ, "COMPANION_ENV": "production", "COMPANION_DATABASE_URL": db_url,
            "COMPANION_INSTANCE_DIR": instance, "COMPANION_SECRET_KEY": key(), "COMPANION_MASTER_KEY": key(),
            "COMPANION_AUDIT_KEY": key(), "COMPANION_AUDIT_SIGNING_KEY": key(),
            "COMPANION_PROOF_SIGNING_KEY": key(),
            "COMPANION_VAPID_SUBJECT": "mailto:bench@companion.example",
            "COMPANION_RATELIMIT_STORAGE": "memory://", "COMPANION_PUBLIC_ORIGIN": "http://127.0.0.1",
            # The bench signs 50 caregivers in from one address: past the per-address login limit.
            "COMPANION_LOGIN_RATE_LIMIT": "1000 per minute"}


def _seed(env: dict) -> tuple[int, int]:
    """The bench account's two profiles (10 and 10,000 documents) among 100,000 documents (bench/seed.py)."""
    seeded = seed(env)
    return seeded.small, seeded.large


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gunicorn(env: dict, app: str, extra: list[str]) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    proc = subprocess.Popen([str(gunicorn), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), *extra, app],
                            env={**env, "COMPANION_BIND": f"127.0.0.1:{port}"}, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            requests.get(base + "/", timeout=10)
            return proc, base
        except requests.RequestException:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn for {app} did not start")


def _sign_in(base: str, email: str = OWNER) -> str:
    http = requests.Session()
    login = http.get(base + "/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login.text).group(1)
    cookies = {c.name: c.value for c in login.cookies}
    form = {"csrf_token": token, "email": email, "password": PASSWORD}
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    resp = http.post(base + "/login", data=form, headers={"Cookie": cookie}, allow_redirects=False)
    assert resp.status_code == 302, resp.text[:300]
    cookies.update({c.name: c.value for c in resp.cookies})
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def _first_doc(base: str, cookie: str, pid: int) -> str:
    html = requests.get(f"{base}/p/{pid}/documents", headers={"Cookie": cookie}).text
    return re.search(rf'href="(/p/{pid}/documents/\d+)"', html).group(1)


def _wrk(url: str, seconds: int, connections: int, cookie: str | None, script: str | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "20s", "--latency",
           "-H", "Accept-Encoding: br, gzip"]
    if script:
        cmd += ["-s", script]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"rps": rps, "p50": ms("50%"), "p99": ms("99%"), "non2xx": int(bad.group(1)) if bad else 0,
            "errors": sum(map(int, errors.groups())) if errors else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    db_url = os.environ.get("COMPANION_BENCH_DATABASE_URL")
    if not db_url or not shutil.which("wrk"):
        raise SystemExit("needs COMPANION_BENCH_DATABASE_URL (PostgreSQL) and wrk (apt-get install wrk)")
    instance = tempfile.mkdtemp(prefix="companion-bench-")
    env = _env(db_url, instance)
    small, large = _seed(env)
    web, base = _gunicorn(env, "companion:create_app()", [])
    bare, bare_base = _gunicorn(env, "bare_flask:app", ["--pythonpath", str(ROOT / "bench")])
    try:
        cookie = _sign_in(base)
        css = re.search(r'href="(/static/css/app\.[0-9a-f]{10}\.css)"', requests.get(base + "/login").text)
        routes = {
            "bare Flask (constant)": (bare_base + "/", None),
            "static CSS file": (base + (css.group(1) if css else "/static/css/app.css"), None),
            "login page": (base + "/login", None),
            "home (signed in)": (base + "/", cookie),
            "agenda": (f"{base}/p/{small}/agenda", cookie),
            f"document list, {DOCS_SMALL:,} documents": (f"{base}/p/{small}/documents", cookie),
            f"document list, {DOCS_LARGE:,} documents": (f"{base}/p/{large}/documents", cookie),
            f"document page, {DOCS_SMALL:,} documents": (base + _first_doc(base, cookie, small), cookie),
            f"document page, {DOCS_LARGE:,} documents": (base + _first_doc(base, cookie, large), cookie),
            "offline manifest (both profiles)": (base + "/offline/manifest.json", cookie),
        }
        runs: dict[str, list[dict]] = {name: [] for name in routes}
        for _round in range(args.rounds):  # interleaved, so a slow minute of the machine hits every route
            for name, (url, with_cookie) in routes.items():
                runs[name].append(_wrk(url, args.seconds, args.connections, with_cookie))
    finally:
        for proc in (web, bare):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    _report(runs, args)


def _report(runs: dict[str, list[dict]], args) -> None:
    med = {name: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50", "p99")}
           for name, rs in runs.items()}
    bare = med["bare Flask (constant)"]["rps"]
    cores = os.cpu_count()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()} {cores} cores, Python "
          f"{platform.python_version()}, PostgreSQL; gunicorn per deploy/gunicorn.conf.py; wrk -t2 "
          f"-c{args.connections}, {args.seconds} s x {args.rounds} interleaved rounds (median); load average "
          f"at the end {os.getloadavg()[0]:.1f} (other work on the machine shares its cores)")
    print()
    print("| route | requests/s | share of bare Flask | p50 | p99 | non-2xx/3xx, socket errors |")
    print("|---|---|---|---|---|---|")
    for name, rs in runs.items():
        m = med[name]
        bad = sum(r["non2xx"] for r in rs), sum(r["errors"] for r in rs)
        print(f"| {name} | {m['rps']:,.0f} | {100 * m['rps'] / bare:.1f} % | {m['p50']:.1f} ms | "
              f"{m['p99']:.1f} ms | {bad[0]}, {bad[1]} |")
    print()
    for kind in ("document list", "document page"):
        few, many = med[f"{kind}, {DOCS_SMALL:,} documents"], med[f"{kind}, {DOCS_LARGE:,} documents"]
        print(f"growth {DOCS_SMALL:,} -> {DOCS_LARGE:,} documents, {kind}: "
              f"p50 x{many['p50'] / few['p50']:.2f}, requests/s x{few['rps'] / many['rps']:.2f} fewer")


if __name__ == "__main__":
    main()
