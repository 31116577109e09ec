"""Demo agendas: Léa (an infant of 4 months), Claire (52) and Louis (67) with some items done, one late
dose, and personal appointments. Skips any profile another area has not created."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..extensions import db
from ..models.agenda import AgendaItem, PersonalReminder

ORDER = 40
PARIS = ZoneInfo("Europe/Paris")
CAST = {  # key: (birth date, sex) as in the briefing, set only when the profiles seed has not
    "claire": (date(1974, 3, 12), "F"), "louis": (date(1959, 5, 4), "M"), "lea": (date(2026, 7, 10), "F"),
}
DONE = {
    "lea": {"NRS_HEXA_1": date(2026, 9, 12), "NRS_PCV_1": date(2026, 9, 12), "NRS_ROTA": date(2026, 9, 12)},
    "claire": {"DO_COLORECTAL": date(2025, 3, 14), "DO_CERVICAL_HPV": date(2024, 2, 1)},
    "louis": {"ADU_DTP_65": date(2024, 6, 10), "ADU_FLU": date(2025, 10, 20),
              "DO_COLORECTAL": date(2025, 1, 8)},
}
APPOINTMENTS = {  # key: (title, days from today, local time, kind, repeat)
    "louis": [("Cardiologue, Dr Morel", 3, time(10, 30), "appointment", ""),
              ("Kardégic", 0, time(8, 0), "medicine", "daily")],
    "lea": [("Pédiatre : visite des 4 mois", 6, time(16, 0), "appointment", "")],
}


def _done(profile, rule_id: str, day: date, owner_id: int | None) -> None:
    row = db.session.scalar(select(AgendaItem).where(AgendaItem.profile_id == profile.id,
                                                     AgendaItem.rule_id == rule_id))
    if row is None:
        db.session.add(AgendaItem(profile_id=profile.id, rule_id=rule_id, done_on=day, dismiss_reason="",
                                  done_at=datetime.now(UTC), updated_by_id=owner_id))


def _appointment(profile, title, days, at, kind, repeat, owner_id) -> None:
    exists = db.session.scalar(select(PersonalReminder.id).where(
        PersonalReminder.profile_id == profile.id, PersonalReminder.title == title))
    if exists is None:
        day = datetime.now(PARIS).date() + timedelta(days=days)
        db.session.add(PersonalReminder(profile_id=profile.id, kind=kind, title=title, notes="",
                                        starts_at=datetime.combine(day, at, tzinfo=PARIS),
                                        timezone="Europe/Paris", repeat=repeat, created_by_id=owner_id))


def seed(ctx) -> list[str]:
    lines = ["Prevention agendas"]
    for key, (birth, sex) in CAST.items():
        profile = ctx.profiles.get(key)
        if profile is None:
            continue
        if profile.birth_date is None:
            profile.birth_date, profile.sex = birth, sex
        owner = ctx.users.get("claire" if key == "lea" else key)
        owner_id = owner.id if owner else None
        for rule_id, day in DONE.get(key, {}).items():
            _done(profile, rule_id, day, owner_id)
        for title, days, at, kind, repeat in APPOINTMENTS.get(key, []):
            _appointment(profile, title, days, at, kind, repeat, owner_id)
        lines.append(f"  {profile.full_name}: /p/{profile.id}/agenda")
    db.session.flush()
    return lines
