"""Real-browser tests: the app served on http://localhost:PORT (a secure context, and the only host
where WebAuthn accepts the RP ID), driven by Debian's Chromium through Playwright."""

import os
import tempfile
import threading
import uuid

import pytest
from flask_migrate import upgrade
from playwright.sync_api import expect
from werkzeug.serving import make_server

from companion import create_app
from companion.extensions import db
from companion.i18n import compile_catalogs

CHROMIUM = os.environ.get("COMPANION_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "locale": "fr-FR"}


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://localhost:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()


@pytest.fixture(scope="session")
def live_server():
    with tempfile.TemporaryDirectory() as tmpdir:
        compile_catalogs()  # the pages are read in French; a fresh checkout has no .mo yet
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmpdir}/e2e.sqlite3", "INSTANCE_DIR": tmpdir,
            "LOGIN_RATE_LIMIT": "1000 per minute", "REGISTER_RATE_LIMIT": "1000 per minute",
            "CODE_RATE_LIMIT": "1000 per minute",
        }, testing=True)
        with app.app_context():
            upgrade()
        server = LiveServer(app).start()
        yield server
        server.stop()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def unique_email():
    return f"e2e-{uuid.uuid4().hex[:10]}@example.fr"


def register(page, base_url: str, email: str, password: str = "une phrase facile", name: str = "Anna Petit"):
    """Create an account through the real form (French by default)."""
    page.goto(f"{base_url}/register")
    page.get_by_label("Vos prénom et nom").fill(name)
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Choisissez un mot de passe").fill(password)
    page.get_by_role("button", name="Créer mon espace").click()
    page.wait_for_url(f"{base_url}/")


def login(page, base_url: str, email: str, password: str = "une phrase facile", shared: bool = False):
    page.goto(f"{base_url}/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    if shared:
        page.get_by_label("Je suis sur un ordinateur partagé", exact=False).check()
    page.get_by_role("button", name="Se connecter").click()


def sign_out_elsewhere(browser, base_url: str, email: str):
    """From a second device, "log me out everywhere else": what a person does about a lost phone."""
    laptop_context = browser.new_context(locale="fr-FR")
    laptop = laptop_context.new_page()
    login(laptop, base_url, email)
    laptop.get_by_role("link", name="Mon compte").click()
    laptop.get_by_role("button", name="Me déconnecter partout ailleurs").first.click()
    laptop.wait_for_load_state()
    laptop_context.close()


def logout(page):
    page.get_by_role("button", name="Se déconnecter").click()
    # Wait for the signed-out page: a navigation started at once would cancel the logout's POST and
    # leave the session open (the next /login then goes home).
    expect(page.get_by_role("heading", name="Vous êtes déconnecté")).to_be_visible()


SW_STATE = """async (ms) => {
    const limit = (t) => new Promise(r => setTimeout(() => r('timeout'), t));
    const active = (async () => {
        const w = (await navigator.serviceWorker.ready).active;
        if (w && w.state !== 'activated') {
            await new Promise(r => w.addEventListener('statechange', () => w.state === 'activated' && r()));
        }
        return 'active';
    })();
    if (await Promise.race([active, limit(ms)]) === 'active') {
        if (navigator.serviceWorker.controller) return 'ready';
        const claimed = new Promise(r => navigator.serviceWorker.addEventListener('controllerchange',
            () => r('ready')));
        return (await Promise.race([claimed, limit(3000)])) === 'ready' ? 'ready' : 'uncontrolled';
    }
    const reg = await navigator.serviceWorker.getRegistration();
    const w = (x) => x ? x.state : '-';
    return reg ? `installing=${w(reg.installing)} waiting=${w(reg.waiting)} active=${w(reg.active)}`
        : 'no registration';
}"""


def wait_for_service_worker(page, seconds: int = 20):
    """`ready` can resolve before the worker is activated and controls the page: wait for both.
    A worker whose install failed never becomes ready: fail with a message instead of hanging.
    A page whose navigation began while the worker was installing (the redirect after a form) may be
    missed by the worker's claim; the next navigation is always controlled, as it is for a person."""
    state = page.evaluate(SW_STATE, seconds * 1000)
    if state == "uncontrolled":
        page.reload()
        state = page.evaluate(SW_STATE, 3000)
    assert state == "ready", f"the service worker did not take control of the page in {seconds}s: {state}"


def axe_check(page):
    from axe_playwright_python.sync_playwright import Axe

    tags = ["wcag2a", "wcag2aa", "wcag21aa"]
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": tags}})
    assert results.violations_count == 0, results.generate_report()


def paris_today():
    """The day the app records for an account in its time zone (Europe/Paris by default): between
    23:00 and 00:00 UTC it is already tomorrow there, so a test must not compare with the machine's date."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/Paris")).date()


def born(live_server, email, birth=None, sex="F") -> int:
    """Give the account's own profile a birth date (12 March 1974 by default) and a sex; its id."""
    from datetime import date

    from sqlalchemy import select

    from companion.models.account import User
    from companion.models.profile import Profile

    with live_server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        profile = db.session.scalar(select(Profile).where(Profile.user_id == user.id))
        profile.birth_date, profile.sex = birth or date(1974, 3, 12), sex
        db.session.commit()
        return profile.id


def phone_photo() -> bytes:
    """A 12-megapixel phone photo of a paper: 3,000 x 4,000 pixels, JPEG, about 2 MB."""
    import io

    from PIL import Image

    noise = Image.effect_noise((3000, 4000), 12).convert("RGB")
    photo = Image.blend(noise, Image.linear_gradient("L").resize((3000, 4000)).convert("RGB"), 0.7)
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=90)
    return out.getvalue()
