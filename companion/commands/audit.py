"""`flask audit verify` checks every chain of the access log and the signed checkpoints;
`flask audit checkpoint` signs the heads now (and can export them); `flask audit prune` applies the
retention."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db

group = AppGroup("audit", help="Check the access log, sign checkpoints of it and apply its retention period.")


@group.command("verify")
@click.option("--checkpoints", "checkpoint_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A JSON lines file of checkpoints kept outside the database (from `checkpoint --export`).")
def verify(checkpoint_file):
    """Walk every chain; exit 1 and name the first broken entry if anything was changed or removed."""
    from ..services import audit

    lines = Path(checkpoint_file).read_text().splitlines() if checkpoint_file else ()
    verdict = audit.verify(lines)
    if verdict.ok:
        click.echo(f"OK: {verdict.checked} entries checked, every chain is intact.")
        return
    where = f"entry #{verdict.broken_id}" if verdict.broken_id is not None else "the end of the log"
    chain = f" (chain {verdict.chain})" if verdict.chain else ""
    click.echo(f"BROKEN at {where}{chain}: {verdict.reason} "
               f"({verdict.checked} entries before it are intact).", err=True)
    raise SystemExit(1)


@group.command("checkpoint")
@click.option("--export", "export_file", type=click.Path(dir_okay=False), default=None,
              help="Also append the signed checkpoint to this file (JSON lines); keep it off this server.")
def checkpoint(export_file):
    """Sign every chain's head now and store it; `verify` will then notice any entry removed before it."""
    from ..services import audit_checkpoints

    row = audit_checkpoints.write("manual")
    db.session.commit()
    signed = audit_checkpoints.Checkpoint(row.body, row.signature, row.key_id)
    if export_file:
        with open(export_file, "a", encoding="utf-8") as handle:
            handle.write(signed.line() + "\n")
    click.echo(f"Checkpoint #{row.id} signed: {len(signed.data['heads'])} chains.")


@group.command("prune")
@click.option("--months", type=int, default=None, help="Months to keep (default: AUDIT_RETENTION_MONTHS).")
def prune(months):
    """Delete entries older than the retention period (1 to 36 months); a signed checkpoint records it."""
    from ..services import access_log, delegations

    months = access_log.retention_months(months or current_app.config["AUDIT_RETENTION_MONTHS"])
    delegations.note_expired()  # log what ended before the oldest entries go
    removed = access_log.prune(months)
    db.session.commit()
    click.echo(f"Removed {removed} entries older than {months} months.")


def register(app):
    app.cli.add_command(group)
