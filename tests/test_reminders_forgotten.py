"""Reminders sent long ago are forgotten by the hourly housekeeping (the daily digests alone are a row a
day for each account), all but the prevention ones: a late vaccine's reminder row is what keeps the
planner, which plans that same key every day the item stays late, from sending it again."""

from datetime import timedelta

from sqlalchemy import delete, func, insert, select

from companion.commands.housekeeping import run_once
from companion.extensions import db
from companion.models.agenda import Reminder
from companion.services import plan_marks, reminders

from .cast import make_profile
from .push_receiver import PushService
from .test_push_delivery import NOW, device, person

LATER = NOW + timedelta(days=120)


def _row(uid: int, pid: int, key: str, kind: str, due, **state) -> dict:
    return dict(key=key, user_id=uid, profile_id=pid, kind=kind, item_ref="d1", due_at=due, scheduled_at=due,
                attempts=1, fence=0, created_at=due, **state)


def _keys() -> set[str]:
    return set(db.session.scalars(select(Reminder.key)))


def _replan(uid: int, now) -> None:
    plan_marks.forget_users(db.session.connection(), [uid])
    reminders.schedule(now)
    db.session.commit()


def test_sent_reminders_are_forgotten_after_three_months_but_a_late_items_is_kept(app, ctx):
    service = PushService()
    with ctx():
        louis, own = person("louis")
        device(service, louis, "louis")
        make_profile(louis, first_name="Léa", birth_date=NOW.date() - timedelta(days=400))
        db.session.commit()
        reminders.schedule(NOW)
        db.session.commit()
        late = {r.key for r in db.session.scalars(select(Reminder).where(Reminder.kind == "prevention"))
                if r.key.split(":")[3] < NOW.date().isoformat()}
        assert late, "a child of 13 months with nothing recorded has late vaccines"
        db.session.execute(Reminder.__table__.update().values(sent_at=NOW))  # all sent at NOW
        db.session.execute(insert(Reminder), [
            _row(louis.id, own.id, "u:digest:old", "digest", NOW, sent_at=NOW),
            _row(louis.id, own.id, "u:appointment:given-up", "appointment", NOW, failed_at=NOW),
            _row(louis.id, own.id, "u:appointment:waiting", "appointment", NOW),
            _row(louis.id, own.id, "u:digest:recent", "digest", LATER - timedelta(days=10),
                 sent_at=LATER - timedelta(days=10))])
        db.session.commit()
        prevention = db.session.scalar(select(func.count()).where(Reminder.kind == "prevention"))

        assert reminders.forget_old(LATER) == 2
        kept = _keys()
        assert "u:digest:old" not in kept and "u:appointment:given-up" not in kept
        assert {"u:appointment:waiting", "u:digest:recent"} <= kept and late <= kept
        assert db.session.scalar(select(func.count()).where(Reminder.kind == "prevention")) == prevention

        _replan(louis.id, LATER)  # four months on, the vaccines are still late: nothing sent again
        again = db.session.scalars(select(Reminder).where(Reminder.key.in_(late))).all()
        assert len(again) == len(late) and all(r.sent_at == NOW for r in again)
        # Without their rows, the same keys would be planned again, and the items still late (his and the
        # child's vaccines, his screening; not the autumn's flu and covid shots, their season over)
        # reminded again.
        db.session.execute(delete(Reminder).where(Reminder.key.in_(late)))
        _replan(louis.id, LATER)
        back = late & _keys()
        assert back and all(db.session.scalar(select(Reminder.sent_at).where(Reminder.key == k)) is None
                            for k in back)
    service.close()


def test_the_hours_housekeeping_forgets_them(app, ctx):
    with ctx():
        louis, own = person("louis", batching=None)
        db.session.execute(insert(Reminder), [
            _row(louis.id, own.id, f"u:digest:{i}", "digest", NOW - timedelta(days=100 + i), sent_at=NOW)
            for i in range(3)])
        db.session.commit()
    with app.app_context():
        assert run_once()["reminders_forgotten"] == 3
        assert _keys() == set()
