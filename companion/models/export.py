"""A "download everything" archive of one profile (GDPR article 20): built by the task queue, stored
encrypted like the documents, kept 7 days."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow

# queued -> building -> ready | failed. "Running" = queued or building: one at a time per profile.
RUNNING = ("queued", "building")


class DataExport(Model):
    __tablename__ = "data_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    # Set while queued or building, NULL after: a unique column, so a second running export of the same
    # profile cannot be inserted, on SQLite and PostgreSQL alike, however close the two requests are.
    running_for: Mapped[int | None] = mapped_column(Integer, unique=True)
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    estimated_size: Mapped[int] = mapped_column(BigInteger, default=0)
    parts_done: Mapped[int] = mapped_column(Integer, default=0)
    parts_total: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int | None] = mapped_column(BigInteger)  # of the archive itself (what is downloaded)
    sha256: Mapped[str | None] = mapped_column(String(64))  # of the archive: its ETag
    storage_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    wrapped_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


Index("ix_data_exports_expires", DataExport.expires_at)
