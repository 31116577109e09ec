"""A closure waiting for its cooling-off period to end: of a child's profile (by an owner) or of a whole
account. Cancelling deletes the row; the periodic job deletes it with everything else it names
(services/closure.py)."""

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class Closure(Model):
    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Exactly one of the two: a profile closed alone, or an account (its own profile and the children's
    # profiles it alone owns).
    profile_id: Mapped[int | None] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
