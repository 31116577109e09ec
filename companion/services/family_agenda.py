"""The family agenda: what is due for everyone an account manages or helps, on one page.

One list per person (own profile, children, people helped with the agenda scope), each with a colour
kind: a caregiver's people have the "acting for" colour of the caregiver banner. Reads are written to
each helped person's access log exactly as opening their agenda is: one entry per profile per view
(`record_reads`), and the service worker's background copy as a copy, not an opening.

Loads every person's history and personal reminders in two statements, whatever the number of people."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models.account import User
from ..models.agenda import AgendaItem, PersonalReminder
from ..prevention import load_rules
from . import agenda_store, audit
from .access import Access
from .agenda import History, Item, add_months, agenda

SOON_DAYS = 30  # what is coming within this many days is listed under "soon"
PERSONAL_DAYS = 7  # appointments and medicines of the coming week


@dataclass
class Person:
    access: Access
    kind: str  # own | child | helped | parent (their teen shares part of the profile)
    due: list[Item] = field(default_factory=list)
    soon: list[Item] = field(default_factory=list)
    personal: list[tuple[datetime, PersonalReminder]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.due) + len(self.soon) + len(self.personal)


def kind_of(access: Access, user: User) -> str:
    if access.role == "caregiver":
        return "helped"
    if access.role == "parent":
        return "parent"
    return "own" if access.profile.user_id == user.id else "child"


def with_agenda(accesses: list[Access]) -> list[Access]:
    return [a for a in accesses if a.allows("agenda")]


def _histories(profile_ids: list[int]) -> dict[int, dict[str, History]]:
    found: dict[int, dict[str, History]] = defaultdict(dict)
    for r in db.session.scalars(select(AgendaItem).where(AgendaItem.profile_id.in_(profile_ids))):
        found[r.profile_id][r.rule_id] = History(r.done_on, r.snoozed_until, r.dismissed_at is not None,
                                                 r.dismiss_reason)
    return found


def _personal(profile_ids: list[int]) -> dict[int, list[PersonalReminder]]:
    found: dict[int, list[PersonalReminder]] = defaultdict(list)
    for rem in db.session.scalars(select(PersonalReminder).where(
            PersonalReminder.profile_id.in_(profile_ids), PersonalReminder.deleted_at.is_(None))):
        found[rem.profile_id].append(rem)
    return found


def people(accesses: list[Access], user: User, today: date, now: datetime) -> list[Person]:
    """Each person whose agenda this account may read, with what is due now, what comes within
    SOON_DAYS, and the appointments and medicines of the coming week."""
    chosen = with_agenda(accesses)
    ids = [a.profile.id for a in chosen]
    if not ids:
        return []
    histories, personal, rules = _histories(ids), _personal(ids), load_rules()
    soon_limit = min(today + timedelta(days=SOON_DAYS), add_months(today, 12))
    result = []
    for access in chosen:
        person = Person(access, kind_of(access, user))
        items = agenda(agenda_store.facts_of(access.profile), rules, histories.get(access.profile.id, {}),
                       today)
        person.due = [it for it in items if it.actionable]
        person.soon = [it for it in items if it.status in ("coming", "snoozed") and it.remind_on is not None
                       and it.remind_on <= soon_limit]
        until = now + timedelta(days=PERSONAL_DAYS)
        person.personal = sorted(((at, rem) for rem in personal.get(access.profile.id, [])
                                  for at in agenda_store.occurrences(rem, now, until, limit=14)),
                                 key=lambda pair: pair[0])
        result.append(person)
    return result


def record_reads(accesses: list[Access], actor: User, *, copy: bool) -> int:
    """One access-log entry per helped person for this view (owners' own reads are not logged); the
    worker's background copy for offline use is logged as a copy. Returns how many were written."""
    action = "agenda.copied_offline" if copy else "agenda.view"
    return sum(audit.record_access(a, actor, action) is not None for a in with_agenda(accesses))
