"""Incremental planning: which profiles the next planning round must look at.

A profile is planned again only when something planning reads has changed since its last round:
- its own data (agenda items, personal reminders, the profile itself, its owners and caregivers),
- the settings of an account that manages it (reminder preferences, devices, time zone),
- the prevention rules (a digest of rules.csv is kept with each mark),
- or the planning window moved on (`planned_until` passed).

Changes made through the ORM are caught by one flush listener, so a new view or service that edits
these rows needs no call here; bulk statements outside the ORM call `forget_profiles`/`forget_users`.
"""

import hashlib
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, event, inspect, select
from sqlalchemy.orm import Session

from ..models.account import User
from ..models.agenda import AgendaItem, PersonalReminder, PlanMark, ReminderPreference
from ..models.delegation import Delegation
from ..models.profile import Profile, ProfileOwner
from ..models.push import PushSubscription
from ..prevention import RULES_FILE

# A profile is planned again at least this often: a reminder enters the horizon day by day.
REPLAN_EVERY = timedelta(days=1)

BY_PROFILE = (AgendaItem, PersonalReminder, Delegation, ProfileOwner)
BY_USER = (ReminderPreference, PushSubscription)


@cache
def rules_digest() -> str:
    """Changes when the rules change (a deploy), which plans every profile again once."""
    return hashlib.sha256(RULES_FILE.read_bytes()).hexdigest()


def profiles_of_users(user_ids):
    """The profiles these accounts manage, as owners or caregivers (a SELECT to use in IN)."""
    return select(ProfileOwner.profile_id).where(ProfileOwner.user_id.in_(user_ids)).union(
        select(Delegation.profile_id).where(Delegation.caregiver_id.in_(user_ids)))


def stale(now: datetime):
    """The condition for a profile to plan: no mark, an old window or other rules."""
    fresh = select(PlanMark.profile_id).where(PlanMark.planned_until > now,
                                              PlanMark.rules_digest == rules_digest())
    return Profile.id.not_in(fresh)


def mark(session, profile_ids: list[int], now: datetime) -> None:
    """These profiles are planned as of `now`. An upsert in id order, so two planners marking the
    same profiles neither collide on the key nor deadlock."""
    from .reminders import upsert

    table = PlanMark.__table__
    for start in range(0, len(profile_ids), 500):
        rows = [{"profile_id": pid, "planned_until": now + REPLAN_EVERY, "rules_digest": rules_digest()}
                for pid in sorted(profile_ids)[start:start + 500]]
        stmt = upsert(table).values(rows)
        session.execute(stmt.on_conflict_do_update(index_elements=["profile_id"], set_={
            "planned_until": stmt.excluded.planned_until, "rules_digest": stmt.excluded.rules_digest}))


def forget_profiles(connection, profile_ids) -> None:
    if profile_ids:
        connection.execute(delete(PlanMark).where(PlanMark.profile_id.in_(list(profile_ids))))


def forget_users(connection, user_ids) -> None:
    if user_ids:
        ids = list(user_ids)
        connection.execute(delete(PlanMark).where(PlanMark.profile_id.in_(profiles_of_users(ids))))


def _touched(session: Session) -> tuple[set[int], set[int]]:
    profiles, users = set(), set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, BY_PROFILE):
            profiles.add(obj.profile_id)
        elif isinstance(obj, Profile):
            profiles.add(obj.id)
        elif isinstance(obj, BY_USER):
            users.add(obj.user_id)
        elif isinstance(obj, User) and inspect(obj).attrs.timezone.history.has_changes():
            users.add(obj.id)  # only the time zone matters to planning, not a login time
    return {p for p in profiles if p}, {u for u in users if u}


@event.listens_for(Session, "after_flush")
def _forget_changed(session: Session, _context) -> None:
    profiles, users = _touched(session)
    if profiles or users:
        connection = session.connection()
        forget_profiles(connection, profiles)
        forget_users(connection, users)
