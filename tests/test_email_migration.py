"""Migration 0026 lowers the addresses of accounts made before they were all stored lower-cased: a login
then finds its account by the unique index, however the address is typed."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from companion.extensions import db
from companion.models.types import utcnow
from companion.services import accounts

from .test_migrations import fresh_app  # noqa: F401 (the fixture)

USERS = sa.table("users", sa.column("id"), sa.column("email"), sa.column("password_hash"),
                 sa.column("display_name"), sa.column("locale"), sa.column("timezone"), sa.column("role"),
                 sa.column("created_at"), sa.column("data_saver"), sa.column("monthly_cap_mb"))


def test_an_address_stored_with_capitals_is_lowered_and_found_however_typed(fresh_app):  # noqa: F811
    with fresh_app.app_context():
        upgrade(revision="0025")
        with db.engine.begin() as conn:
            conn.execute(USERS.insert(), [dict(email="Jeanne.Morel@Example.FR", password_hash="-",
                                               display_name="Jeanne", locale="fr", timezone="Europe/Paris",
                                               role="person", created_at=utcnow(), data_saver=False,
                                               monthly_cap_mb=50)])
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(sa.select(USERS.c.email)).scalar() == "jeanne.morel@example.fr"
        with fresh_app.test_request_context():
            assert accounts.find_by_email(" JEANNE.morel@example.fr ").display_name == "Jeanne"
            db.session.remove()  # an open read would hold off the indexes built CONCURRENTLY below
        downgrade(revision="0025")  # the indexes go; the addresses stay lower-cased, as they are now made
        upgrade()
