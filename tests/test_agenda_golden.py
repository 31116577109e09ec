"""The golden table (tests/golden_agenda.py) run against the engine and the real rules file."""

from datetime import date

import pytest

from companion.prevention import load_rules
from companion.services.agenda import Facts, History, add_months, agenda

from .golden_agenda import CASES, D

CATEGORIES = ("late", "due", "upcoming", "done_items", "not_recommended")


def categorise(items, today: date) -> dict[str, set[str]]:
    got = {name: set() for name in CATEGORIES}
    soon = add_months(today, 12)
    for it in items:
        if it.status == "overdue":
            got["late"].add(it.id)
        elif it.status in ("due", "done", "not_recommended"):
            got[{"done": "done_items"}.get(it.status, it.status)].add(it.id)
        elif it.status == "coming" and (it.due_on or it.opens_on) <= soon:
            got["upcoming"].add(it.id)
    return got


def test_the_table_is_big_enough_and_every_case_says_where_it_comes_from():
    assert len(CASES) >= 40 and len({c.key for c in CASES}) == len(CASES)
    for case in CASES:
        assert any(code in case.source for code in ("S1", "S2", "S3", "P", "M1", "M2", "M3", "B1", "D1"))
        named = {rid for cat in CATEGORIES for rid in getattr(case, cat).split()} | set(case.done)
        assert named <= set(load_rules()), case.key


@pytest.mark.parametrize("case", CASES, ids=[c.key for c in CASES])
def test_golden_agenda(case):
    history = {rid: History(done_on=D(day)) for rid, day in case.done.items()}
    today = D(case.today)
    items = agenda(Facts(D(case.birth), case.sex), load_rules(), history, today)
    expected = {cat: set(getattr(case, cat).split()) for cat in CATEGORIES}
    assert categorise(items, today) == expected, case.source
    by_id = {it.id: it for it in items}
    for rid, day in case.next_due.items():
        assert by_id[rid].next_due_on == D(day), rid


@pytest.mark.parametrize("case", CASES, ids=[c.key for c in CASES])
def test_nothing_no_longer_recommended_is_ever_reminded(case):
    history = {rid: History(done_on=D(day)) for rid, day in case.done.items()}
    for it in agenda(Facts(D(case.birth), case.sex), load_rules(), history, D(case.today)):
        if it.status == "not_recommended":
            assert it.remind_on is None and not it.actionable
