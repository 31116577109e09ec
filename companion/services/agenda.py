"""The prevention agenda engine: profile facts + rules + history + a date -> items.

Pure on purpose (no database, no Flask): the table-driven tests run it directly, and the same code
answers the page, the reminders and the timeline.

Statuses, in the order a person should look at them:
- overdue: late (infant doses a month after their date; a recurring item 3 months after its date;
  an adult vaccine whose age window closed less than 5 years ago, to catch up, unless the calendar
  makes its upper age a hard stop);
- due: the window is open now;
- snoozed: put off until a date;
- coming: opens later (with the date it opens);
- done: with the date, and for recurring items the next due date;
- not_for_me: dismissed, with an optional reason;
- passed: the window closed (a check-up at 45-50 when you are 53);
- not_recommended: past a hard upper age (HPV catch-up after 26, rule column hard_max), or a later dose
  of a series whose first dose is past that age: never late, never reminded;
- not_applicable: other sex, or situational (pregnancy), or no birth date.

Everything specific to one vaccine or screening lives in the rules data (prevention/__init__.py says
what each column means): this module only knows windows, series, links and fixed ages.
"""

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..prevention import Rule

STATUSES = ("overdue", "due", "snoozed", "coming", "done", "not_for_me", "passed", "not_recommended",
            "not_applicable")
ACTIONABLE = ("overdue", "due")
CHILD_GRACE_MONTHS = 1
RECURRING_GRACE_MONTHS = 3
CATCH_UP_MONTHS = 60  # soft upper ages only (hard_max empty): a missed dTPolio booster of 65 at 67
# Infant doses without an upper age: beyond 2 years it is a catch-up to discuss with the doctor.
CHILD_WINDOW_MONTHS = 24


@dataclass(frozen=True)
class Facts:
    birth_date: date | None
    sex: str | None


@dataclass(frozen=True)
class History:
    done_on: date | None = None
    snoozed_until: date | None = None
    dismissed: bool = False
    reason: str = ""


@dataclass(frozen=True)
class Item:
    rule: Rule
    status: str
    opens_on: date | None = None  # when the age window opens
    closes_on: date | None = None  # first day it is closed
    due_on: date | None = None  # the date this item is (or was) due
    done_on: date | None = None
    next_due_on: date | None = None  # recurring items once done
    snoozed_until: date | None = None
    reason: str = ""
    waits_for: str | None = None  # an earlier dose that must be done first
    covered_by: str | None = None  # done_on is the date this other item was done (rule column covered_by)

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def actionable(self) -> bool:
        return self.status in ACTIONABLE

    @property
    def remind_on(self) -> date | None:
        """The date reminders count from, or None when there is nothing to remind."""
        if self.status == "snoozed":
            return self.snoozed_until
        if self.status == "done":
            return self.next_due_on
        if self.status in ("coming", "due", "overdue"):
            return self.due_on
        return None


def add_months(d: date, months: int) -> date:
    """Same day `months` later; the 31st or 29 February falls back to the month's last day."""
    total = d.year * 12 + d.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def age_window(rule: Rule, birth: date) -> tuple[date, date | None]:
    assert rule.min_months is not None, "a rule without an age is not_applicable before its window is asked"
    opens = add_months(birth, rule.min_months)
    if rule.max_months is not None:
        return opens, add_months(birth, rule.max_months + (12 if rule.max_unit == "y" else 1))
    if rule.childhood and not rule.interval_months:
        return opens, add_months(birth, max(CHILD_WINDOW_MONTHS, rule.min_months + 12))
    return opens, None


def _season_dates(rule: Rule, year: int) -> tuple[date, date]:
    assert rule.season is not None, "only seasonal rules have campaign dates"
    (sm, sd), (em, ed) = rule.season
    start = date(year, sm, sd)
    end_year = year + 1 if (em, ed) < (sm, sd) else year
    end = date(end_year, em, min(ed, calendar.monthrange(end_year, em)[1]))
    return start, end  # end inclusive


def season_containing(rule: Rule, day: date) -> tuple[date, date] | None:
    for year in (day.year - 1, day.year):
        start, end = _season_dates(rule, year)
        if start <= day <= end:
            return start, end
    return None


def next_season_start(rule: Rule, after: date) -> date:
    """The first campaign start strictly after `after`."""
    for year in (after.year, after.year + 1):
        start, _ = _season_dates(rule, year)
        if start > after:
            return start
    raise AssertionError("unreachable")


def _next_after_done(rule: Rule, done: date, birth: date) -> date | None:
    if rule.ages:  # fixed ages: the next birthday of the list, however late the last one was done
        return next((day for day in (add_months(birth, m) for m in rule.ages) if day > done), None)
    if not rule.interval_months:
        return None
    if rule.season:
        return next_season_start(rule, done)
    return add_months(done, rule.interval_months)


