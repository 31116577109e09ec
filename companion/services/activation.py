"""Activation figures for a structure: people helped per week and how far each step got.
Counts only: nothing here names or identifies a person."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models.onboarding import FUNNEL, AssistedSession, AssistedStep, Structure
from ..models.types import utcnow


@dataclass
class WeekRow:
    week: date  # the Monday
    sessions: int
    steps: dict  # step -> number of sessions where it is done

    @property
    def iso(self) -> str:
        year, week, _ = self.week.isocalendar()
        return f"{year}-W{week:02d}"


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def weekly(structure: Structure, weeks: int = 8, now: datetime | None = None) -> list[WeekRow]:
    """One row per week (oldest first), counting sessions where the person consented."""
    now = now or utcnow()
    first = _monday(now.date()) - timedelta(weeks=weeks - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    rows = {first + timedelta(weeks=i): WeekRow(first + timedelta(weeks=i), 0, dict.fromkeys(FUNNEL, 0))
            for i in range(weeks)}
    sessions = db.session.execute(select(AssistedSession.id, AssistedSession.created_at).where(
        AssistedSession.structure_id == structure.id, AssistedSession.consent_at.is_not(None),
        AssistedSession.created_at >= start)).all()
    week_of = {sid: _monday(created.date()) for sid, created in sessions}
    for sid in week_of:
        rows[week_of[sid]].sessions += 1
    if week_of:
        done = db.session.execute(select(AssistedStep.session_id, AssistedStep.name).where(
            AssistedStep.session_id.in_(list(week_of)), AssistedStep.status == "done")).all()
        for sid, name in done:
            if name in FUNNEL:
                rows[week_of[sid]].steps[name] += 1
    return [rows[k] for k in sorted(rows)]


def funnel(rows: list[WeekRow]) -> list[tuple[str, int]]:
    """Totals over the weeks: people helped, then each step done."""
    totals = [("sessions", sum(r.sessions for r in rows))]
    return totals + [(step, sum(r.steps[step] for r in rows)) for step in FUNNEL]


def csv_lines(rows: list[WeekRow]) -> list[list]:
    header = ["week", "week_start", "people_helped", *FUNNEL]
    return [header] + [[r.iso, r.week.isoformat(), r.sessions, *(r.steps[s] for s in FUNNEL)] for r in rows]
