"""The prevention rules as data (rules.csv, with source and the date each row was checked).

`load_rules()` validates the whole file and raises RuleError on anything odd (unknown column, bad age,
interval, link or date), so a bad edit stops the app at start-up instead of showing a wrong agenda.

Columns (SOURCES.md says the same for the people who edit the file):
- rule_id, kind, label_fr, label_en, sex, status, source, verified, checked: what and where from;
- min_age, max_age: the age window, `2m` or `65y`; max_age is inclusive (14y: before the 15th birthday);
- hard_max: `yes` when the calendar stops at max_age (HPV catch-up at 26, MenACWY at 24): past it the
  item is "no longer recommended", never late and never reminded. Empty: a vaccine missed may still be
  caught up for a while (the dTPolio booster of 65 at 67);
- ages: fixed ages of a booster, `75y;85y;95y`: once done, the next is the next of these ages, whatever
  the age it was done at (done late at 80: next at 85, not 90). Replaces `interval` for such rows;
- interval: `P1Y`, `P2Y`, `P6M`: recurring, counted from the date done; empty means once;
- dose: `n/N`, the n-th of N doses (or steps) of a series. A dose after the first waits for the dose
  named in `after`, and is no longer recommended when that dose is;
- after: `RULE+6m`, several joined by `;`: this item opens no earlier than that long after each named
  item was done (a dose interval, or the HPV test 3 years after the last cytology). Names an earlier row;
- covered_by: rule ids joined by `;` whose being done also counts for this item: a catch-up is covered
  by the dose it catches up on, the 3-year cytology clock restarts at the second cytology;
- note_fr, note_en: the dose note shown under the item, in the page's language;
- season: `MM-DD/MM-DD`, a yearly item only due inside this campaign.
"""

import csv
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

RULES_FILE = Path(__file__).with_name("rules.csv")
COLUMNS = ("rule_id", "kind", "label_fr", "label_en", "sex", "min_age", "max_age", "hard_max", "ages",
           "interval", "dose", "after", "covered_by", "note_fr", "note_en", "status", "source", "verified",
           "season", "checked")
KINDS = ("vaccine", "screening", "checkup", "dental")
SEXES = ("all", "F", "M")
AGE_RE = re.compile(r"^(\d{1,3})([my])$")
INTERVAL_RE = re.compile(r"^P(\d{1,2})([YM])$")
AFTER_RE = re.compile(r"^([A-Z0-9_]+)\+(\d{1,2})([my])$")
DOSE_RE = re.compile(r"^([1-9])/([1-9])$")
ID_RE = re.compile(r"^[A-Z0-9_]+$")
SEASON_RE = re.compile(r"^(\d\d)-(\d\d)/(\d\d)-(\d\d)$")


class RuleError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    label_fr: str
    label_en: str
    sex: str
    min_months: int | None  # age in months at which the window opens
    max_months: int | None  # inclusive: the window closes at max_months + 1 unit
    max_unit: str  # "m" or "y": what "inclusive" means for max_months
    min_unit: str
    interval_months: int | None
    note_fr: str
    note_en: str
    status: str
    source: str
    verified: str
    after: tuple[tuple[str, int], ...]  # (rule id, months) links, all of them apply
    season: tuple[tuple[int, int], tuple[int, int]] | None
    checked: date
    hard_max: bool = False
    ages: tuple[int, ...] = ()  # fixed ages in months, ascending
    dose: tuple[int, int] | None = None  # (n, of N)
    covered_by: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return self.label_fr if lang == "fr" else self.label_en

    def note(self, lang: str) -> str:
        return self.note_fr if lang == "fr" else self.note_en

    @property
    def follows(self) -> bool:
        """A later dose of a series: it waits for the dose before it."""
        return self.dose is not None and self.dose[0] > 1

    @property
    def childhood(self) -> bool:
        """Infant schedules are counted in months and are tight: late means overdue within a month."""
        return self.min_unit == "m"


def _months(text: str, rid: str, col: str) -> tuple[int, str] | None:
    if not text:
        return None
    m = AGE_RE.match(text)
    if not m:
        raise RuleError(f"{rid}: bad {col} {text!r} (expected e.g. 2m or 65y)")
    n, unit = int(m[1]), m[2]
    return (n * 12 if unit == "y" else n), unit


def _interval(text: str, rid: str) -> int | None:
    if not text:
        return None
    m = INTERVAL_RE.match(text)
    if not m or int(m[1]) == 0:
        raise RuleError(f"{rid}: bad interval {text!r} (expected e.g. P1Y, P2Y, P6M)")
    return int(m[1]) * (12 if m[2] == "Y" else 1)


def _after(text: str, rid: str) -> tuple[tuple[str, int], ...]:
    links = []
    for part in filter(None, text.split(";")):
        m = AFTER_RE.match(part)
        if not m:
            raise RuleError(f"{rid}: bad after {text!r} (expected RULE+2m, several joined by ;)")
        links.append((m[1], int(m[2]) * (12 if m[3] == "y" else 1)))
    return tuple(links)


