"""First paint of the public pages on an emulated slow 3G line (400 ms latency, 50 KB/s), in Chromium.

Prints, per page: bytes on the wire, first contentful paint, and the ratio of that paint to one
request's cost on that line (the 2 s of DESIGN.md). A ratio near 1 means the page paints after its
first response. Run: .venv/bin/python bench/page_load.py
"""

import statistics
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from companion import create_app

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
REQUEST_COST_MS = 2000
RUNS = 3


def measure(page, url):
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": 400, "downloadThroughput": 50_000, "uploadThroughput": 50_000})
    sizes = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url, wait_until="load")
    fcp = page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime || 0")
    return sum(sizes.values()), fcp


def main():
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.sqlite3", "INSTANCE_DIR": tmp})
        with app.app_context():
            upgrade()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://localhost:{server.server_port}"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            print(f"{'page':12} {'bytes':>7} {'first paint':>12} {'paint / request cost':>21}")
            for path in ("/", "/login", "/register"):
                results = []
                for _ in range(RUNS):
                    ctx = browser.new_context(service_workers="block")
                    results.append(measure(ctx.new_page(), base + path))
                    ctx.close()
                size = min(r[0] for r in results)
                fcp = sorted(r[1] for r in results)[len(results) // 2]
                print(f"{path:12} {size:7d} {fcp:10.0f}ms {fcp / REQUEST_COST_MS:21.2f}")
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()


def _throttled(page, latency: int, throughput: int):
    """Slow 3G on this page's network (Chromium's emulation adds `latency` to every request); the
    bytes received per request."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": latency, "downloadThroughput": throughput,
        "uploadThroughput": throughput})
    sizes: dict[str, int] = {}
    urls: dict[str, str] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    return sizes, urls


def _fcp(page) -> float:
    page.wait_for_function("performance.getEntriesByName('first-contentful-paint').length > 0")
    return page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime")


def _sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(base + "/")


def slow_3g(base: str, profile_id: int, password: str, latency: int, throughput: int,
            email: str = "bench@example.fr", runs: int = RUNS) -> list[tuple[str, int, int, float]]:
    """First paint, median of `runs`, of: the login page on an empty cache; home right after signing
    in (the form's POST answered by a redirect, then the page: two requests the paint needs); the
    agenda opened again (its styles and scripts cached: one request). Each with the bytes of the
    responses the paint needs (the document and, after login, the redirect)."""
    found: dict[str, list[tuple[int, float]]] = {name: [] for name in ("login (cold)", "home after login",
                                                                       "agenda again")}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for _ in range(runs):
            ctx = browser.new_context(service_workers="block")
            page = ctx.new_page()
            sizes, urls = _throttled(page, latency, throughput)
            page.goto(base + "/login", wait_until="load")
            doc = [sizes[r] for r, u in urls.items() if u.endswith("/login") and r in sizes]
            found["login (cold)"].append((doc[0], _fcp(page)))
            sizes.clear()
            urls.clear()
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", password)
            page.press("input[name=password]", "Enter")
            page.wait_for_url(base + "/", wait_until="load")
            needed = [sizes[r] for r, u in urls.items()
                      if r in sizes and (u.endswith("/login") or u == base + "/")]
            found["home after login"].append((sum(needed), _fcp(page)))
            ctx.close()
            ctx = browser.new_context(service_workers="block")
            page = ctx.new_page()
            _sign_in(page, base, email, password)
            agenda = f"{base}/p/{profile_id}/agenda"
            page.goto(agenda, wait_until="load")
            sizes, urls = _throttled(page, latency, throughput)
            page.goto(agenda, wait_until="load")
            doc = [sizes[r] for r, u in urls.items() if u == agenda and r in sizes]
            found["agenda again"].append((doc[0], _fcp(page)))
            ctx.close()
        browser.close()
    needed = {"login (cold)": 1, "home after login": 2, "agenda again": 1}
    return [(name, needed[name], min(r[0] for r in rs), statistics.median(r[1] for r in rs))
            for name, rs in found.items()]
