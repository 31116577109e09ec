"""The database side of one claimed chunk: everything it needs read in a few statements (reminders,
profiles, accounts, who still manages each profile, devices, what was already delivered) and every
answer written back in a few more, whatever the number of messages."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from flask import has_request_context
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Table,
    any_,
    bindparam,
    delete,
    func,
    select,
    tuple_,
    update,
)

from ..extensions import db
from ..models.account import User
from ..models.agenda import Reminder
from ..models.delegation import Delegation
from ..models.profile import Profile, ProfileOwner
from ..models.push import PushDelivery, PushSubscription
from ..models.types import utcnow
from . import digest
from . import push as push_service
from .access import owner_access


def batch_only() -> None:
    """The batch commits itself (a lease protects other runs only once committed; a sent mark must be
    durable before the next network call): it never runs inside a web request's transaction."""
    if has_request_context():
        raise RuntimeError("the reminder batch commits itself: do not run it inside a web request")


def among(column, values) -> ColumnElement[bool]:
    """`column IN values`. On PostgreSQL one array parameter: the statement's text stays the same
    whatever the number of values, so psycopg and the server parse and plan it once per worker
    instead of once per chunk (a list of 200 placeholders cost more than the rows it fetched)."""
    values = list(values)
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def claimed(table: Table, claims) -> ColumnElement[bool]:
    """The rows of these (id, fence) claims, with one array per column on PostgreSQL (see `among`)."""
    pairs = [tuple(c) for c in claims]
    if db.engine.dialect.name == "postgresql":
        given = func.unnest(bindparam(None, [p[0] for p in pairs], type_=ARRAY(Integer)),
                            bindparam(None, [p[1] for p in pairs], type_=ARRAY(Integer))
                            ).table_valued("id", "fence").render_derived()
        return tuple_(table.c.id, table.c.fence).in_(select(given.c.id, given.c.fence))
    return tuple_(table.c.id, table.c.fence).in_(pairs)


def insert_rows(table: Table, values: list[dict]) -> None:
    """Insert many rows in one statement. On PostgreSQL from one array per column (`unnest`), a column
    with the same value in every row (the usual answer, its time) as one plain parameter: the same text
    whatever the number of rows (see `among`), and less to encode. Elsewhere the driver's many-rows insert."""
    if db.engine.dialect.name != "postgresql":
        db.session.execute(table.insert(), values)
        return
    names = list(values[0])
    # At least one array, which gives the number of rows (a single row has no column that varies).
    varying = [n for n in names if any(v[n] != values[0][n] for v in values)] or names[:1]
    arrays = [bindparam(None, [v[n] for v in values], type_=ARRAY(table.c[n].type)) for n in varying]
    given = func.unnest(*arrays).table_valued(*varying).render_derived()
    columns = [given.c[n] if n in varying else bindparam(None, values[0][n], type_=table.c[n].type).label(n)
               for n in names]
    db.session.execute(table.insert().from_select(names, select(*columns)))


def useful_for(kind: str) -> timedelta:
    """How long after its time a message is still worth sending: its TTL at the push service."""
    return timedelta(seconds=push_service.TTL.get(kind, 86400))


@dataclass(frozen=True)
class Message:
    reminder_id: int
    sub: Any  # a plain Row (id, user_id, endpoint, p256dh, auth): its columns are read by name
    body: dict
    kind: str
    topic: str


def managers(profile_ids: list[int], now: datetime) -> dict[int, set[int]]:
    """Who may get each profile's reminders now: owners, and caregivers holding the agenda scope
    (the same rule as access.owner_ids / caregiver_ids, read for the whole chunk at once)."""
    found: dict[int, set[int]] = defaultdict(set)
    for pid, uid, relation, profile in db.session.execute(
            select(ProfileOwner.profile_id, ProfileOwner.user_id, ProfileOwner.relation, Profile)
            .join(Profile).where(among(ProfileOwner.profile_id, profile_ids))):
        # A teen's parents get the agenda's reminders only while the teen lets them see the agenda.
        if owner_access(profile, relation).allows("agenda"):
            found[pid].add(uid)
    grants = db.session.scalars(select(Delegation).where(among(Delegation.profile_id, profile_ids),
                                                         Delegation.is_active(now)))
    for grant in grants:
        # An active grant is accepted, so it has its caregiver: the test only tells the checker so.
        if "agenda" in grant.granted_scopes and grant.caregiver_id is not None:
            found[grant.profile_id].add(grant.caregiver_id)
    return found


def body_key(r) -> tuple:
    """Reminders of one account and profile share their message; a digest has its own."""
    return ("digest", r.id) if r.kind == "digest" else (r.profile_id, r.user_id)


