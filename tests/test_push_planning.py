"""Planning reminders: two planners at once (threads, and two processes) never fail on the unique key
and plan each reminder once; planning is incremental (only profiles whose data, managers' settings or
rules changed, or whose window moved on)."""

import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, func, select

from companion.extensions import db
from companion.models.agenda import PersonalReminder, PlanMark, Reminder
from companion.services import plan_marks, reminders

from .cast import make_profile
from .push_receiver import PushService
from .test_push_delivery import NOW, device, person


def people(service):
    """Four people with a device each, one with a child's profile too."""
    for who in ("louis", "claire", "sophie", "nadia"):
        user, _ = person(who)
        device(service, user, who)
    make_profile(user, first_name="Léa", birth_date=NOW.date() - timedelta(days=400))
    db.session.commit()


def count():
    return db.session.scalar(select(func.count()).select_from(Reminder))


def forget_everything():
    db.session.execute(delete(Reminder))
    db.session.execute(delete(PlanMark))
    db.session.commit()


def _plan(app, barrier, errors):
    try:
        with app.app_context():
            barrier.wait()  # both planners start together, on the same new rows
            reminders.schedule(NOW)
            db.session.commit()
            db.session.remove()
    except Exception as exc:  # reported to the test
        errors.append(exc)


def test_two_planners_in_threads_never_collide(app, ctx):
    service = PushService()
    with ctx():
        people(service)
        reminders.schedule(NOW)
        db.session.commit()
        expected = count()
    assert expected > 10
    for _ in range(3):
        with ctx():
            forget_everything()
        barrier, errors = threading.Barrier(2), []
        threads = [threading.Thread(target=_plan, args=(app, barrier, errors)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with ctx():
            assert count() == expected
    service.close()


PLANNER = """
import sys, time
from datetime import datetime
from pathlib import Path
from companion import create_app
from companion.extensions import db
from companion.services import reminders

url, folder, name, now = sys.argv[1:5]
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_DIR": folder}, testing=True)
with app.app_context():
    db.session.execute(db.text("SELECT 1"))
    Path(folder, name + ".ready").touch()
    while not Path(folder, "go").exists():
        time.sleep(0.002)
    print(reminders.schedule(datetime.fromisoformat(now)))
    db.session.commit()
"""


def test_two_planner_processes_never_collide(app, ctx, tmp_path):
    service = PushService()
    with ctx():
        people(service)
        reminders.schedule(NOW)
        db.session.commit()
        expected = count()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    root = str(Path(__file__).resolve().parent.parent)
    for round_ in range(2):
        with ctx():
            forget_everything()
        folder = tmp_path / f"round{round_}"
        folder.mkdir()
        procs = [subprocess.Popen([sys.executable, "-c", PLANNER, url, str(folder), f"p{i}", NOW.isoformat()],
                                  cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in range(2)]
        deadline = time.monotonic() + 120
        while len(list(folder.glob("*.ready"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        (folder / "go").touch()
        outputs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], [err[-800:] for _, err in outputs]
        assert sum(int(out.split()[-1]) for out, _ in outputs) == expected
        with ctx():
            assert count() == expected
    service.close()


def test_planning_looks_only_at_what_changed(app, ctx, monkeypatch):
    service = PushService()
    planned = []
    original = reminders._prevention
    monkeypatch.setattr(reminders, "_prevention", lambda plan, user, pref, profile, now: (
        planned.append(profile.id), original(plan, user, pref, profile, now)))
    with ctx():
        people(service)
        reminders.schedule(NOW)
        db.session.commit()
        everyone = sorted(set(planned))
        planned.clear()
        assert reminders.schedule(NOW) == 0 and planned == []  # nothing changed: nobody is planned
        louis = db.session.scalar(select(PersonalReminder.profile_id).limit(1)) or everyone[0]
        db.session.add(PersonalReminder(profile_id=louis, kind="appointment", title="Cardiologue", notes="",
                                        starts_at=NOW + timedelta(days=2), timezone="Europe/Paris",
                                        repeat=""))
        db.session.commit()
        assert reminders.schedule(NOW) >= 1 and planned == [louis]  # only the profile that changed
        planned.clear()
        reminders.schedule(NOW + plan_marks.REPLAN_EVERY + timedelta(seconds=1))  # the window moved on
        assert sorted(set(planned)) == everyone
        planned.clear()
        monkeypatch.setattr(plan_marks, "rules_digest", lambda: "other rules")
        reminders.schedule(NOW + plan_marks.REPLAN_EVERY + timedelta(seconds=2))  # a rule changed
        assert sorted(set(planned)) == everyone
    service.close()


def test_a_new_device_or_new_preferences_plan_that_account_again(app, ctx):
    service = PushService()
    with ctx():
        user, profile = person("louis")
        device(service, user, "phone")
        db.session.commit()
        first = reminders.schedule(NOW)
        db.session.commit()
        assert first > 0 and reminders.schedule(NOW) == 0
        reminders.save_preferences(user.id, [profile.id], {profile.id}, 21 * 60, 8 * 60, [0], [60])
        db.session.commit()
        assert reminders.schedule(NOW) > 0  # the unsent ones were dropped and are planned again
        db.session.commit()
        device(service, user, "tablet")
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(PlanMark)) == 0
    service.close()


