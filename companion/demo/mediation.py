"""Demo: the France Services site of Guéret, its mediator, and a few finished and unfinished sessions."""

from datetime import timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models.onboarding import AssistedSession, AssistedStep, Structure
from ..models.types import utcnow

ORDER = 50
NAME = "France Services de Guéret"

# (days ago, person key or None, steps done, steps skipped, ended)
SESSIONS = [
    (30, "nadia", ("account", "key", "recovery", "profile", "reminders", "document"), ("family",), True),
    (23, "louis", ("account", "key", "recovery", "profile"), ("family", "reminders"), True),
    (16, None, ("account", "key"), ("recovery",), True),
    (9, None, ("account",), (), True),
    (2, None, ("account", "key", "recovery", "profile", "reminders"), ("family",), True),
]


def seed(ctx) -> list[str]:
    structure = db.session.scalar(select(Structure).where(Structure.name == NAME))
    if structure is None:
        structure = Structure(name=NAME, commune_code="23096")
        db.session.add(structure)
        db.session.flush()
    mediator = ctx.users.get("mediator")
    if mediator is None:
        return ["Mediation: no mediator account, skipped"]
    mediator.structure_id = structure.id
    structure.lead_id = mediator.id
    already = db.session.scalar(select(func.count(AssistedSession.id))
                                .where(AssistedSession.structure_id == structure.id))
    if not already:
        _sessions(ctx, structure, mediator)
    db.session.flush()
    return [f"Mediation: {NAME} (23096), mediator {mediator.email} (lead), {len(SESSIONS)} help sessions"]


def _sessions(ctx, structure, mediator) -> None:
    now = utcnow()
    for days, person_key, done, skipped, ended in SESSIONS:
        at = now - timedelta(days=days)
        person = ctx.users.get(person_key) if person_key else None
        sess = AssistedSession(structure_id=structure.id, mediator_id=mediator.id,
                               person_id=person.id if person else None, code_hash=None,
                               code_expires_at=at + timedelta(minutes=15), created_at=at,
                               claimed_at=at + timedelta(minutes=1), consent_at=at + timedelta(minutes=2),
                               expires_at=at + timedelta(hours=1), ended_by="mediator" if ended else "",
                               ended_at=at + timedelta(minutes=40) if ended else None)
        for i, name in enumerate(done):
            step_at = at + timedelta(minutes=5 + i)
            sess.steps.append(AssistedStep(name=name, status="done", recorded_at=step_at))
        for name in skipped:
            sess.steps.append(AssistedStep(name=name, status="skipped", recorded_at=at))
        db.session.add(sess)
