"""Accounts and their server-side sessions."""

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, utcnow

ROLES = ("person", "mediator", "admin")


class User(UserMixin, Model):
    __tablename__ = "users"
    # An id is never given twice, even on SQLite: a closed account's retained log names it (issue 17).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # Nullable: an account may sign in with a passkey only.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(120))
    locale: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    role: Mapped[str] = mapped_column(String(16), default="person")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The France Services structure a mediator belongs to (issue 7); NULL for everyone else.
    structure_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="SET NULL"), index=True
    )
    # Data saver: do not download key documents automatically for offline use (issue 5).
    data_saver: Mapped[bool] = mapped_column(
        default=False, server_default=false())
    # The most each of this person's devices may download by itself in a calendar month, in MB (0: no
    # limit). Counted on the device by the service worker; what the person asks for (a pin) is not capped.
    monthly_cap_mb: Mapped[int] = mapped_column(default=50, server_default=text("50"))

    sessions: Mapped[list["UserSession"]] = relationship(back_populates="user")

    # Set by the session loader (not columns): the server-side session this request runs under.
    if TYPE_CHECKING:  # declared for the checker only: an annotation at run time would ask the ORM to map it
        current_session: "UserSession | None"
    current_session = None
    _session_token = ""

    def get_id(self) -> str:  # Flask-Login stores the session token, never the user id
        return self._session_token


class UserSession(Model):
    """A signed-in device. The cookie carries a random token; only its hash is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    authenticated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Signed out from another device (a lost phone): its next answer tells it to forget everything,
    # the emergency card kept to show when locked included (an ordinary sign-out or expiry keeps that).
    wipe_all: Mapped[bool] = mapped_column(default=False, server_default=false())
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    shared_device: Mapped[bool] = mapped_column(default=False)
    # A hard end, whatever the activity: a shared computer's login made in a help session ends with it.
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How the session was proven: password, password+key, passkey, recovery code.
    method: Mapped[str] = mapped_column(String(24), default="password")

    user: Mapped[User] = relationship(back_populates="sessions")
