"""A package shared with a clinician (the SMART Health Links pattern): the server keeps only the
package encrypted with a random key that travels in the link's fragment (never sent to the server), or
wrapped under a key derived from the short code; see services/shares.py."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class ClinicianShare(Model):
    __tablename__ = "clinician_shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)  # in the link's path: finds the row
    code_lookup: Mapped[str] = mapped_column(String(64), unique=True)  # derived from the short code
    code_wrapped_key: Mapped[bytes] = mapped_column(LargeBinary())  # the key, wrapped by the short code
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary())  # 12-byte nonce + AES-GCM of the package
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Made by a caregiver: the share ends with her access.
    delegation_id: Mapped[int | None] = mapped_column(ForeignKey("delegations.id", ondelete="CASCADE"))
    summary: Mapped[str] = mapped_column(String(200), default="")  # "card documents:2 vaccinations"
    passcode_hash: Mapped[str | None] = mapped_column(String(200))
    tries_left: Mapped[int] = mapped_column(Integer, default=5)
    openings: Mapped[int] = mapped_column(Integer, default=0)
    documents_left: Mapped[int] = mapped_column(Integer, default=0)  # left back by the health professional
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
