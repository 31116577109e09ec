"""`flask documents purge-trash`: delete documents kept in the trash for more than 30 days.
`flask documents clean-photos`: remove the metadata of photos stored before it was removed at upload."""

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


@group.command("clean-photos")
def clean_photos():
    """Store again, without their place, camera and other metadata, the photos added before this was
    done at upload. Safe to run again: a clean photo is left as it is."""
    from ..services import stored_photos

    done = stored_photos.clean_all()
    click.echo(f"{done['cleaned']} photos cleaned, {done['clean']} already clean, "
               f"{done['duplicate']} kept (the clean photo is already another document), "
               f"{done['unreadable']} unreadable, {done['gone']} deleted meanwhile")


def register(app):
    app.cli.add_command(group)
