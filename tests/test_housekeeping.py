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


def test_sessions_ended_a_month_ago_are_forgotten_but_a_lost_phone_still_learns_to_forget(app, ctx):
    from companion.models.account import UserSession
    from companion.services import sessions

    with ctx():
        owner, _ = _people()
        now = utcnow()

        def opened(**state):
            _token, sess = sessions.open_session(owner)
            for key, value in state.items():
                setattr(sess, key, value)
            return sess.id

        live = opened()
        logged_out = opened(revoked_at=now - timedelta(days=31))
        lately_out = opened(revoked_at=now - timedelta(days=2))
        forgotten = opened(last_seen_at=now - timedelta(days=31))  # never came back
        lost = opened(revoked_at=now - timedelta(days=200), wipe_all=True)  # "sign out everywhere else"
        very_old = opened(created_at=now - timedelta(days=401), revoked_at=now - timedelta(days=390),
                          wipe_all=True)
        db.session.commit()
        assert run_once()["sessions_forgotten"] == 3
        kept = set(db.session.scalars(select(UserSession.id)))
        assert kept == {live, lately_out, lost} and not {logged_out, forgotten, very_old} & kept


def test_emails_sent_a_month_ago_or_given_up_three_are_forgotten(app, ctx):
    from companion.models.mail import OutgoingMail
    from companion.services import mail

    with ctx():
        now = utcnow()
        rows = {"waiting": {}, "sent lately": {"sent_at": now - timedelta(days=3)},
                "sent long ago": {"sent_at": now - timedelta(days=31)},
                "given up lately": {"failed_at": now - timedelta(days=60)},
                "given up long ago": {"failed_at": now - timedelta(days=91)}}
        for subject, state in rows.items():
            row = mail.queue("louis@example.fr", "fr", "new_device", name="Louis", when="hier",
                             system="Firefox", link="https://companion.example/account/security/")
            row.subject = subject
            for key, value in state.items():
                setattr(row, key, value)
        db.session.commit()
        assert mail.forget_old(now) == 2
        assert set(db.session.scalars(select(OutgoingMail.subject))) == {"waiting", "sent lately",
                                                                         "given up lately"}
