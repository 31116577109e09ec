"""`flask audit verify` checks the whole access-log chain; `flask audit prune` applies the retention."""

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db

group = AppGroup("audit", help="Check the access log's hash chain and apply its retention period.")


@group.command("verify")
def verify():
    """Walk the chain; exit 1 and name the first broken entry if anything was changed."""
    from ..services import audit

    verdict = audit.verify()
    if verdict.ok:
        click.echo(f"OK: {verdict.checked} entries checked, the chain is intact.")
        return
    where = f"entry #{verdict.broken_id}" if verdict.broken_id is not None else "the end of the log"
    click.echo(f"BROKEN at {where}: {verdict.reason} ({verdict.checked} entries before it are intact).",
               err=True)
    raise SystemExit(1)


@group.command("prune")
@click.option("--months", type=int, default=None, help="Months to keep (default: AUDIT_RETENTION_MONTHS).")
def prune(months):
    """Delete entries older than the retention period (1 to 36 months); the chain stays verifiable."""
    from ..services import access_log, delegations

    months = access_log.retention_months(months or current_app.config["AUDIT_RETENTION_MONTHS"])
    delegations.note_expired()  # log what ended before the oldest entries go
    removed = access_log.prune(months)
    db.session.commit()
    click.echo(f"Removed {removed} entries older than {months} months.")


def register(app):
    app.cli.add_command(group)