def _ids(text: str, rid: str) -> tuple[str, ...]:
    ids = tuple(filter(None, text.split(";")))
    if not all(ID_RE.match(i) for i in ids):
        raise RuleError(f"{rid}: bad covered_by {text!r} (expected rule ids joined by ;)")
    return ids


def _ages(text: str, rid: str) -> tuple[int, ...]:
    parsed = (_months(part, rid, "ages") for part in filter(None, text.split(";")))
    ages = tuple(age[0] for age in parsed if age is not None)  # never None: empty parts are filtered out
    if list(ages) != sorted(set(ages)):
        raise RuleError(f"{rid}: ages must go up ({text!r})")
    return ages


def _dose(text: str, rid: str) -> tuple[int, int] | None:
    if not text:
        return None
    m = DOSE_RE.match(text)
    if not m or int(m[1]) > int(m[2]):
        raise RuleError(f"{rid}: bad dose {text!r} (expected n/N, e.g. 2/3)")
    return int(m[1]), int(m[2])


def _yes(text: str, rid: str) -> bool:
    if text not in ("", "yes"):
        raise RuleError(f"{rid}: hard_max is yes or empty, not {text!r}")
    return text == "yes"


def _season(text: str, rid: str):
    if not text:
        return None
    m = SEASON_RE.match(text)
    if not m:
        raise RuleError(f"{rid}: bad season {text!r} (expected MM-DD/MM-DD)")
    start, end = (int(m[1]), int(m[2])), (int(m[3]), int(m[4]))
    for month, day in (start, end):
        date(2024, month, day)  # raises on 02-30
    return start, end


def _checked(text: str, rid: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RuleError(f"{rid}: bad checked date {text!r}") from None


def parse_row(row: dict) -> Rule:
    rid = row.get("rule_id") or ""
    if not ID_RE.match(rid):
        raise RuleError(f"bad rule_id {rid!r}")
    if row["kind"] not in KINDS:
        raise RuleError(f"{rid}: unknown kind {row['kind']!r}")
    if row["sex"] not in SEXES:
        raise RuleError(f"{rid}: unknown sex {row['sex']!r}")
    if not row["label_fr"] or not row["label_en"] or not row["source"]:
        raise RuleError(f"{rid}: labels and source are required")
    low = _months(row["min_age"], rid, "min_age")
    high = _months(row["max_age"], rid, "max_age")
    if low and high and high[0] < low[0]:
        raise RuleError(f"{rid}: max_age is below min_age")
    if row["ages"] and row["interval"]:
        raise RuleError(f"{rid}: give fixed ages or an interval, not both")
    if row["hard_max"] and not high:
        raise RuleError(f"{rid}: hard_max needs a max_age")
    return Rule(
        id=rid, kind=row["kind"], label_fr=row["label_fr"], label_en=row["label_en"], sex=row["sex"],
        min_months=low[0] if low else None, max_months=high[0] if high else None,
        max_unit=high[1] if high else "", min_unit=low[1] if low else "",
        interval_months=_interval(row["interval"], rid),
        note_fr=row["note_fr"], note_en=row["note_en"], status=row["status"], source=row["source"],
        verified=row["verified"], after=_after(row["after"], rid), season=_season(row["season"], rid),
        checked=_checked(row["checked"], rid), hard_max=_yes(row["hard_max"], rid),
        ages=_ages(row["ages"], rid), dose=_dose(row["dose"], rid), covered_by=_ids(row["covered_by"], rid),
    )


def parse(lines) -> dict[str, Rule]:
    reader = csv.DictReader(lines)
    if tuple(reader.fieldnames or ()) != COLUMNS:
        unknown = set(reader.fieldnames or ()) ^ set(COLUMNS)
        raise RuleError(f"rules.csv columns differ from the expected ones: {sorted(unknown) or 'order'}")
    rules: dict[str, Rule] = {}
    for row in reader:
        if None in row or any(v is None for v in row.values()):
            raise RuleError(f"{row.get('rule_id')}: wrong number of fields")
        rule = parse_row(row)
        if rule.id in rules:
            raise RuleError(f"{rule.id}: duplicate rule")
        rules[rule.id] = rule
    _check_links(rules)
    if not rules:
        raise RuleError("rules.csv is empty")
    return rules


def _check_links(rules: dict[str, Rule]) -> None:
    """`after` must name a row above (the engine evaluates in file order, so a dose sees the dose before
    it); `covered_by` any row but itself; a later dose must say which dose it follows."""
    seen: set[str] = set()
    for rule in rules.values():
        for prev, _gap in rule.after:
            if prev not in rules:
                raise RuleError(f"{rule.id}: after names an unknown rule {prev}")
            if prev not in seen:
                raise RuleError(f"{rule.id}: after names {prev}, which must come above it")
        for other in rule.covered_by:
            if other not in rules or other == rule.id:
                raise RuleError(f"{rule.id}: covered_by names an unknown rule {other}")
        if rule.follows and not rule.after:
            raise RuleError(f"{rule.id}: a later dose needs `after` (the dose it follows)")
        seen.add(rule.id)


@lru_cache(maxsize=1)
def load_rules() -> dict[str, Rule]:
    with RULES_FILE.open(encoding="utf-8", newline="") as fh:
        return parse(fh)
