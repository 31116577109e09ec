"""Fixtures: an app per database (SQLite always; PostgreSQL when COMPANION_TEST_DATABASE_URL is set),
schema built by `alembic upgrade`, every table emptied between tests."""

import os
import re
import tempfile

import pytest
from flask_migrate import upgrade
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text

from companion import create_app
from companion.extensions import db, limiter
from companion.i18n import compile_catalogs
from companion.models.profile import Profile

PG_URL = os.environ.get("COMPANION_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def make_app(backend: str, tmpdir: str, **extra):
    url = f"sqlite:///{tmpdir}/test.sqlite3" if backend == "sqlite" else PG_URL
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_DIR": tmpdir,
              "SERVER_NAME": "localhost"}
    return create_app({**config, **extra}, testing=True)


def reset_schema(app):
    """Drop everything so `upgrade` starts from empty (PostgreSQL keeps state between runs)."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))


REDIS_URL = os.environ.get("COMPANION_TEST_REDIS_URL", "redis://127.0.0.1:6379/10")


def redis_or_skip() -> str:
    """The test Redis's URL; outside CI a test without one is skipped, in CI it fails (CI has Redis at
    127.0.0.1:6379: the Redis backend must run there, not be skipped)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture(scope="session", autouse=True)
def _catalogs():
    """Pages are asserted in French: compile the catalogs once if this checkout has none yet (.mo files
    are built, not committed; `make test` compiles them first, a bare `pytest` lands here)."""
    compile_catalogs()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def app(backend):
    with tempfile.TemporaryDirectory() as tmpdir:
        application = make_app(backend, tmpdir)
        reset_schema(application)
        with application.app_context():
            upgrade()
        yield application
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def _tables(app):
    return [t for t in reversed(db.metadata.sorted_tables)]


@pytest.fixture(autouse=True)
def _clean(request):
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        existing = set(sa_inspect(db.engine).get_table_names())
        names = [t.name for t in _tables(app) if t.name in existing]
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                quoted = ", ".join(f'"{n}"' for n in names)
                conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            else:
                for name in names:
                    conn.execute(text(f'DELETE FROM "{name}"'))
        limiter.reset()


@pytest.fixture
def ctx(app):
    """`with ctx():` opens an app context for the test's own database checks. It must not stay open
    across requests: Flask would reuse it, and `g` (the logged-in user) would leak between them."""
    return app.app_context


@pytest.fixture
def client(app):
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|name="csrf-token" content="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class Browser:
    """A thin wrapper over the test client that submits forms the way a browser does (with the token)."""

    def __init__(self, client):
        self.client = client

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def token(self, url="/login"):
        return csrf_from(self.client.get(url).get_data(as_text=True))

    def post(self, url, data=None, *, from_url=None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token(from_url or url))
        return self.client.post(url, data=data, **kw)

    def register(self, email="anna@example.fr", password="une phrase facile", name="Anna Petit"):
        return self.post("/register", {"email": email, "password": password, "display_name": name})

    def login(self, email="anna@example.fr", password="une phrase facile", **extra):
        return self.post("/login", {"email": email, "password": password, **extra})

    def logout(self):
        return self.post("/logout", from_url="/")


@pytest.fixture
def web(client):
    return Browser(client)


@pytest.fixture
def claire(web, ctx):
    """Claire (born 1974) signed in on `web`; her profile's id."""
    from .cast import CAST, sign_up  # cast imports this module: imported when the fixture runs

    pid = sign_up(web, ctx, "claire")
    with ctx():
        profile = db.session.get(Profile, pid)
        profile.birth_date, profile.sex = CAST["claire"].birth_date, CAST["claire"].sex
        db.session.commit()
    return pid
