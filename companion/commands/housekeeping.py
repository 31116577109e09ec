"""`flask housekeeping`: the periodic upkeep, also run every hour by the queue worker (companion/tasks.py).

Each step commits on its own, so one failing step does not undo the others:
- write "expired" into the access log for delegations that reached their end date,
- close the help sessions past their hour (the shared computer's login already ended with it),
- apply the access-log retention (AUDIT_RETENTION_MONTHS), keeping the chains verifiable,
- sign a checkpoint of the access log's chain heads when any moved since the last one,
- purge documents left in the trash past their 30 days (rows, then files), look for files no row
  names in a 24th of the store (services/store_upkeep.py: every folder once a day), and remove the
  part files of writes cut short,
- send the e-mails still in the outbox (a failed send is retried here, with a growing delay),
- apply the assisted recoveries whose hold ended, and push to owners not told yet (no keys at the time),
- forget login failure counts quiet for a day, sessions ended a month ago (a year if a lost phone has
  still to be told to forget everything), e-mails sent a month ago or given up three, reminders (but
  prevention ones) sent or given up three months ago,
- delete the "download everything" archives past their 7 days (file and row),
- forget the parts of files sent in parts whose form never came (the outbox gave up on it).
"""

import logging

import click
from flask import current_app

from ..extensions import db
from ..services import (
    access_log,
    audit_checkpoints,
    delegation_mail,
    delegations,
    dependents,
    documents,
    exports,
    login_throttle,
    mail,
    onboarding,
    recovery_hold,
    reminders,
    sessions,
    store_upkeep,
    upload_parts,
)

log = logging.getLogger("companion.housekeeping")


def _notify_recoveries() -> int:
    from ..services import push

    keys = push.load_keys(current_app.config)
    if keys is None:
        return 0
    subject = current_app.config.get("VAPID_SUBJECT", "mailto:contact@companion.example")
    return recovery_hold.notify_waiting(push.Sender(keys, subject=subject))


def run_once() -> dict[str, int]:
    done: dict[str, int] = {}
    steps = (
        ("delegations_expired", delegations.note_expired),
        ("help_sessions_closed", onboarding.close_expired),
        ("log_entries_pruned", lambda: access_log.prune(current_app.config["AUDIT_RETENTION_MONTHS"])),
        ("log_checkpoints", audit_checkpoints.write_if_changed),
        ("documents_purged", documents.purge_trash),
        ("orphan_files_removed", store_upkeep.sweep_hour),
        ("part_files_removed", store_upkeep.sweep_parts),
        ("delegations_warned", delegation_mail.warn_ending_soon),
        ("dependent_reviews_due", dependents.remind_reviews),
        ("mails_sent", mail.send_due),
        ("recoveries_applied", recovery_hold.apply_due),
        ("recoveries_notified", _notify_recoveries),
        ("login_throttles_forgotten", login_throttle.prune),
        ("sessions_forgotten", sessions.prune),
        ("mails_forgotten", mail.forget_old),
        ("reminders_forgotten", reminders.forget_old),
        ("exports_expired", exports.sweep),
        ("upload_parts_forgotten", upload_parts.prune),
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


def job(app) -> None:
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
