"""Idempotency receipts: one per (account, key) of a write the offline outbox may send again. The
receipt holds a hash of the request and the answer given, so a replay gets that answer, once applied."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class IdempotencyReceipt(Model):
    __tablename__ = "idempotency_receipts"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_receipts_user_id_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64), default="")  # "" = unknown: any body
    action: Mapped[str] = mapped_column(String(80), default="")  # the endpoint, for support
    status: Mapped[int] = mapped_column(Integer, default=0)  # 0 = claimed, answer not stored yet
    content_type: Mapped[str] = mapped_column(String(100), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


OutboxReceipt = IdempotencyReceipt  # the name used before the receipts became generic
