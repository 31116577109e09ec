"""The schema comes only from Alembic: it must go up, down and up again, and match the models."""

import tempfile

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from companion.extensions import db

from .conftest import make_app, reset_schema


@pytest.fixture
def fresh_app(backend, app):
    # PostgreSQL reuses the shared test database (emptied by reset_schema); put it back at the end.
    with tempfile.TemporaryDirectory() as tmpdir:
        fresh = make_app(backend, tmpdir)
        reset_schema(fresh)
        yield fresh
        with fresh.app_context():
            db.engine.dispose()
    if backend == "postgresql":
        with app.app_context():
            db.engine.dispose()
            reset_schema(app)
            upgrade()


def _tables(app) -> set[str]:
    with app.app_context():
        return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_round_trip(fresh_app):
    with fresh_app.app_context():
        upgrade()
    expected = {t.name for t in db.metadata.sorted_tables}
    assert _tables(fresh_app) == expected
    with fresh_app.app_context():
        downgrade(revision="base")
    assert _tables(fresh_app) == set()
    with fresh_app.app_context():
        upgrade()
    assert _tables(fresh_app) == expected


def test_models_and_migrations_agree(fresh_app):
    with fresh_app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models differ from migrations (run `flask db migrate`): {diff}"
