"""Web Push subscriptions (one per device and account) and the result of every send."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class PushSubscription(Model):
    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(Text, unique=True)
    p256dh: Mapped[str] = mapped_column(String(120))
    auth: Mapped[str] = mapped_column(String(40))
    device_label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)


class PushDelivery(Model):
    """The answer of the push service for one reminder on one device (kept after a prune: no FK)."""

    __tablename__ = "push_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminders.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(Integer, index=True)
    status: Mapped[int] = mapped_column(Integer, default=0)  # HTTP status, 0 on a network error
    result: Mapped[str] = mapped_column(String(16))  # sent | gone | retry | failed
    detail: Mapped[str] = mapped_column(String(200), default="")
    # Indexed: the planning round prunes the old ones every minute (a scan of them all, without).
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
