"""The emergency card of a profile: what a clinician needs in the first minutes, in everyday words.
One row per profile; list fields hold one item per line (the form is plain textareas)."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class EmergencyCard(Model):
    __tablename__ = "emergency_cards"

    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True)
    allergies: Mapped[str] = mapped_column(Text(), default="")
    treatments: Mapped[str] = mapped_column(Text(), default="")
    conditions: Mapped[str] = mapped_column(Text(), default="")
    devices: Mapped[str] = mapped_column(Text(), default="")
    contacts: Mapped[str] = mapped_column(Text(), default="")
    directives: Mapped[str] = mapped_column(Text(), default="")
    notes: Mapped[str] = mapped_column(Text(), default="")
    blood_group: Mapped[str] = mapped_column(String(3), default="")
    languages: Mapped[str] = mapped_column(String(200), default="")
    gp: Mapped[str] = mapped_column(String(200), default="")
    # "At the counter": the document the person marked as the current prescription, and its renewal date.
    prescription_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    renewal_on: Mapped[date | None] = mapped_column(Date())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
