"""`flask housekeeping`: the periodic upkeep, also run every hour by the queue worker (companion/tasks.py).

Each step commits on its own, so one failing step does not undo the others:
- write "expired" into the access log for delegations that reached their end date,
- apply the access-log retention (AUDIT_RETENTION_MONTHS), keeping the chain verifiable,
- purge documents left in the trash past their 30 days, and blobs no document refers to.
"""

import logging

import click
from flask import current_app

from ..extensions import db
from ..services import access_log, delegations, documents
from .serve import add_job

log = logging.getLogger("companion.housekeeping")


def run_once() -> dict[str, int]:
    done: dict[str, int] = {}
    steps = (
        ("delegations_expired", delegations.note_expired),
        ("log_entries_pruned", lambda: access_log.prune(current_app.config["AUDIT_RETENTION_MONTHS"])),
        ("documents_purged", lambda: documents.purge_trash()[0]),
    )
    for name, step in steps:
        try:
            done[name] = step()
            db.session.commit()
        except Exception:  # logged; the next run tries again
            db.session.rollback()
            log.exception("housekeeping step %s failed", name)
            done[name] = -1
    return done


def _job(app) -> None:
    with app.app_context():
        result = run_once()
        log.info("housekeeping %s", " ".join(f"{k}={v}" for k, v in result.items()))


@click.command("housekeeping")
def housekeeping():
    """Expire delegations in the log, apply log retention, purge the trash."""
    for name, count in run_once().items():
        click.echo(f"{name}: {count}")


def register(app):
    app.cli.add_command(housekeeping)
    add_job("housekeeping", 3600, _job)
