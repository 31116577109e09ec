"""A newcomer on a phone: register, log out, log in, switch language; the app works offline."""

import pytest
from playwright.sync_api import expect

from .conftest import CHROMIUM, CHROMIUM_ARGS, axe_check, login, logout, register, wait_for_service_worker

pytestmark = pytest.mark.e2e


def test_a_newcomer_registers_logs_out_logs_in_and_switches_to_english(page, live_server, unique_email):
    base = live_server.url
    register(page, base, unique_email)
    expect(page.get_by_role("heading", name="Bonjour Anna Petit")).to_be_visible()
    logout(page)
    expect(page.get_by_role("heading", name="Vous êtes déconnecté")).to_be_visible()
    login(page, base, unique_email)
    page.wait_for_url(f"{base}/")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Hello Anna Petit")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    # The choice is kept: the login page after logging out is in English too.
    page.get_by_role("button", name="Log out").click()
    page.goto(f"{base}/login")
    page.get_by_label("E-mail address").fill(unique_email)
    page.get_by_label("Password").fill("une phrase facile")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hello Anna Petit")).to_be_visible()


def test_a_wrong_password_shows_a_plain_message(page, live_server, unique_email):
    base = live_server.url
    register(page, base, unique_email)
    logout(page)
    login(page, base, unique_email, password="pas le bon mot de passe")
    expect(page.get_by_text("Cette adresse e-mail et ce mot de passe ne correspondent pas")).to_be_visible()


def test_with_the_network_off_a_reload_shows_the_offline_page(page, context, live_server):
    base = live_server.url
    page.goto(f"{base}/login")
    wait_for_service_worker(page)
    context.set_offline(True)
    resp = page.reload()
    assert resp is not None and resp.from_service_worker
    expect(page.get_by_role("heading", name="Vous êtes hors connexion")).to_be_visible()
    context.set_offline(False)


PUBLIC_PAGES = ["/", "/login", "/register", "/offline/fr"]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_public_pages_have_no_accessibility_violations(page, live_server, lang):
    page.context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
    for path in PUBLIC_PAGES:
        page.goto(live_server.url + path)
        axe_check(page)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_signed_in_pages_have_no_accessibility_violations(page, live_server, unique_email, lang):
    register(page, live_server.url, unique_email)
    if lang == "en":
        page.get_by_role("button", name="English").click()
    for path in ["/", "/reauth", "/page-that-does-not-exist"]:
        page.goto(live_server.url + path)
        axe_check(page)


def test_chromium_finds_the_app_installable(playwright, live_server, tmp_path):
    # A persistent profile: Playwright's default contexts are incognito, where nothing installs.
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login")
        wait_for_service_worker(page)
        cdp = context.new_cdp_session(page)
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == [], errors
        manifest = cdp.send("Page.getAppManifest")
        assert not manifest.get("errors"), manifest.get("errors")
    finally:
        context.close()


def test_login_page_transfers_at_most_14_kb_in_a_real_browser_on_a_slow_line(page, live_server):
    """Counted on the wire by Chromium (encodedDataLength), on an emulated slow 3G line."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": 400, "downloadThroughput": 50_000, "uploadThroughput": 50_000})
    sizes: dict[str, int] = {}
    urls: dict[str, str] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(f"{live_server.url}/login", wait_until="load")
    page.wait_for_timeout(1500)  # let prefetches and the worker's first install settle
    # The service worker's own precache is the install cost of going offline, budgeted separately.
    counted = {urls.get(k, k): v for k, v in sizes.items() if "/sw.js" not in urls.get(k, "")}
    page_and_resources = {u: v for u, v in counted.items() if not u.endswith("/favicon.ico")}
    total = sum(page_and_resources.values())
    assert total <= 14 * 1024, page_and_resources
