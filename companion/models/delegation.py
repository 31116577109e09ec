"""Caregiver delegation: scoped, time-limited, revocable access to someone else's profile.

The lifecycle (pending, active, ending soon, expired, ...) and what each scope brings with it are
defined here and nowhere else: this is the rule that decides who sees health data. Each state is a
hybrid method written once and evaluated either on a loaded row (`d.is_active(now)` is a bool) or as
SQL (`Delegation.is_active(now)` goes into a WHERE clause). The small helpers below make one body work
both ways, so the Python answer and the database's answer cannot drift apart
(tests/test_delegation_lifecycle.py checks them against each other on SQLite and PostgreSQL)."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, and_, case, or_, text
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.operators import ColumnOperators

from ..extensions import Model
from .types import UTCDateTime, utcnow

SCOPES = ("documents:read", "documents:write", "agenda")
# What a scope brings with it. Adding and changing documents without seeing them makes no sense, and
# older delegations may hold documents:write alone: writing always includes reading.
IMPLIED_SCOPES: dict[str, frozenset[str]] = {"documents:write": frozenset({"documents:read"})}
# The owner is reminded (home page, caregivers page) this long before an access ends.
ENDING_SOON = timedelta(days=7)


def with_implied(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes given plus those they imply (IMPLIED_SCOPES)."""
    chosen = frozenset(scopes)
    return chosen.union(*(IMPLIED_SCOPES.get(s, ()) for s in chosen))


class DelegationState(StrEnum):
    """What a delegation is at a given time. A StrEnum, so templates compare it with plain strings."""

    PENDING = "pending"  # invited, not answered yet, invitation still valid
    ACTIVE = "active"  # accepted and not past its end: the caregiver has access
    DECLINED = "declined"  # the invited person said no
    ENDED = "ended"  # either side ended it (revoked_at)
    EXPIRED = "expired"  # accepted, then reached its end date
    LAPSED = "lapsed"  # an invitation nobody answered in time


def _sql(value) -> bool:
    return isinstance(value, ColumnOperators)


def _set(value):
    return value.is_not(None) if _sql(value) else value is not None


def _unset(value):
    return value.is_(None) if _sql(value) else value is None


def _after(value, now: datetime):
    """value > now; an unset time is never after (false in SQL too, not NULL, so NOT stays exact)."""
    return and_(value.is_not(None), value > now) if _sql(value) else value is not None and value > now


def _all(*terms):
    return and_(*terms) if any(_sql(t) for t in terms) else all(terms)


def _any(*terms):
    return or_(*terms) if any(_sql(t) for t in terms) else any(terms)


def _first(default: DelegationState, *cases: tuple[Any, DelegationState]):
    """The state of the first true condition: a CASE in SQL, a plain lookup in Python."""
    if any(_sql(cond) for cond, _state in cases):
        return case(*((cond, state.value) for cond, state in cases), else_=default.value)
    return next((state for cond, state in cases if cond), default)


def ending_soon_until(now: datetime) -> datetime:
    """An access ending before this is "ending soon" (Delegation.is_ending_soon)."""
    return now + ENDING_SOON


class Delegation(Model):
    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    # NULL until the invitation is accepted.
    caregiver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    invited_email: Mapped[str | None] = mapped_column(String(254), index=True)
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(200), default="")  # space separated
    see_hidden: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    invitation_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A name the owner gives a code invitation ("my neighbour Marie"), shown until it is accepted.
    label: Mapped[str] = mapped_column(String(120), default="")
    # "1d", "1m", "6m", "1y": the access lasts this long from acceptance; NULL for a fixed end date.
    term: Mapped[str | None] = mapped_column(String(8))
    # Set once the "expired" event is in the access log, so it is written only once.
    expiry_logged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def scope_set(self) -> frozenset[str]:
        """The scopes the owner chose, as shown on the caregivers pages."""
        return frozenset(self.scopes.split())

    @property
    def granted_scopes(self) -> frozenset[str]:
        """What the caregiver may do: the scopes chosen and those they imply."""
        return with_implied(self.scope_set)

    @hybrid_method
    def is_pending(self, now: datetime):
        """An invitation still open: not answered, not cancelled, not past its invitation date."""
        return _all(_unset(self.accepted_at), _unset(self.declined_at), _unset(self.revoked_at),
                    _after(self.invitation_expires_at, now))

    @hybrid_method
    def is_active(self, now: datetime):
        """The caregiver has access right now."""
        return _all(_set(self.accepted_at), _unset(self.revoked_at), _unset(self.declined_at),
                    _after(self.expires_at, now))

    @hybrid_method
    def is_open(self, now: datetime):
        """Counts against the limits (caregivers per profile, people per caregiver): active or pending."""
        return _any(self.is_active(now), self.is_pending(now))

    @hybrid_method
    def is_expired(self, now: datetime):
        """Accepted, never ended by anyone, and past its end date."""
        return _all(_set(self.accepted_at), _unset(self.revoked_at), _unset(self.declined_at),
                    self.expires_at <= now)

    @hybrid_method
    def is_ending_soon(self, now: datetime, until: datetime | None = None):
        """Active, and ends within ENDING_SOON: time to remind the owner. `until` is now + ENDING_SOON
        (ending_soon_until), passed apart for a statement built once with both times bound."""
        until = ending_soon_until(now) if until is None else until
        return _all(self.is_active(now), self.expires_at <= until)

    @hybrid_method
    def state(self, now: datetime):
        """The named state at `now`; in SQL, a CASE giving the state's string."""
        return _first(DelegationState.EXPIRED,
                      (_set(self.declined_at), DelegationState.DECLINED),
                      (_set(self.revoked_at), DelegationState.ENDED),
                      (self.is_pending(now), DelegationState.PENDING),
                      (_unset(self.accepted_at), DelegationState.LAPSED),
                      (self.is_active(now), DelegationState.ACTIVE))


# The hour's two jobs over delegations (services/delegations.note_expired, delegation_mail.warn_ending_soon)
# read only what is due: accesses still running (or just ended) with their log line or their warning
# still to write, by end date. Without them each read every delegation ever made. Migration 0027.
_RUNNING = "accepted_at IS NOT NULL AND revoked_at IS NULL AND declined_at IS NULL"
_UNLOGGED = text(_RUNNING + " AND expiry_logged_at IS NULL")
_UNWARNED = text(_RUNNING + " AND reminded_at IS NULL")
for _name, _where in (("ix_delegations_expiry_unlogged", _UNLOGGED),
                      ("ix_delegations_ending_unwarned", _UNWARNED)):
    Index(_name, Delegation.expires_at, postgresql_where=_where, sqlite_where=_where)
