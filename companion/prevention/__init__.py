"""The prevention rules as data (rules.csv, with source and the date each row was checked).

`load_rules()` validates the whole file and raises RuleError on anything odd (unknown column, bad age,
interval or date), so a bad edit stops the app at start-up instead of showing a wrong agenda.
"""

import csv
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

RULES_FILE = Path(__file__).with_name("rules.csv")
COLUMNS = ("rule_id", "kind", "label_fr", "label_en", "sex", "min_age", "max_age", "interval",
           "schedule_note", "status", "source", "verified", "after", "season", "checked")
KINDS = ("vaccine", "screening", "checkup", "dental")
SEXES = ("all", "F", "M")
AGE_RE = re.compile(r"^(\d{1,3})([my])$")
INTERVAL_RE = re.compile(r"^P(\d{1,2})([YM])$")
AFTER_RE = re.compile(r"^([A-Z0-9_]+)\+(\d{1,2})([my])$")
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
    note: str
    status: str
    source: str
    verified: str
    after: tuple[str, int] | None  # (rule id, months)
    season: tuple[tuple[int, int], tuple[int, int]] | None
    checked: date

    def label(self, lang: str) -> str:
        return self.label_fr if lang == "fr" else self.label_en

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


def _after(text: str, rid: str):
    if not text:
        return None
    m = AFTER_RE.match(text)
    if not m:
        raise RuleError(f"{rid}: bad after {text!r} (expected RULE+2m)")
    return m[1], int(m[2]) * (12 if m[3] == "y" else 1)


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
    if not re.match(r"^[A-Z0-9_]+$", rid):
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
    return Rule(
        id=rid, kind=row["kind"], label_fr=row["label_fr"], label_en=row["label_en"], sex=row["sex"],
        min_months=low[0] if low else None, max_months=high[0] if high else None,
        max_unit=high[1] if high else "", min_unit=low[1] if low else "",
        interval_months=_interval(row["interval"], rid),
        note=row["schedule_note"], status=row["status"], source=row["source"], verified=row["verified"],
        after=_after(row["after"], rid), season=_season(row["season"], rid),
        checked=_checked(row["checked"], rid),
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
    for rule in rules.values():
        if rule.after and rule.after[0] not in rules:
            raise RuleError(f"{rule.id}: after names an unknown rule {rule.after[0]}")
    if not rules:
        raise RuleError("rules.csv is empty")
    return rules


@lru_cache(maxsize=1)
def load_rules() -> dict[str, Rule]:
    with RULES_FILE.open(encoding="utf-8", newline="") as fh:
        return parse(fh)
