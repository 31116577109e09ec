"""`flask demo`: create demo accounts and data (idempotent) and print how to log in."""

import click

from ..extensions import db


@click.command("demo")
def demo():
    """Load demo data a newcomer can log in with (safe to run again)."""
    from ..demo import seed_all

    lines = seed_all()
    db.session.commit()
    click.echo("\n".join(lines))


def register(app):
    app.cli.add_command(demo)
