"""`flask --app companion family stages`: move children's profiles through the stages of growing up
(services/family_stages.py); the queue's worker runs the same every hour (companion/wiring.py)."""

import logging

import click
from flask.cli import AppGroup

from ..extensions import db
from ..services import family_stages

log = logging.getLogger("companion.family")
family_cli = AppGroup("family", help="Children growing up.")


def job(app, now=None) -> int:
    """Each hour (a birthday is a date: an hour late is on time). `now`: a moved clock in tests."""
    with app.app_context():
        try:
            entered = family_stages.run(now)
        except Exception:  # logged; the next run tries again (each profile commits on its own)
            db.session.rollback()
            log.exception("family stages failed")
            return -1
        finally:
            db.session.remove()
        if entered:
            log.info("family: %s stage(s) entered", entered)
        return entered


@family_cli.command("stages")
def stages():
    """Announce and apply the teen and adult stages that are due."""
    click.echo(f"stages entered: {family_stages.run()}")


def register(app):
    app.cli.add_command(family_cli)
