"""The prevention agenda engine: profile facts + rules + history + a date -> items.

Pure on purpose (no database, no Flask): the table-driven tests run it directly, and the same code
answers the page, the reminders and the timeline.

Statuses, in the order a person should look at them:
- overdue: late (infant doses a month after their date; a recurring item 3 months after its date;
  an adult vaccine whose age window closed less than 5 years ago, to catch up);
- due: the window is open now;
- snoozed: put off until a date;
- coming: opens later (with the date it opens);
- done: with the date, and for recurring items the next due date;
- not_for_me: dismissed, with an optional reason;
- passed: the window closed (a check-up at 45-50 when you are 53);
- not_applicable: other sex, or situational (pregnancy), or no birth date.
"""

import calendar
from dataclasses import dataclass
from datetime import date

from ..prevention import Rule

STATUSES = ("overdue", "due", "snoozed", "coming", "done", "not_for_me", "passed", "not_applicable")
ACTIONABLE = ("overdue", "due")
CHILD_GRACE_MONTHS = 1
RECURRING_GRACE_MONTHS = 3
CATCH_UP_MONTHS = 60
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
    opens = add_months(birth, rule.min_months)
    if rule.max_months is not None:
        return opens, add_months(birth, rule.max_months + (12 if rule.max_unit == "y" else 1))
    if rule.childhood and not rule.interval_months:
        return opens, add_months(birth, max(CHILD_WINDOW_MONTHS, rule.min_months + 12))
    return opens, None


def _season_dates(rule: Rule, year: int) -> tuple[date, date]:
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


def _next_after_done(rule: Rule, done: date) -> date | None:
    if not rule.interval_months:
        return None
    if rule.season:
        return next_season_start(rule, done)
    return add_months(done, rule.interval_months)


def _base_due(rule: Rule, opens: date, done_map: dict[str, date]) -> tuple[date, str | None]:
    if not rule.after:
        return opens, None
    prev_id, gap = rule.after
    prev_done = done_map.get(prev_id)
    if prev_done is None:
        # Infant doses wait for the previous one; other links only shift the date when known.
        return opens, (prev_id if rule.childhood else None)
    return max(opens, add_months(prev_done, gap)), None


def _status(rule: Rule, today: date, due: date, closes: date | None,
            recurring_done: bool) -> tuple[str, date]:
    if closes is not None and today >= closes:
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


def evaluate(rule: Rule, facts: Facts, history: History, today: date, done_map: dict[str, date]) -> Item:
    if facts.birth_date is None or rule.min_months is None:
        return Item(rule, "not_applicable")
    if rule.sex != "all" and facts.sex != rule.sex:
        return Item(rule, "not_applicable")
    opens, closes = age_window(rule, facts.birth_date)
    common = {"opens_on": opens, "closes_on": closes, "done_on": history.done_on}
    if history.dismissed:
        return Item(rule, "not_for_me", reason=history.reason, **common)
    due, waits_for = _base_due(rule, opens, done_map)
    if history.done_on is not None:
        nxt = _next_after_done(rule, history.done_on)
        if nxt is None or (closes is not None and nxt >= closes) or today < nxt:
            return Item(rule, "done", next_due_on=nxt if nxt and (closes is None or nxt < closes) else None,
                        due_on=due, **common)
        due = nxt
    if waits_for is not None and (closes is None or today < closes):
        return Item(rule, "coming", due_on=None, waits_for=waits_for, **common)
    status, due = _status(rule, today, due, closes, history.done_on is not None)
    if status in ACTIONABLE and history.snoozed_until and today < history.snoozed_until:
        return Item(rule, "snoozed", due_on=due, snoozed_until=history.snoozed_until, **common)
    return Item(rule, status, due_on=due, **common)


def agenda(facts: Facts, rules: dict[str, Rule], history: dict[str, History], today: date) -> list[Item]:
    """Every rule evaluated for this person at `today`, sorted by status then date."""
    done_map = {rid: h.done_on for rid, h in history.items() if h.done_on is not None}
    items = [evaluate(rule, facts, history.get(rule.id, History()), today, done_map)
             for rule in rules.values()]
    order = {s: i for i, s in enumerate(STATUSES)}
    return sorted(items, key=lambda it: (order[it.status], it.due_on or it.opens_on or date.max, it.rule.id))


def age_on(birth: date, day: date) -> tuple[int, int]:
    """(years, months) of age on `day`."""
    months = (day.year - birth.year) * 12 + day.month - birth.month - (day.day < birth.day)
    return divmod(max(months, 0), 12)
