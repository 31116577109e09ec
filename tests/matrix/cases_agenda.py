"""Matrix cases for every agenda route (issue 6): the page, item actions, personal reminders, .ics."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from companion.extensions import db
from companion.models.agenda import PersonalReminder
from companion.models.profile import Profile

from . import Case, World

RULE = {"kwargs": lambda w: {"rule_id": "DO_BREAST"}}


def _woman(world: World) -> None:
    profile = db.session.get(Profile, world.profile_id)
    profile.birth_date, profile.sex = date(1974, 3, 12), "F"


def _reminder(world: World) -> None:
    _woman(world)
    rem = PersonalReminder(profile_id=world.profile_id, kind="appointment", title="Matrix dentist", notes="",
                           starts_at=datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=3),
                           timezone="Europe/Paris", repeat="")
    db.session.add(rem)
    db.session.flush()
    world.objects["reminder_id"] = rem.id


REM = {"kwargs": lambda w: {"reminder_id": w.objects["reminder_id"]}, "prepare": _reminder}
TODAY = date.today().isoformat()

CASES = [
    Case("agenda.index", "agenda", prepare=_woman),
    Case("agenda.done", "agenda", "POST", data=lambda w: {"done_on": TODAY}, prepare=_woman, **RULE),
    Case("agenda.snooze", "agenda", "POST", data=lambda w: {"weeks": "4"}, prepare=_woman, **RULE),
    Case("agenda.dismiss", "agenda", "POST", data=lambda w: {"reason": ""}, prepare=_woman, **RULE),
    Case("agenda.reopen", "agenda", "POST", data=lambda w: {}, prepare=_woman, **RULE),
    Case("agenda.item_ics", "agenda", prepare=_woman, **RULE),
    Case("agenda.reminder_new", "agenda", prepare=_woman),
    Case("agenda.reminder_new", "agenda", "POST", prepare=_woman, data=lambda w: {
        "kind": "appointment", "title": "Dentist", "day": (date.today() + timedelta(days=2)).isoformat(),
        "at": "10:30", "repeat": ""}),
    Case("agenda.reminder_edit", "agenda", **REM),
    Case("agenda.reminder_edit", "agenda", "POST", data=lambda w: {
        "kind": "medicine", "title": "Doliprane", "day": "2026-06-01", "at": "08:00", "repeat": "daily"},
        **REM),
    Case("agenda.reminder_delete", "agenda", "POST", data=lambda w: {}, **REM),
    Case("agenda.reminder_ics", "agenda", **REM),
]
