"""Signed proofs of a delegation, a consent or a revocation, and dependent adults (issue 17).

A proof row keeps the signed statement (names, scopes, dates, ids: never health data) so the status
page can say whether what it proves still holds; its `token` is the random id the statement carries,
so knowing a delegation's number tells nothing. A closed profile takes its proofs with it (CASCADE): the
statement names people, and a closure leaves nothing but the access log."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow

KINDS = ("delegation", "consent", "revocation")
LEGAL_BASES = ("family_carer", "habilitation_familiale", "tutelle", "curatelle")


class Proof(Model):
    __tablename__ = "proofs"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    delegation_id: Mapped[int | None] = mapped_column(ForeignKey("delegations.id", ondelete="SET NULL"),
                                                      index=True)
    statement: Mapped[str] = mapped_column(Text())  # the text the QR code holds
    key_id: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Dependent(Model):
    """An adult without an account, managed by a named person on a stated legal basis until they claim
    their profile (then `claimed_at` is set and the manager's role became a delegation)."""

    __tablename__ = "dependents"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), unique=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    legal_basis: Mapped[str] = mapped_column(String(24))
    proof_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    review_on: Mapped[date] = mapped_column(Date())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
