"""The demo agendas against the rule table, the timeline picture and its words, the .ics format (which
a title cannot break)."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from companion.demo import DemoContext
from companion.demo import agenda as demo_agenda
from companion.extensions import db
from companion.models.agenda import AgendaItem, PersonalReminder
from companion.prevention import load_rules
from companion.services import accounts, agenda_store, ics, timeline
from companion.services.agenda import Facts, History, agenda

from .cast import make_person, make_profile

DAY = date(2026, 11, 23)


def _world():
    """Claire and Louis with their accounts, and Léa's profile, as the demo's accounts seed leaves them."""
    ctx = DemoContext()
    for key in ("claire", "louis"):
        ctx.users[key] = make_person(key, password=None, locale="fr")
        ctx.profiles[key] = accounts.own_profile(ctx.users[key])
    ctx.profiles["lea"] = make_profile(None, "Léa", "Martin")
    return ctx


def test_demo_agendas_follow_the_rule_table_and_seeding_twice_changes_nothing(app, ctx):
    with ctx():
        world = _world()
        demo_agenda.seed(world)
        demo_agenda.seed(world)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(AgendaItem)) == 8
        assert db.session.scalar(select(func.count()).select_from(PersonalReminder)) == 3
        st = {key: {it.id: it.status for it in agenda_store.items_for(p, DAY)}
              for key, p in world.profiles.items()}
    assert st["lea"]["NRS_MENB_1"] == "overdue"  # the one late dose
    assert st["lea"]["NRS_HEXA_1"] == "done" and st["lea"]["NRS_HEXA_2"] == "due"
    assert st["claire"]["DO_BREAST"] == "due" and st["claire"]["DO_COLORECTAL"] == "done"
    assert st["claire"]["MBP_45_50"] == "passed"
    assert st["louis"]["ADU_FLU"] == "due" and st["louis"]["ADU_DTP_65"] == "done"
    assert st["louis"]["ADU_ZOSTER"] == "due" and st["louis"]["ADU_PNEUMO"] == "due"
    overdue = [k for k, items in st.items() for s in items.values() if s == "overdue"]
    assert overdue == ["lea"]


def test_the_timeline_places_done_now_and_coming_on_a_phone_width():
    rules = load_rules()

    history = {"DO_COLORECTAL": History(done_on=date(2025, 3, 14))}
    items = agenda(Facts(date(1974, 3, 12), "F"), rules, history, DAY)
    pic = timeline.layout(items, date(1974, 3, 12), DAY, "fr")
    assert pic.width == 360 and pic.unit == "years"
    assert all(timeline.LEFT <= m.x <= pic.width - timeline.RIGHT for m in pic.marks)
    statuses = {m.status for m in pic.marks}
    assert {"done", "due", "coming"} <= statuses
    done = [m for m in pic.marks if m.status == "done"][0]
    assert done.x < pic.now_x  # the past on the left of "today"
    baby = date(2026, 7, 10)
    infant = timeline.layout(agenda(Facts(baby, "F"), rules, {}, DAY), baby, DAY, "en")
    assert infant.unit == "months" and infant.ticks[-1][1] == "36"


def test_ics_escapes_folds_and_uses_crlf():
    start = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    text = ics.calendar([ics.Event(uid="a@companion", summary="Dentiste, contrôle; " + "é" * 60, start=start,
                                   repeat="weekly", until=date(2027, 1, 1), alarm_minutes=120)],
                        now=start - timedelta(days=1))
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    assert "SUMMARY:Dentiste\\, contrôle\\; " in text and "DTSTART:20261201T093000Z" in text
    assert "RRULE:FREQ=WEEKLY;UNTIL=20270101T235959Z" in text and "TRIGGER:-PT120M" in text


def test_a_lone_carriage_return_cannot_add_a_calendar_property():
    event = ics.Event(uid="u@companion", summary="RDV\rATTENDEE:mailto:x@evil.example",
                      start=date(2030, 1, 2), description="a\r\nb\nc\rd")
    text = ics.calendar([event])
    lines = text.split("\r\n")
    assert not any(line.startswith("ATTENDEE") for line in lines)
    assert "\r" not in text.replace("\r\n", "")
    assert "SUMMARY:RDV\\nATTENDEE:mailto:x@evil.example" in text and "DESCRIPTION:a\\nb\\nc\\nd" in text