def _base_due(rule: Rule, opens: date, done_map: dict[str, date]) -> tuple[date, str | None]:
    due = opens
    for prev_id, gap in rule.after:
        prev_done = done_map.get(prev_id)
        if prev_done is not None:
            due = max(due, add_months(prev_done, gap))
        elif rule.childhood or rule.follows:
            # A dose waits for the one before it; other links (the HPV test after the last cytology)
            # only shift the date when that one is known.
            return due, prev_id
    return due, None


def _last_done(rule: Rule, history: History, done_map: dict[str, date]) -> tuple[date | None, str | None]:
    """The latest date this item counts as done: its own, or that of an item covering it (the
    adolescent HPV dose covers the catch-up; the second cytology restarts the 3-year clock)."""
    last, by = history.done_on, None
    for other in rule.covered_by:
        day = done_map.get(other)
        if day is not None and (last is None or day > last):
            last, by = day, other
    return last, by


def _status(rule: Rule, today: date, due: date, closes: date | None,
            recurring_done: bool) -> tuple[str, date]:
    if closes is not None and today >= closes:
        if rule.hard_max:
            return "not_recommended", due
        late = rule.kind == "vaccine" and not rule.childhood and today < add_months(closes, CATCH_UP_MONTHS)
        return ("overdue" if late else "passed"), due
    if rule.season:
        in_season = season_containing(rule, today)
        if today < due or in_season is None:
            if today < due:  # opens later: on that day if a campaign is running then
                start = due if season_containing(rule, due) else next_season_start(rule, due)
            else:
                start = next_season_start(rule, today)
            if closes is not None and start >= closes:
                return "passed", due
            return "coming", start
        due = max(due, in_season[0])
        if recurring_done and today >= add_months(due, RECURRING_GRACE_MONTHS):
            return "overdue", due
        return "due", due
    if today < due:
        return "coming", due
    if rule.childhood and today >= add_months(due, CHILD_GRACE_MONTHS):
        return "overdue", due
    if recurring_done and today >= add_months(due, RECURRING_GRACE_MONTHS):
        return "overdue", due
    return "due", due


def evaluate(rule: Rule, facts: Facts, history: History, today: date, done_map: dict[str, date],
             earlier: dict[str, Item] | None = None) -> Item:
    """One rule for one person. `earlier` holds the items of the rows above (file order), so a dose
    whose previous dose is no longer recommended is not recommended either."""
    if facts.birth_date is None or rule.min_months is None:
        return Item(rule, "not_applicable")
    if rule.sex != "all" and facts.sex != rule.sex:
        return Item(rule, "not_applicable")
    opens, closes = age_window(rule, facts.birth_date)
    last, covered_by = _last_done(rule, history, done_map)
    common: dict[str, Any] = {"opens_on": opens, "closes_on": closes, "done_on": last,
                              "covered_by": covered_by}
    if history.dismissed:
        return Item(rule, "not_for_me", reason=history.reason, **common)
    due, waits_for = _base_due(rule, opens, done_map)
    if last is not None:
        nxt = _next_after_done(rule, last, facts.birth_date)
        if nxt is None or (closes is not None and nxt >= closes) or today < nxt:
            return Item(rule, "done", next_due_on=nxt if nxt and (closes is None or nxt < closes) else None,
                        due_on=due, **common)
        due = nxt
    if waits_for is not None:
        before = (earlier or {}).get(waits_for)
        if before is not None and before.status == "not_recommended":
            return Item(rule, "not_recommended", **common)
        if closes is None or today < closes:
            return Item(rule, "coming", due_on=None, waits_for=waits_for, **common)
    status, due = _status(rule, today, due, closes, last is not None)
    if status in ACTIONABLE and history.snoozed_until and today < history.snoozed_until:
        return Item(rule, "snoozed", due_on=due, snoozed_until=history.snoozed_until, **common)
    return Item(rule, status, due_on=due, **common)


def agenda(facts: Facts, rules: dict[str, Rule], history: dict[str, History], today: date) -> list[Item]:
    """Every rule evaluated for this person at `today`, sorted by status then date."""
    done_map = {rid: h.done_on for rid, h in history.items() if h.done_on is not None}
    evaluated: dict[str, Item] = {}
    for rule in rules.values():  # file order: a dose is evaluated after the dose it follows
        own = history.get(rule.id, History())
        evaluated[rule.id] = evaluate(rule, facts, own, today, done_map, evaluated)
    items = list(evaluated.values())
    order = {s: i for i, s in enumerate(STATUSES)}
    return sorted(items, key=lambda it: (order[it.status], it.due_on or it.opens_on or date.max, it.rule.id))


def age_on(birth: date, day: date) -> tuple[int, int]:
    """(years, months) of age on `day`."""
    months = (day.year - birth.year) * 12 + day.month - birth.month - (day.day < birth.day)
    return divmod(max(months, 0), 12)
