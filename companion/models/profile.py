"""Health profiles: the person a record is about, and the accounts that own it."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, utcnow

SEXES = ("F", "M")


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

    owners: Mapped[list["ProfileOwner"]] = relationship(
        back_populates="profile", cascade="all, delete-orphan"
    )

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
