"""Health documents of a profile, their offline pins (per account and device), and the trash."""

import unicodedata
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


def fold(text: str | None) -> str:
    """Lower case without accents ("Échographie" -> "echographie"): what a search compares, the same
    on SQLite and PostgreSQL because Python folds it, not the database."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.casefold().replace("œ", "oe").replace("æ", "ae")


class Document(Model):
    __tablename__ = "documents"
    # The same file twice in one profile is recognised (even in the trash: it is restored instead).
    __table_args__ = (
        UniqueConstraint("profile_id", "sha256", name="uq_documents_profile_sha256"),
        Index("ix_documents_profile_care", "profile_id", "care_date"),
        # The latest document of a type in one index step (services/offline_documents.key_documents).
        Index("ix_documents_profile_type_date", "profile_id", "type_code", "care_date", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    type_code: Mapped[str] = mapped_column(String(16))
    class_code: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    care_date: Mapped[date | None] = mapped_column(Date())
    source: Mapped[str] = mapped_column(String(200), default="")
    # fold(title + " " + source), kept in step by the listeners below (migration 0024 filled old rows).
    search_text: Mapped[str] = mapped_column(String(402), default="", server_default="")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(40))
    # Random name of the encrypted blob; the person's filename never reaches the file system.
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    # The per-document AES key, wrapped (AES-GCM) by the master key; base64.
    wrapped_key: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(8), default="upload")  # upload | cda
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)  # in the trash


@event.listens_for(Document.title, "set")
def _title_set(doc: Document, value, _old, _initiator) -> None:
    doc.search_text = fold(f"{value or ''} {doc.source or ''}")


@event.listens_for(Document.source, "set")
def _source_set(doc: Document, value, _old, _initiator) -> None:
    doc.search_text = fold(f"{doc.title or ''} {value or ''}")


# The list's order (services/documents.search), so its first page is read from the index rather than
# sorted from every row. PostgreSQL gets DESC NULLS LAST as the query asks; SQLite, which puts NULLs last
# in a descending order anyway and refuses NULLS LAST in an index, gets plain DESC (migration 0016).
Index("ix_documents_list_order", Document.profile_id, Document.class_code,
      Document.care_date.desc().nulls_last(), Document.id.desc())
# The newest documents across types, offered by the share and emergency forms (services/documents.newest):
# the first 30 read from here, not sorted from every row (7.6 ms at 10,000 documents). Migration 0027.
Index("ix_documents_newest", Document.profile_id, Document.care_date.desc().nulls_last(), Document.id.desc(),
      postgresql_where=Document.deleted_at.is_(None), sqlite_where=Document.deleted_at.is_(None))
# The list's count of live documents, read from this small index alone rather than from every row.
Index("ix_documents_live", Document.profile_id, Document.hidden_at,
      postgresql_where=Document.deleted_at.is_(None), sqlite_where=Document.deleted_at.is_(None))

# The trash of one profile, most recently deleted first (services/documents.trashed): one range of this
# small index. With the index on the deletion time alone, a page of one profile's trash walked the
# whole site's trash (migration 0025).
Index("ix_documents_trash", Document.profile_id, Document.deleted_at, Document.id,
      postgresql_where=Document.deleted_at.is_not(None), sqlite_where=Document.deleted_at.is_not(None))


class DocumentPin(Model):
    """"Available offline" on one device of one account."""

    __tablename__ = "document_pins"
    __table_args__ = (UniqueConstraint("document_id", "user_id", "device_id", name="uq_document_pins"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
