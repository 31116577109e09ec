"""`flask documents purge-trash`: delete documents kept in the trash for more than 30 days."""

import click
from flask.cli import AppGroup

group = AppGroup("documents", help="Health documents maintenance.")


@group.command("purge-trash")
@click.option("--days", default=30, show_default=True, help="Days a document stays in the trash.")
def purge_trash(days):
    """Delete documents in the trash for more than DAYS days, and stored files no document uses."""
    from ..services import documents, store_upkeep

    purged = documents.purge_trash(days=days)  # their files too, once the rows are gone
    orphans = store_upkeep.sweep()  # the whole store, at once: the hourly housekeeping takes a 24th
    click.echo(f"{purged} documents purged, {orphans} orphan files removed")


def register(app):
    app.cli.add_command(group)