@dataclass
class Chunk:
    reminders: dict  # id -> row (id, user_id, profile_id, kind, attempts, scheduled_at)
    bodies: dict  # (profile_id, user_id) -> payload, or None when that account may no longer get it
    subs: dict  # user_id -> [device rows]
    done: set  # (reminder_id, subscription_id) already delivered
    gone: set = field(default_factory=set)  # devices deleted in this chunk

    @classmethod
    def load(cls, claims, now: datetime) -> "Chunk":
        from .reminders import digest_payload, payload  # the wording lives with the reminders

        ids = [c.id for c in claims]
        rems = {r.id: r for r in db.session.execute(select(
            Reminder.id, Reminder.user_id, Reminder.profile_id, Reminder.kind, Reminder.attempts,
            Reminder.scheduled_at, Reminder.item_ref).where(among(Reminder.id, ids)))}
        named = {r.id: digest.profiles_of(r.item_ref) for r in rems.values() if r.kind == "digest"}
        pids = {r.profile_id for r in rems.values()}.union(*named.values())
        uids = {r.user_id for r in rems.values()}
        profiles = {p.id: p for p in db.session.execute(
            select(Profile.id, Profile.first_name).where(among(Profile.id, pids)))}
        users = {u.id: u for u in db.session.execute(
            select(User.id, User.locale).where(among(User.id, uids)))}
        allowed = managers(list(pids), now)
        bodies: dict = {}
        for r in rems.values():
            if body_key(r) in bodies:
                continue
            if r.kind == "digest":  # only the people this account still looks after are named
                still = [profiles[p] for p in named[r.id]
                         if p in profiles and r.user_id in allowed.get(p, ())]
                bodies[body_key(r)] = digest_payload(still, users[r.user_id]) if still else None
                continue
            ok = r.user_id in allowed.get(r.profile_id, ()) and r.profile_id in profiles
            bodies[body_key(r)] = payload(r, profiles[r.profile_id], users[r.user_id]) if ok else None
        subs = defaultdict(list)
        devices = select(PushSubscription.id, PushSubscription.user_id, PushSubscription.endpoint,
                         PushSubscription.p256dh, PushSubscription.auth)
        for s in db.session.execute(devices.where(among(PushSubscription.user_id, uids))
                                    .order_by(PushSubscription.id)):
            subs[s.user_id].append(s)
        done = {tuple(row) for row in db.session.execute(select(
            PushDelivery.reminder_id, PushDelivery.subscription_id).where(
            among(PushDelivery.reminder_id, ids), PushDelivery.result == "sent"))}
        return cls(rems, bodies, subs, done)

    def messages(self, claim) -> list[Message]:
        """One message per device of the account that has not had it yet."""
        r = self.reminders[claim.id]
        body = self.bodies[body_key(r)]
        if body is None:
            return []
        # A digest replaces the account's older one still waiting at the push service (a phone off for days).
        topic = push_service.topic(r.user_id if r.kind == "digest" else r.profile_id, r.kind)
        return [Message(r.id, s, body, r.kind, topic) for s in self.subs[r.user_id]
                if (r.id, s.id) not in self.done and s.id not in self.gone]

    def verdict(self, reminder, answers: list) -> str:
        if self.bodies[body_key(reminder)] is None:
            return "failed"  # e.g. a caregiver whose delegation ended since planning
        if any(a is None for a in answers):
            return "skip"  # not sent in time: left claimed, the next run takes it when the lease ends
        if any(a.result == "retry" for a in answers):
            return "retry"
        # Refused for good by every device's push service (or gone): not "sent" into the void.
        reached = any(a.result == "sent" for a in answers) or any(r == reminder.id for r, _ in self.done)
        return "sent" if reached or not answers else "failed"


REFUSED_LIMIT = 3  # answers in a row saying a device's subscription is not ours before it is forgotten


def record(chunk: Chunk, work: list[Message], outcomes: list) -> None:
    """Keep every answer; forget devices the push service says are gone (a few statements)."""
    answered = [(m, o) for m, o in zip(work, outcomes, strict=True) if o is not None]
    if not answered:
        return
    at = utcnow()  # one time for the step's answers: they were all read in the last moments
    insert_rows(cast(Table, PushDelivery.__table__), [
        {"reminder_id": m.reminder_id, "subscription_id": m.sub.id, "status": o.status, "result": o.result,
         "detail": o.detail[:200], "at": at} for m, o in answered])
    by_result = defaultdict(set)
    for m, o in answered:
        by_result[o.result].add(m.sub.id)
        if o.result == "sent":
            chunk.done.add((m.reminder_id, m.sub.id))
    table = cast(Table, PushSubscription.__table__)  # __table__ is a Table, typed as a FromClause
    if by_result["sent"]:
        db.session.execute(update(table).where(among(table.c.id, by_result["sent"]))
                           .values(last_success_at=utcnow(), failures=0))
    failing = by_result["retry"] | by_result["failed"]
    if failing:
        db.session.execute(update(table).where(among(table.c.id, failing))
                           .values(failures=table.c.failures + 1))
    # Refused as not ours (401/403: the subscription was made for another server key, e.g. after the
    # keys were replaced) REFUSED_LIMIT times in a row: it never will be; forgotten, the device's
    # settings page offers to turn reminders on again.
    refused = {m.sub.id for m, o in answered if o.status in (401, 403)}
    if refused:
        chunk.gone |= set(db.session.scalars(delete(table).where(
            among(table.c.id, refused), table.c.failures >= REFUSED_LIMIT).returning(table.c.id)))
    if by_result["gone"]:
        chunk.gone |= by_result["gone"]
        db.session.execute(delete(table).where(among(table.c.id, by_result["gone"])))
