"""Health profiles: the person a record is about, and the accounts that own it."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, utcnow

SEXES = ("F", "M")
# The stages in which a teen with a login decides what the parents see (services/family_stages.py).
NARROWED_STAGES = ("teen", "adult_soon")


class Profile(Model):
    __tablename__ = "profiles"
    # An id is never given twice, even on SQLite: a closed profile's retained log names it (issue 17).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    # The account whose own record this is; NULL for a child or dependant without an account.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80), default="")
    birth_date: Mapped[date | None] = mapped_column(Date())
    sex: Mapped[str | None] = mapped_column(String(1))
    ins: Mapped[str | None] = mapped_column(String(15))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A child's profile as the child grows up (services/family_stages.py): "" (a child, or an adult's
    # own profile), "teen_soon", "teen", "adult_soon", "adult". From "teen" the parents see only
    # `parent_scopes`, what the teen agrees to (the agenda, with the vaccinations, by default).
    stage: Mapped[str] = mapped_column(String(12), default="", server_default="")
    parent_scopes: Mapped[str] = mapped_column(String(200), default="agenda", server_default="agenda")
    stage_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The teen agreed that the parents keep what they see now after 18 (as caregivers, for a year).
    keep_parents: Mapped[bool] = mapped_column(default=False, server_default=false())

    owners: Mapped[list["ProfileOwner"]] = relationship(
        back_populates="profile", cascade="all, delete-orphan"
    )

    @property
    def parents_narrowed(self) -> bool:
        """The teen has their own login and is past the teen age: the parents see only what the teen
        agrees to. Before the teen has a login nobody else could manage the profile, so it stays whole."""
        return self.stage in NARROWED_STAGES and self.user_id is not None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ProfileOwner(Model):
    """An account that owns a profile: the person themself, a parent, a legal guardian."""

    __tablename__ = "profile_owners"
    __table_args__ = (UniqueConstraint("profile_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(String(16), default="self")  # self | parent | guardian
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    profile: Mapped[Profile] = relationship(back_populates="owners")
