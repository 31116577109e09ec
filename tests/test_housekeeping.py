"""The hourly upkeep: ended delegations reach the log, old log entries go, the chain still holds."""

from datetime import timedelta

from sqlalchemy import select

from companion.commands.housekeeping import run_once
from companion.extensions import db
from companion.models.audit import AccessEvent
from companion.models.types import utcnow
from companion.services import accounts, audit
from companion.wiring import JOBS

from .cast import make_delegation, make_person


def _people():
    return make_person("louis"), make_person("sophie")


def test_housekeeping_runs_every_hour_beside_the_server(app):
    assert any(job.name == "housekeeping" and job.every_seconds == 3600 for job in JOBS)


def test_an_ended_delegation_is_written_to_the_owners_log_once(app, ctx):
    with ctx():
        owner, helper = _people()
        profile = accounts.own_profile(owner)
        make_delegation(profile.id, helper, "agenda", accepted_at=utcnow() - timedelta(days=40),
                        expires_at=utcnow() - timedelta(days=1))
        db.session.commit()
        assert run_once()["delegations_expired"] == 1
        assert run_once()["delegations_expired"] == 0
        actions = db.session.scalars(select(AccessEvent.action).where(AccessEvent.profile_id == profile.id))
        assert list(actions).count("delegation.expired") == 1


def test_log_entries_past_retention_are_removed_and_the_chain_still_verifies(app, ctx):
    with ctx():
        owner, _ = _people()
        old = utcnow() - timedelta(days=800)
        audit.record(actor=owner, actor_role="owner", action="account.login", account_id=owner.id, at=old)
        audit.record(actor=owner, actor_role="owner", action="account.login", account_id=owner.id)
        db.session.commit()
        before = db.session.query(AccessEvent).count()
        assert run_once()["log_entries_pruned"] >= 1
        assert db.session.query(AccessEvent).count() < before
        assert db.session.scalars(select(AccessEvent.at)).all() and all(
            at > utcnow() - timedelta(days=400) for at in db.session.scalars(select(AccessEvent.at))
        )
        assert audit.verify().ok
