"""Calendar files read back by a small RFC 5545 reader written here (no calendar library): local times
with TZID and a VTIMEZONE keep a daily medicine at 8:00 across the last Sundays of March and October;
all-day items ring at the reminder hour; titles are neutral unless the person asks for the name."""

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from companion.extensions import db
from companion.models.agenda import ReminderPreference
from companion.prevention import load_rules
from companion.services import accounts, agenda_ics, ics
from companion.services.agenda import Item

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def parse(text: str) -> dict:
    """Components as {"name", "props": {NAME: (params, value)}, "children"}; checks line endings."""
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    root = {"name": "", "props": {}, "children": []}
    stack = [root]
    for line in text.replace("\r\n ", "").split("\r\n")[:-1]:
        head, value = line.split(":", 1)
        name, *params = head.split(";")
        if name == "BEGIN":
            comp = {"name": value, "props": {}, "children": []}
            stack[-1]["children"].append(comp)
            stack.append(comp)
        elif name == "END":
            assert stack.pop()["name"] == value
        else:
            stack[-1]["props"][name] = (dict(p.split("=", 1) for p in params), value)
    assert len(stack) == 1
    return root["children"][0]


def children(comp, name):
    return [c for c in comp["children"] if c["name"] == name]


def local(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%dT%H%M%S")


def offset(text: str) -> timedelta:
    sign = -1 if text[0] == "-" else 1
    return sign * timedelta(hours=int(text[1:3]), minutes=int(text[3:5]))


def onset(obs: dict, year: int) -> datetime | None:
    """When an observance begins in `year`, from its DTSTART and yearly BYMONTH/BYDAY rule."""
    start = local(obs["props"]["DTSTART"][1])
    if "RRULE" not in obs["props"]:
        return start  # a single onset, whatever the year
    rule = dict(part.split("=") for part in obs["props"]["RRULE"][1].split(";"))
    assert rule["FREQ"] == "YEARLY"
    month, nth, weekday = int(rule["BYMONTH"]), int(rule["BYDAY"][:-2]), DAYS.index(rule["BYDAY"][-2:])
    days = [date(year, month, d) for d in range(1, 32) if _valid(year, month, d)]
    matching = [d for d in days if d.weekday() == weekday]
    return datetime.combine(matching[nth - 1 if nth > 0 else nth], start.time())


def _valid(year, month, day):
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def to_utc(vtimezone: dict, wall: datetime) -> datetime:
    """A local time of the zone as the file describes it -> UTC (latest observance begun before)."""
    begun = []
    for obs in vtimezone["children"]:
        for year in (wall.year - 1, wall.year):
            when = onset(obs, year)
            if when is not None and when <= wall and local(obs["props"]["DTSTART"][1]) <= when:
                begun.append((when, offset(obs["props"]["TZOFFSETTO"][1])))
    assert begun, "no observance covers this date"
    return (wall - max(begun)[1]).replace(tzinfo=UTC)


def daily_times(cal: dict, days: list[date]) -> list[datetime]:
    """UTC times a calendar shows a daily event on each of `days`."""
    event = children(cal, "VEVENT")[0]
    params, value = event["props"]["DTSTART"]
    assert event["props"]["RRULE"][1].startswith("FREQ=DAILY")
    zone = next(z for z in children(cal, "VTIMEZONE") if z["props"]["TZID"][1] == params["TZID"])
    first = local(value)
    return [to_utc(zone, datetime.combine(day, first.time())) for day in days if day >= first.date()]


def medicine(tz: str, start: date, at=time(8, 0), until=None):
    starts = datetime.combine(start, at, tzinfo=ZoneInfo(tz))
    return SimpleNamespace(id=7, timezone=tz, starts_at=starts.astimezone(UTC), title="Kardégic",
                           notes="au petit-déjeuner", repeat="daily", until_on=until, kind="medicine")


PROFILE = SimpleNamespace(id=3, first_name="Louis")
CHANGES = {"Europe/Paris": [date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30), date(2026, 10, 24),
                            date(2026, 10, 25), date(2026, 10, 26), date(2027, 3, 28), date(2027, 10, 31)],
           "America/New_York": [date(2026, 3, 7), date(2026, 3, 8), date(2026, 10, 31), date(2026, 11, 1)],
           "Australia/Sydney": [date(2026, 4, 4), date(2026, 4, 5), date(2026, 10, 4)],
           "Africa/Casablanca": [date(2026, 2, 14), date(2026, 2, 16), date(2026, 3, 23), date(2027, 6, 1)],
           "Asia/Tokyo": [date(2026, 3, 29), date(2026, 10, 25)]}


