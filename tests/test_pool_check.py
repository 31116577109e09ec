"""A database connection killed while it sat unused is replaced before a page sees it; one killed in the
second after it served a request fails that one next request, then the pool recovers
(companion/pool_check.py: the pool checks only connections unused for a while, not every request).

PostgreSQL only: SQLite has no server and no connection to lose. Each test has its own app, so only
its own connections (named by `application_name`) are killed."""

import tempfile
import time

import pytest
from sqlalchemy import create_engine, text

from companion.extensions import db

from .cast import sign_up
from .conftest import Browser, make_app


@pytest.fixture
def own_app(app, backend):
    """An app of its own on the test database (`app` made the schema), whose connections carry a name."""
    if backend != "postgresql":
        pytest.skip("SQLite has no server: a connection cannot be lost")

    def made(idle_seconds: float):
        name = f"pool-check-{time.monotonic_ns()}"
        options = {"hide_parameters": True, "connect_args": {"application_name": name}}
        tmpdir = tempfile.mkdtemp(prefix="companion-pool-")
        own = make_app(backend, tmpdir, SQLALCHEMY_ENGINE_OPTIONS=options,
                       DATABASE_CHECK_AFTER_IDLE_SECONDS=idle_seconds)
        made.apps.append(own)
        return own, name

    made.apps = []
    yield made
    for own in made.apps:
        with own.app_context():
            db.session.remove()
            db.engine.dispose()


def _kill(app, name: str) -> int:
    """Terminate every server process serving that app's connections, as a restart or an administrator
    would; returns how many."""
    with app.app_context():
        url = db.engine.url
    killer = create_engine(url)
    try:
        with killer.connect() as conn:
            return len(conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                         "WHERE application_name = :name"), {"name": name}).all())
    finally:
        killer.dispose()


def test_a_connection_killed_while_unused_is_replaced_before_a_page_sees_it(own_app):
    app, name = own_app(idle_seconds=0.3)
    web = Browser(app.test_client())
    sign_up(web, app.app_context)
    assert web.get("/").status_code == 200
    assert _kill(app, name) >= 1
    time.sleep(0.5)  # longer unused than the app's 0.3 s: the pool checks before lending
    home = web.get("/")
    assert home.status_code == 200 and "Se déconnecter" in home.get_data(as_text=True)
    assert web.get("/healthz").get_json() == {"status": "ok"}


def test_a_connection_killed_in_its_busy_second_fails_one_request_then_the_pool_recovers(own_app):
    app, name = own_app(idle_seconds=60)  # as if the kill came within the second after a request
    web = Browser(app.test_client())
    assert web.get("/healthz").status_code == 200
    assert _kill(app, name) >= 1
    # Not checked (it served a request just now): the one request it is lent to finds it dead.
    assert web.get("/healthz").status_code == 503
    # SQLAlchemy saw the disconnection and replaced every connection of the pool.
    assert web.get("/healthz").get_json() == {"status": "ok"}
    sign_up(web, app.app_context)
    assert web.get("/").status_code == 200
