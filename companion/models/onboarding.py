"""France Services structures, assisted onboarding sessions and assisted recovery codes.

An assisted session holds no health data: who helped whom, when, consent, and the status of each step.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, utcnow

# The guided steps, in order. "account" to "document" are the activation funnel ("family" is optional).
STEPS = ("account", "key", "recovery", "profile", "family", "reminders", "document")
FUNNEL = ("account", "key", "recovery", "profile", "reminders", "document")
STEP_STATUSES = ("done", "skipped")


class Structure(Model):
    """A France Services site."""

    __tablename__ = "structures"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    commune_code: Mapped[str] = mapped_column(String(5))  # INSEE code, e.g. 23096 for Guéret
    # The structure's lead sees the assisted-recovery log.
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL", use_alter=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AssistedSession(Model):
    __tablename__ = "assisted_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"), index=True)
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # NULL until the person has an account (or signs in) during the session.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The short code, hashed; cleared once used so it can never be used twice.
    code_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    code_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The browser that used the code holds a random token; only its hash is kept.
    device_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    shared_device: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by: Mapped[str] = mapped_column(String(16), default="")  # mediator | person | expiry

    steps: Mapped[list["AssistedStep"]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="AssistedStep.id")
    structure: Mapped[Structure] = relationship()

    def status_of(self, step: str) -> str:
        for row in self.steps:
            if row.name == step:
                return row.status
        return "todo"


class AssistedStep(Model):
    __tablename__ = "assisted_steps"
    __table_args__ = (UniqueConstraint("session_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("assisted_sessions.id", ondelete="CASCADE"),
                                            index=True)
    name: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8))  # done | skipped
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    session: Mapped[AssistedSession] = relationship(back_populates="steps")


class AssistedRecoveryCode(Model):
    """A single-use code a mediator hands to a person whose identity they checked in person."""

    __tablename__ = "assisted_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"), index=True)
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the person was told about it at a login.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PendingRecovery(Model):
    """A new password set at a France Services counter, waiting: it takes effect when the hold ends, or
    earlier if the owner confirms from a signed-in device; the owner may cancel it from any of them.
    Until then the account keeps its password, keys and sessions."""

    __tablename__ = "pending_recoveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int | None] = mapped_column(
        ForeignKey("assisted_recovery_codes.id", ondelete="SET NULL"), index=True)
    structure_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="SET NULL"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))  # cleared once applied or cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    takes_effect_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # When the owner's devices were told (push), and how many.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by: Mapped[str] = mapped_column(String(16), default="")  # owner | replaced
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @classmethod
    def still_waiting(cls) -> tuple:
        """Neither applied nor cancelled yet: the owner is told on every page (a banner)."""
        return cls.applied_at.is_(None), cls.cancelled_at.is_(None)

    @property
    def waiting(self) -> bool:
        return self.applied_at is None and self.cancelled_at is None
