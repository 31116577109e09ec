"""The production recipe (deploy/serve-prod, what `make serve-prod` runs) started as it is: gunicorn
workers and a queue worker on PostgreSQL and Redis, on a free loopback port. A person's journey (login
page, sign in, home, agenda, documents, a static file), then a short load from a few threads, with no
error and no 5xx. Its own database (the test database's name + "_prod") and instance folder."""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import requests
from sqlalchemy import create_engine, text

from companion.config import PROJECT_ROOT

PG_URL = os.environ.get("COMPANION_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("COMPANION_TEST_REDIS_URL", "redis://127.0.0.1:6379/10")
DEMO_PASSWORD = "demo-companion-2026"
LOAD_SECONDS, LOAD_THREADS = 8, 4


def _services_or_skip():
    problems = [] if PG_URL else ["COMPANION_TEST_DATABASE_URL is not set"]
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        problems.append(f"no Redis at {REDIS_URL}")
    if problems:
        if os.environ.get("CI"):
            raise AssertionError(problems)  # CI has both: the recipe must run there
        pytest.skip("; ".join(problems))


def _fresh_database() -> str:
    parts = urlsplit(PG_URL)
    name = parts.path.lstrip("/") + "_prod"
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return urlunsplit(parts._replace(path="/" + name))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Site:
    """A browser's cookies kept by hand: production cookies are `Secure` (`__Host-`), which a client
    would not send over the plain HTTP of this loopback test."""

    def __init__(self, base: str):
        self.base, self.cookies, self.http = base, {}, requests.Session()

    def request(self, method: str, path: str, **kw) -> requests.Response:
        headers = {**kw.pop("headers", {}), "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        resp = self.http.request(method, self.base + path, headers=headers, allow_redirects=False,
                                 timeout=15, **kw)
        for c in resp.cookies:
            self.cookies[c.name] = c.value
        return resp


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    _services_or_skip()
    port = _free_port()
    instance = tmp_path_factory.mktemp("prod-instance")
    env = {**os.environ, "COMPANION_DATABASE_URL": _fresh_database(), "COMPANION_QUEUE_URL": REDIS_URL,
           "COMPANION_RATELIMIT_STORAGE": REDIS_URL, "COMPANION_INSTANCE_DIR": str(instance),
           "COMPANION_SECRET_KEY": secrets.token_hex(32), "COMPANION_MASTER_KEY": secrets.token_hex(32),
           "COMPANION_AUDIT_KEY": secrets.token_hex(32), "COMPANION_AUDIT_SIGNING_KEY": secrets.token_hex(32),
           "COMPANION_PROOF_SIGNING_KEY": secrets.token_hex(32),
           "COMPANION_VAPID_SUBJECT": "mailto:ops@companion.example", "COMPANION_ENV": "production",
           "COMPANION_PUBLIC_ORIGIN": f"http://127.0.0.1:{port}", "COMPANION_BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": "2", "COMPANION_WEB_THREADS": "2", "COMPANION_QUEUE_THREADS": "1",
           "COMPANION_BIN": str(Path(sys.executable).parent)}
    flask = [sys.executable, "-m", "flask", "--app", "companion"]
    for step in (["db", "upgrade"], ["demo"]):  # demo-like data, before the recipe starts
        subprocess.run(flask + step, env=env, cwd=PROJECT_ROOT, check=True, capture_output=True, timeout=120)
    log = (instance / "serve-prod.log").open("w")
    proc = subprocess.Popen([str(PROJECT_ROOT / "deploy" / "serve-prod")], env=env, cwd=PROJECT_ROOT,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, proc, instance)
        yield base, proc, instance
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the recipe's own process group: gunicorn and the worker
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def _wait_until_up(base: str, proc, instance: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, (instance / "serve-prod.log").read_text()[-3000:]
        try:
            if requests.get(base + "/healthz", timeout=10).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or a worker still starting
            pass
        time.sleep(0.3)
    raise AssertionError("no answer within 60 s: " + (instance / "serve-prod.log").read_text())


def _sign_in(base: str) -> tuple[Site, list[str]]:
    site = Site(base)
    login = site.request("GET", "/login")
    assert login.status_code == 200 and "Secure" in login.headers.get("Set-Cookie", "Secure")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login.text).group(1)
    signed = site.request("POST", "/login", data={"csrf_token": token, "email": "claire@demo.companion.fr",
                                                    "password": DEMO_PASSWORD})
    assert signed.status_code == 302, signed.text[:500]
    home = site.request("GET", "/")
    assert home.status_code == 200 and "Claire" in home.text
    pid = re.search(r'href="/p/(\d+)/agenda"', home.text).group(1)
    return site, ["/", f"/p/{pid}/agenda", f"/p/{pid}/documents"]


def test_a_person_signs_in_and_reads_her_pages_on_the_production_recipe(production):
    base, proc, _instance = production
    site, pages = _sign_in(base)
    for path in pages:
        resp = site.request("GET", path)
        assert resp.status_code == 200, (path, resp.status_code)
        assert resp.headers["Cache-Control"] == "no-store" and "Strict-Transport-Security" in resp.headers
    css = re.search(r'href="(/static/css/app\.[0-9a-f]{10}\.css)"', site.request("GET", "/login").text)
    static = requests.get(base + (css.group(1) if css else "/static/css/app.css"),
                          headers={"Accept-Encoding": "br"}, timeout=5)
    assert static.status_code == 200 and "Set-Cookie" not in static.headers
    assert proc.poll() is None  # the queue worker and the web are still running


def test_a_short_load_gets_no_error_and_no_5xx(production):
    base, proc, instance = production
    site, pages = _sign_in(base)
    counts = {"ok": 0, "5xx": 0, "other": 0, "errors": 0}
    lock = threading.Lock()
    stop = time.monotonic() + LOAD_SECONDS

    def load(offset: int):
        own = Site(base)
        own.cookies = dict(site.cookies)
        i = offset
        while time.monotonic() < stop:
            try:
                status = own.request("GET", pages[i % len(pages)]).status_code
                kind = "ok" if status == 200 else "5xx" if status >= 500 else "other"
            except requests.RequestException:
                kind = "errors"
            with lock:
                counts[kind] += 1
            i += 1

    threads = [threading.Thread(target=load, args=(n,)) for n in range(LOAD_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=LOAD_SECONDS + 30)
    assert counts["ok"] > 0 and counts["5xx"] == counts["other"] == counts["errors"] == 0, counts
    assert proc.poll() is None, (instance / "serve-prod.log").read_text()[-3000:]


def test_a_file_cut_by_the_line_keeps_what_reached_a_gunicorn_worker(production):
    """The resumable upload on the real server: gunicorn hands the app a body shorter than its length
    when the phone's connection closes, and the app keeps those bytes (services/upload_parts.py)."""
    from tests.test_upload_parts import big_pdf

    base, _proc, _instance = production
    site, pages = _sign_in(base)
    upload = pages[2] + "/upload"
    token = re.search(r'name="csrf-token" content="([^"]+)"', site.request("GET", upload).text).group(1)
    data, key, cut_at = big_pdf(2.5), secrets.token_hex(16), 300_000
    host, port = urlsplit(base).hostname, urlsplit(base).port
    cookie = "; ".join(f"{k}={v}" for k, v in site.cookies.items())
    with socket.create_connection((host, port)) as line:  # the phone's request, cut 300 KB in
        head = (f"PUT /uploads/{key} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n"
                f"X-CSRFToken: {token}\r\nUpload-Offset: 0\r\nContent-Type: application/octet-stream\r\n"
                f"Content-Length: {len(data)}\r\n\r\n")
        line.sendall(head.encode() + data[:cut_at])
        time.sleep(0.5)
    for _ in range(50):
        got = site.request("GET", f"/uploads/{key}").json()["received"]
        if got:
            break
        time.sleep(0.1)
    assert got == cut_at
    rest = site.request("PUT", f"/uploads/{key}", data=data[got:],
                        headers={"X-CSRFToken": token, "Upload-Offset": str(got)})
    assert rest.json() == {"received": len(data)}
    # The form names the file by its key; the document is the file.
    form = site.request("POST", upload, data={"type_code": "11502-2", "title": "Coupé puis repris",
                                              "upload": str(len(data))},
                        headers={"X-CSRFToken": token, "Idempotency-Key": key, "Accept": "application/json"})
    assert form.status_code == 201, form.text[:300]
    file = site.request("GET", form.json()["url"] + "/download")
    assert file.status_code == 200 and file.content == data
