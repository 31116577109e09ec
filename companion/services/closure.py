"""Closing a child's profile (by an owner) or a whole account, after a cooling-off period (issue 17).

- Asking: the closure row is written with its end (CLOSURE_COOLING_OFF_DAYS); every share for a health
  professional and every caregiver's access of the profiles concerned end at once (logged), and the
  caregivers and the other owners are told by e-mail (names and a date, no health detail).
- Cancelling, at any time before the end: the row is deleted. What ended at the request stays ended
  (a share's key is in a link already handed out; an access is given again on purpose): the pages say so.
- At the end (`run_due`, a periodic job in wiring.py): the job claims the row with one conditional DELETE
  that a cancellation at the same moment races against; exactly one of them deletes it, on PostgreSQL
  (row lock) and SQLite (one writer) alike. Then, in the same transaction, every row of the profiles
  concerned is deleted (services/erasure.py), the wrapped document keys with them (crypto-shredding: a
  copy of a blob, a backup or an old S3 version, no longer opens), and the account for an account
  closure; the blobs are deleted after the commit (were the commit to fail, they must still open).
  The access log stays, kept as the law requires, then pruned (config AUDIT_RETENTION_MONTHS).

An account closure takes the account's own profile and the children's profiles it alone owns; a child's
profile shared with another parent stays with that parent. A profile closure closes it for every owner.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import Integer, bindparam, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models.account import User
from ..models.closure import Closure
from ..models.delegation import Delegation
from ..models.document import Document
from ..models.export import DataExport
from ..models.profile import Profile, ProfileOwner
from ..models.proof import Dependent
from ..models.share import ClinicianShare
from ..models.types import utcnow
from ..pg_plans import PLAN_ONCE
from ..texts import lazy_gettext as _l
from . import ServiceError, audit, closing, dates, delegations, erasure, mail, store_upkeep
from .access import Access

log = logging.getLogger("companion.closure")


@dataclass
class Plan:
    """What a closure deletes and what it leaves."""

    profiles: list[Profile]  # deleted with everything in them
    kept: list[Profile] = field(default_factory=list)  # children's profiles another parent keeps
    documents: int = 0


def _documents(profile_ids: list[int]) -> int:
    if not profile_ids:
        return 0
    return db.session.scalar(select(func.count()).select_from(Document)
                             .where(Document.profile_id.in_(profile_ids))) or 0


def plan_for_account(user: User) -> Plan:
    """The account's own profile and the children's profiles it alone owns (the rule closing.is_closing
    reads back during the cooling-off period)."""
    owned = db.session.scalars(select(Profile).join(ProfileOwner).where(ProfileOwner.user_id == user.id)
                               .order_by(Profile.user_id.is_(None), Profile.id)).all()
    counts: dict[int, int] = {}
    if owned:
        rows = db.session.execute(select(ProfileOwner.profile_id, func.count())
                                  .where(ProfileOwner.profile_id.in_([p.id for p in owned]))
                                  .group_by(ProfileOwner.profile_id))
        counts = {profile_id: count for profile_id, count in rows}
    going = [p for p in owned if p.user_id == user.id or (p.user_id is None and counts.get(p.id, 0) <= 1)]
    kept = [p for p in owned if p not in going and p.user_id is None]
    return Plan(going, kept, _documents([p.id for p in going]))


def plan_for_profile(profile: Profile) -> Plan:
    return Plan([profile], [], _documents([profile.id]))


def cooling_off() -> timedelta:
    return timedelta(days=current_app.config["CLOSURE_COOLING_OFF_DAYS"])


def of_profile(profile_id: int) -> Closure | None:
    return db.session.scalar(select(Closure).where(Closure.profile_id == profile_id))


def of_account(user_id: int) -> Closure | None:
    return db.session.scalar(select(Closure).where(Closure.account_id == user_id))


def closing_for(user: User) -> list[tuple[Closure, Profile | None]]:
    """The closures this account can still cancel: its own, and those of profiles it owns (one query:
    the home page's banner)."""
    return [(c, p) for c, p in db.session.execute(_closing_statement(), {"user_id": user.id})]


@lru_cache(maxsize=1)
def _closing_statement():
    """Built once (every home page asks), the account bound."""
    user_id = bindparam("user_id", type_=Integer)
    owned = select(ProfileOwner.profile_id).where(ProfileOwner.user_id == user_id)
    return (select(Closure, Profile).outerjoin(Profile, Profile.id == Closure.profile_id)
            .where(or_(Closure.account_id == user_id, Closure.profile_id.in_(owned))).order_by(Closure.id)
            .execution_options(**PLAN_ONCE))


def ended_for_helper(user: User, now: datetime | None = None) -> list[tuple[Profile, Closure]]:
    """For a caregiver's own page: the people she helped whose space is closing, her access ended by it."""
    now = now or utcnow()
    rows = db.session.execute(select(Delegation, Profile).join(Profile, Profile.id == Delegation.profile_id)
                              .where(Delegation.caregiver_id == user.id, Delegation.accepted_at.is_not(None),
                                     Delegation.revoked_at >= now - cooling_off())).all()
    found: dict[int, tuple[Profile, Closure]] = {}
    for d, profile in rows:
        row = closing.closure_of(profile)
        if row is not None and d.revoked_at is not None and d.revoked_at >= row.requested_at:
            found[profile.id] = (profile, row)
    return list(found.values())


def request_profile(access: Access, actor: User, now: datetime | None = None) -> Closure:
    if not access.is_owner:
        raise ServiceError(_l("Only the owners of a profile can close it."), status=403)
    profile = access.profile
    if profile.user_id is not None:
        raise ServiceError(_l("This is the space of a person with their own account. Only they can "
                              "close it, by closing their account."), status=409)
    return _request(actor, [profile], Closure(profile_id=profile.id), now or utcnow())


def request_account(actor: User, now: datetime | None = None) -> Closure:
    if actor.role != "person":  # a mediator's account belongs to their structure's tools
        raise ServiceError(_l("This account cannot be closed here. Please ask your France Services lead."),
                           status=403)
    plan = plan_for_account(actor)
    adults = _adults_looked_after([p.id for p in plan.profiles])
    if adults:  # a person, not a child: their space must not go with the carer's account
        raise ServiceError(_l("You look after %(names)s. Before closing your account, help them take back "
                              "their profile, or close their profile on its own page.",
                              names=", ".join(p.full_name for p in adults)), status=409)
    return _request(actor, plan.profiles, Closure(account_id=actor.id), now or utcnow())


def _adults_looked_after(profile_ids: list[int]) -> list[Profile]:
    """Adults without a login of their own managed under a legal basis (services/dependents.py), whose
    own profile's closure was not asked on purpose."""
    if not profile_ids:
        return []
    own_closure = select(Closure.id).where(Closure.profile_id == Profile.id).exists()
    return list(db.session.scalars(select(Profile).join(Dependent, Dependent.profile_id == Profile.id)
                                   .where(Profile.id.in_(profile_ids), Dependent.claimed_at.is_(None),
                                          ~own_closure).order_by(Profile.id)))


def _request(actor: User, profiles: list[Profile], row: Closure, now: datetime) -> Closure:
    if (row.profile_id and of_profile(row.profile_id)) or (row.account_id and of_account(row.account_id)):
        raise ServiceError(_l("This closure was already asked."), status=409)
    row.requested_by_id, row.requested_at, row.closes_at = actor.id, now, now + cooling_off()
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:  # asked twice at the same moment (two devices): the other one was saved
        raise ServiceError(_l("This closure was already asked."), status=409) from None
    # The day as the person asking reads it on the page (a UTC day could be the day before).
    day = dates.local_today(actor, row.closes_at).isoformat()
    for profile in profiles:
        told = _helpers(profile.id, now)  # before their access ends below
        audit.record(actor=actor, actor_role="owner", action="closure.requested", profile_id=profile.id,
                     object_label=day, at=now)
        _end_open_access(actor, profile.id, now)
        for person in told:
            _tell(person, "closure_requested_caregiver", profile, actor, row.closes_at)
        for person in _other_owners(profile.id, actor.id):
            _tell(person, "closure_requested_owner", profile, actor, row.closes_at)
    if row.account_id:
        audit.record(actor=actor, actor_role="owner", action="closure.requested", account_id=actor.id,
                     object_label=day, at=now)
    return row


def _end_open_access(actor: User, profile_id: int, now: datetime) -> None:
    """Shares refuse and caregivers lose access from now on, each end in the profile's log."""
    for d in db.session.scalars(select(Delegation).where(Delegation.profile_id == profile_id,
                                                         Delegation.is_open(now))).all():
        delegations.end(actor, d, role="owner", now=now)
    for share in db.session.scalars(select(ClinicianShare).where(
            ClinicianShare.profile_id == profile_id, ClinicianShare.revoked_at.is_(None),
            ClinicianShare.expires_at > now)).all():
        share.revoked_at = now
        audit.record(actor=actor, actor_role="owner", action="share.ended_by_closure", profile_id=profile_id,
                     object_type="share", object_id=share.id,
                     object_label=share.created_at.strftime("%Y-%m-%d %H:%M UTC"), at=now)
    db.session.flush()


def _helpers(profile_id: int, now: datetime, since: datetime | None = None) -> list[User]:
    """Caregivers helping now, or (`since`) those whose access ended at the closure's request or after."""
    if since is None:
        clause = Delegation.is_active(now)
    else:
        clause = (Delegation.accepted_at.is_not(None)) & (Delegation.revoked_at >= since)
    return list(db.session.scalars(select(User).join(Delegation, Delegation.caregiver_id == User.id)
                                   .where(Delegation.profile_id == profile_id, clause).distinct()))


def _other_owners(profile_id: int, user_id: int | None) -> list[User]:
    return list(db.session.scalars(select(User).join(ProfileOwner, ProfileOwner.user_id == User.id)
                                   .where(ProfileOwner.profile_id == profile_id, User.id != user_id)))


def _tell(person: User, kind: str, profile: Profile, by: User | None, when: datetime | None = None) -> None:
    mail.queue(person.email, person.locale, kind, tz=person.timezone, name=person.display_name.split(" ")[0],
               person=profile.full_name, by=by.display_name if by else "", date=when,
               link=mail.public_url(f"/p/{profile.id}/close"))


def drop_for_own_login(profile: Profile, actor: User, now: datetime) -> None:
    """The profile just became its person's own (a teen's code, a dependent adult taking it back): a
    closure an owner asked before no longer holds; only the person closes it now, with their account."""
    gone = db.session.execute(delete(Closure).where(Closure.profile_id == profile.id)
                              .execution_options(synchronize_session=False))
    if gone.rowcount:  # type: ignore[attr-defined]  # a DELETE gives a CursorResult
        audit.record(actor=actor, actor_role="owner", action="closure.cancelled", profile_id=profile.id,
                     at=now)


def cancel(actor: User, row: Closure, now: datetime | None = None) -> None:
    """Stop the closure. Refused (409) when the job got there first: then there is nothing left."""
    now = now or utcnow()
    profile_ids = [row.profile_id] if row.profile_id else [p.id for p in plan_for_account(actor).profiles]
    requested_at, account_id = row.requested_at, row.account_id
    gone = db.session.execute(delete(Closure).where(Closure.id == row.id)
                              .execution_options(synchronize_session=False))
    if gone.rowcount != 1:  # type: ignore[attr-defined]  # a DELETE gives a CursorResult
        raise ServiceError(_l("This closure cannot be cancelled any more: it has already been done."),
                           status=409)
    db.session.expunge(row)
    for profile in db.session.scalars(select(Profile).where(Profile.id.in_(profile_ids))).all():
        audit.record(actor=actor, actor_role="owner", action="closure.cancelled", profile_id=profile.id,
                     at=now)
        for person in _helpers(profile.id, now, since=requested_at) + _other_owners(profile.id, actor.id):
            _tell(person, "closure_cancelled", profile, actor)
    if account_id:
        audit.record(actor=actor, actor_role="owner", action="closure.cancelled", account_id=account_id,
                     at=now)
    db.session.flush()


def due(now: datetime | None = None) -> list[int]:
    return list(db.session.scalars(select(Closure.id).where(Closure.closes_at <= (now or utcnow()))
                                   .order_by(Closure.id)))


def run_due(now: datetime | None = None) -> int:
    """The periodic job: close what reached its end, each in its own transaction. Commits."""
    now = now or utcnow()
    ids = due(now)
    db.session.commit()  # end the read: each claim below starts its own transaction with a write
    done = 0
    for closure_id in ids:
        try:
            done += close(closure_id, now)
        except Exception:  # logged; the row is still there, so the next run tries again
            db.session.rollback()
            log.exception("closure %s failed", closure_id)
    return done


def close(closure_id: int, now: datetime) -> int:
    """Claim one due closure and delete what it names; 0 when a cancellation took it first. Commits."""
    row = db.session.get(Closure, closure_id)
    if row is None:
        return 0
    profile_id, account_id, requested_at = row.profile_id, row.account_id, row.requested_at
    db.session.expunge(row)
    db.session.commit()
    claimed = db.session.execute(delete(Closure).where(Closure.id == closure_id, Closure.closes_at <= now)
                                 .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # a DELETE gives a CursorResult
        db.session.rollback()
        return 0
    account = db.session.get(User, account_id) if account_id else None
    if account is not None:
        profiles = plan_for_account(account).profiles
    else:  # a profile that has since become its person's own is theirs to close, not the owners' before
        profiles = [p for p in [db.session.get(Profile, profile_id)] if p is not None and p.user_id is None]
    keys = _erase(profiles, account, requested_at, now)
    db.session.commit()
    store_upkeep.discard(keys)  # after the commit: the rows and wrapped keys are gone, the bytes open no more
    mail.send_queued()
    return 1


def _erase(profiles: list[Profile], account: User | None, requested_at: datetime,
           now: datetime) -> list[str]:
    """Log, tell, then delete every row; returns the storage keys of the files to delete."""
    ids = [p.id for p in profiles]
    keys = list(db.session.scalars(select(Document.storage_key).where(Document.profile_id.in_(ids))))
    keys += db.session.scalars(select(DataExport.storage_key).where(DataExport.profile_id.in_(ids),
                                                                    DataExport.storage_key.is_not(None)))
    for profile in profiles:
        audit.record(actor=None, actor_role="system", action="closure.done", profile_id=profile.id, at=now)
        owners = _other_owners(profile.id, account.id if account else None)
        for person in _helpers(profile.id, now, since=requested_at) + owners:
            _tell(person, "closure_done", profile, None)
    if account is not None:
        audit.record(actor=None, actor_role="system", action="closure.done", account_id=account.id, at=now)
        helped = db.session.scalars(select(Delegation).where(Delegation.caregiver_id == account.id,
                                                             Delegation.is_active(now))).all()
        for d in helped:  # the people this account helped read in their log that its access ended
            audit.record(actor=None, actor_role="system", action="delegation.ended", profile_id=d.profile_id,
                         object_type="delegation", object_id=d.id, object_label=account.display_name, at=now)
        for kept in plan_for_account(account).kept:  # the other parent reads in its log who left
            audit.record(actor=None, actor_role="system", action="profile.owner_removed",
                         profile_id=kept.id, object_type="account", object_id=account.id,
                         object_label=account.display_name, at=now)
    erasure.forget_loose_ids(ids, account.id if account else None, account.email if account else None)
    erasure.remove(db.metadata.tables["profiles"], ids)
    if account is not None:
        erasure.remove(db.metadata.tables["users"], [account.id])
    db.session.expunge_all()
    return keys
