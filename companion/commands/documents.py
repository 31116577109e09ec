"""`flask documents purge-trash`: delete documents kept in the trash for more than 30 days."""

import click
from flask.cli import AppGroup

from ..extensions import db

group = AppGroup("documents", help="Health documents maintenance.")


@group.command("purge-trash")
@click.option("--days", default=30, show_default=True, help="Days a document stays in the trash.")
def purge_trash(days):
    """Delete documents in the trash for more than DAYS days, and stored files no document uses."""
    from ..services import documents

    purged, orphans = documents.purge_trash(days=days)
    db.session.commit()
    orphans += documents.sweep_orphans()  # only now are the purged documents' files unused
    click.echo(f"{purged} documents purged, {orphans} orphan files removed")


def register(app):
    app.cli.add_command(group)
