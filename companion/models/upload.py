"""A file sent in parts (services/upload_parts.py): on a line that drops, each part that arrived is kept,
so the next try sends only the rest. A part is sealed like a document (its own key, wrapped by the
master key) and bound to its account, upload key and place in the file."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class UploadPart(Model):
    __tablename__ = "upload_parts"
    # One part per place in the file: two tries sending the same part at once cannot both be kept.
    __table_args__ = (UniqueConstraint("user_id", "key", "start", name="uq_upload_parts_user_id_key_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))  # the outbox item's key: one upload per change
    start: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    wrapped_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
