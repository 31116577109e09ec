"""`flask closures`: close the profiles and accounts whose cooling-off period ended (services/closure.py);
also run every hour by the queue worker (wiring.JOBS)."""

import logging

import click

from ..services import closure

log = logging.getLogger("companion.closure")


def job(app, now=None) -> int:
    """The periodic job (`now`: a moved clock in tests)."""
    with app.app_context():
        done = closure.run_due(now)
        if done:
            log.info("closures done=%s", done)
        return done


@click.command("closures")
def closures():
    """Close what reached the end of its cooling-off period."""
    click.echo(f"closed: {closure.run_due()}")


def register(app):
    app.cli.add_command(closures)
