"""`flask --app companion reminders send-due` (plans and sends here, at once: a manual run or a test;
the queue's workers run the same every minute: companion/wiring.py declares the job, companion/tasks.py
runs it) and `flask --app companion push vapid-keys` (development keys)."""

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..models.types import utcnow
from ..services import delivery
from ..services import push as push_service
from ..services import reminders as reminder_service

reminders_cli = AppGroup("reminders", help="Prevention and appointment reminders.")
push_cli = AppGroup("push", help="Web Push settings.")


def make_sender(app) -> push_service.Sender | None:
    keys = push_service.load_keys(app.config)
    if keys is None:
        app.logger.warning("reminders: no VAPID keys (run `flask --app companion push vapid-keys`)")
        return None
    return push_service.Sender(keys, subject=app.config["VAPID_SUBJECT"])


def run_once(app) -> dict | None:
    sender = make_sender(app)
    if sender is None:
        return None
    try:
        return reminder_service.run_batch(sender)
    finally:
        db.session.remove()


def job(app) -> None:
    """Each minute: plan, then hand what is due to the queue's workers in chunks; without a queue
    (a bare call) plan and send right here."""
    with app.app_context():
        tasks = app.extensions.get("companion_tasks")
        if tasks is None:
            counts = run_once(app)
            if counts and any(counts.values()):
                app.logger.info("reminders: %s", counts)
            return
        try:
            added = reminder_service.plan_round()
            due = delivery.due_count(utcnow())
        finally:
            db.session.remove()
        chunks = tasks.fan_out(due)
        if added or chunks:
            app.logger.info("reminders: planned %s, %s due, %s chunk task(s) queued", added, due, chunks)


@reminders_cli.command("send-due")
def send_due():
    """Schedule coming reminders and send the ones that are due (safe to run concurrently)."""
    counts = run_once(current_app._get_current_object())
    if counts is None:
        raise click.ClickException("No VAPID keys: set COMPANION_VAPID_PRIVATE_KEY/PUBLIC_KEY "
                                   "or run `flask --app companion push vapid-keys`.")
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@push_cli.command("vapid-keys")
@click.option("--force", is_flag=True, help="Replace existing keys (devices subscribe again).")
def vapid_keys(force):
    """Generate development VAPID keys into instance/vapid.json and print them for production env."""
    existing = push_service.load_keys({"INSTANCE_DIR": current_app.config["INSTANCE_DIR"]})
    if existing and not force:
        click.echo(f"Keys already exist; public key: {existing['public_key']}")
        return
    path = push_service.write_dev_keys(current_app.config["INSTANCE_DIR"])
    keys = push_service.load_keys({"INSTANCE_DIR": current_app.config["INSTANCE_DIR"]})
    click.echo(f"Wrote {path}\nCOMPANION_VAPID_PUBLIC_KEY={keys['public_key']}\n"
               "COMPANION_VAPID_PRIVATE_KEY=(in that file; keep it secret)")


def register(app):
    app.cli.add_command(reminders_cli)
    app.cli.add_command(push_cli)
