"""The prevention life course as a picture: the layout of a server-rendered SVG (the template draws it)
and the same content in words for screen readers. Infants get a scale in months, others in years."""

from dataclasses import dataclass, field
from datetime import date

from .agenda import Item, add_months, age_on

LANES = ("vaccine", "screening", "checkup", "dental")
WIDTH, LEFT, RIGHT, TOP, LANE_H = 360, 92, 12, 28, 34


@dataclass
class Mark:
    x: float
    y: float
    status: str  # done | due | overdue | coming
    label: str
    when: date


@dataclass
class Layout:
    width: int
    height: int
    unit: str  # months | years
    ticks: list = field(default_factory=list)  # (x, text)
    lanes: list = field(default_factory=list)  # (y, kind)
    bars: list = field(default_factory=list)  # (x1, x2, y) windows of recurring items
    marks: list[Mark] = field(default_factory=list)
    now_x: float = 0.0


def _scale(birth: date, today: date):
    years, _ = age_on(birth, today)
    if years < 3:
        span_months, step, unit = 36, 6, "months"
    else:
        span_months, step, unit = min(100, max(80, years + 15)) * 12, 120, "years"
    inner = WIDTH - LEFT - RIGHT
    end = add_months(birth, span_months)
    total = (end - birth).days

    def x(day: date) -> float:
        return round(LEFT + inner * min(max((day - birth).days, 0), total) / total, 1)

    ticks = [(x(add_months(birth, m)), str(m if unit == "months" else m // 12))
             for m in range(0, span_months + 1, step)]
    return x, ticks, unit, end


def _when(item: Item) -> tuple[str, date | None]:
    if item.status == "done" and item.covered_by:
        return "", None  # its date is the covering item's, which has its own mark
    if item.status == "done":
        return "done", item.done_on
    if item.status in ("due", "overdue", "coming", "snoozed"):
        status = "coming" if item.status == "snoozed" else item.status
        return status, item.snoozed_until or item.due_on or item.opens_on
    return "", None


def layout(items: list[Item], birth: date, today: date, lang: str) -> Layout:
    x, ticks, unit, end = _scale(birth, today)
    lanes = [(TOP + i * LANE_H + LANE_H / 2, kind) for i, kind in enumerate(LANES)]
    lane_y = {kind: y for y, kind in lanes}
    out = Layout(WIDTH, TOP + LANE_H * len(LANES) + 8, unit, ticks, lanes, now_x=x(today))
    for item in items:
        status, when = _when(item)
        if not status or when is None or when > end:
            continue
        y = lane_y[item.rule.kind]
        out.marks.append(Mark(x(when), y, status, item.rule.label(lang), when))
        if item.rule.interval_months and item.closes_on and status != "done":
            out.bars.append((x(item.opens_on), x(item.closes_on), y))
        if status == "done" and item.next_due_on and item.next_due_on <= end:
            out.marks.append(Mark(x(item.next_due_on), y, "coming", item.rule.label(lang), item.next_due_on))
    out.marks.sort(key=lambda m: (m.when, m.label))
    return out