@pytest.mark.parametrize("tz", list(CHANGES))
def test_a_daily_medicine_stays_at_8_across_summer_time_changes(app, tz):
    with app.test_request_context():
        event = agenda_ics.reminder_event(medicine(tz, date(2026, 1, 5)), PROFILE, precise=False)
        text = ics.calendar([event])
    cal = parse(text)
    start = children(cal, "VEVENT")[0]["props"]["DTSTART"]
    assert start == ({"TZID": tz}, "20260105T080000")  # local, not UTC
    expected = [datetime.combine(d, time(8, 0), tzinfo=ZoneInfo(tz)).astimezone(UTC) for d in CHANGES[tz]]
    assert daily_times(cal, CHANGES[tz]) == expected


def test_the_last_day_of_a_repeat_is_a_utc_instant_at_the_end_of_the_local_day(app):
    with app.test_request_context():
        rem = medicine("Europe/Paris", date(2026, 3, 1), until=date(2026, 4, 30))
        cal = parse(ics.calendar([agenda_ics.reminder_event(rem, PROFILE, precise=False)]))
    assert children(cal, "VEVENT")[0]["props"]["RRULE"][1] == "FREQ=DAILY;UNTIL=20260430T215959Z"


def test_the_paris_zone_is_written_as_the_yearly_rule():
    vtz = ics.vtimezone("Europe/Paris", 2026)
    assert "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU" in vtz
    assert "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU" in vtz
    assert vtz.count("BEGIN:DAYLIGHT") == vtz.count("BEGIN:STANDARD") == 1


def _item(rule_id="DO_BREAST", day=date(2026, 12, 1)):
    return Item(load_rules()[rule_id], "coming", due_on=day)


@pytest.mark.parametrize("lang,neutral", [("fr", "Rappel santé"), ("en", "Health reminder")])
def test_an_agenda_item_is_neutral_unless_the_name_is_asked_for(app, lang, neutral):
    with app.test_request_context(), force_locale(lang):
        plain = parse(ics.calendar([agenda_ics.item_event(_item(), PROFILE, lang, date(2026, 11, 23),
                                                          precise=False, alarm_at=time(9), url="")]))
        named = parse(ics.calendar([agenda_ics.item_event(_item(), PROFILE, lang, date(2026, 11, 23),
                                                          precise=True, alarm_at=time(9), url="")]))
    event, named_event = children(plain, "VEVENT")[0], children(named, "VEVENT")[0]
    assert event["props"]["SUMMARY"][1] == neutral and "DESCRIPTION" not in event["props"]
    assert named_event["props"]["SUMMARY"][1] == f"{load_rules()['DO_BREAST'].label(lang)} · Louis"
    assert named_event["props"]["DESCRIPTION"][1] == load_rules()["DO_BREAST"].note(lang)


def test_an_all_day_item_rings_at_the_reminder_hour_not_midnight(app):
    with app.test_request_context():
        cal = parse(ics.calendar([agenda_ics.item_event(_item(), PROFILE, "fr", date(2026, 11, 23),
                                                        precise=False, alarm_at=time(9), url="")]))
    event = children(cal, "VEVENT")[0]
    assert event["props"]["DTSTART"] == ({"VALUE": "DATE"}, "20261201")
    alarm = children(event, "VALARM")[0]["props"]
    assert alarm["TRIGGER"][1] == "PT9H0M" and alarm["ACTION"][1] == "DISPLAY"
    assert not children(cal, "VTIMEZONE")  # a date has no time zone


def test_the_reminder_hour_follows_the_quiet_hours(app, ctx):
    with ctx():
        user = accounts.register("h@example.fr", None, "Hélène Roux", locale="fr", cost=(1, 1024))
        assert agenda_ics.reminder_hour(user.id) == time(9, 0)  # no settings yet: 9:00, nothing created
        assert db.session.query(ReminderPreference).count() == 0
        db.session.add(ReminderPreference(user_id=user.id, muted_profiles="", quiet_start=21 * 60,
                                          quiet_end=10 * 60 + 30, prevention_leads="0",
                                          appointment_leads="0"))
        db.session.flush()
        assert agenda_ics.reminder_hour(user.id) == time(10, 30)
        db.session.rollback()
