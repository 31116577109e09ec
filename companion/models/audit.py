"""The access log: append-only, one HMAC-keyed chain per profile (or account), anchored by signed
checkpoints."""

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class AppendOnlyError(RuntimeError):
    pass


class AccessEvent(Model):
    __tablename__ = "access_events"
    # (chain, seq) unique: even if two writers ever raced past the head, only one of them could commit.
    # Whose log, then newest first: a page of one profile's log is one range of an index however long
    # the whole log is (services/access_log.py reads each profile and the account as its own range).
    __table_args__ = (UniqueConstraint("chain", "seq"),
                      Index("ix_access_events_profile_id_id", "profile_id", "id"),
                      Index("ix_access_events_account_id_id", "account_id", "id"),
                      # Who appears in a log (the page's "who" filter), one step per person, and a
                      # page of one person's entries (services/access_log.py). Migration 0026.
                      Index("ix_access_events_profile_actor", "profile_id", "actor_id", "id"),
                      Index("ix_access_events_account_actor", "account_id", "actor_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # Plain numbers, not foreign keys: the log outlives the accounts and profiles it names (a closure keeps
    # it as the law requires), and a database's ON DELETE SET NULL would change hashed entries.
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    actor_role: Mapped[str] = mapped_column(String(16))  # owner, caregiver, mediator, system, stranger
    # Whose log it is: a profile's, or (for account security events) an account's.
    profile_id: Mapped[int | None] = mapped_column(Integer)
    account_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    object_label: Mapped[str] = mapped_column(String(200), default="")
    # Which chain the entry belongs to ("p:<profile>", "a:<account>" or "site"), written once: a plain
    # string rather than a foreign key, so nothing the database does later can move an entry between chains.
    chain: Mapped[str] = mapped_column(String(24))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3... within the chain
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)  # HMAC-SHA256, key outside the database


class AuditChain(Model):
    """One row per chain: where the next entry goes. An append claims the row with one UPDATE that
    moves `seq` and holds it to the commit, so two writers cannot both extend the same head, on
    PostgreSQL and SQLite alike (services/audit.py)."""

    __tablename__ = "audit_chains"

    chain: Mapped[str] = mapped_column(String(24), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Model):
    """A signed statement of every chain's head (and, after pruning, of where each chain now starts)."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    reason: Mapped[str] = mapped_column(String(16))  # periodic, hourly, manual, prune, migration
    body: Mapped[str] = mapped_column(Text)  # the signed JSON, byte for byte
    signature: Mapped[str] = mapped_column(String(128))  # base64 Ed25519
    key_id: Mapped[str] = mapped_column(String(16))


class RefusalCount(Model):
    """How many times an account was refused on a profile in one hour. Not chained, on purpose: it is a
    counter that changes, while the chained entry written at the hour's first refusal proves that it
    happened (services/refusals.py)."""

    __tablename__ = "audit_refusals"
    __table_args__ = (UniqueConstraint("actor_id", "profile_id", "hour"),
                      Index("ix_audit_refusals_event_id", "event_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(Integer)
    profile_id: Mapped[int] = mapped_column(Integer)
    hour: Mapped[datetime] = mapped_column(UTCDateTime())
    count: Mapped[int] = mapped_column(Integer, default=1)
    event_id: Mapped[int | None] = mapped_column(Integer)


def _refuse(*_args, **_kwargs):
    raise AppendOnlyError("the access log is append-only")


event.listen(AccessEvent, "before_update", _refuse)
event.listen(AccessEvent, "before_delete", _refuse)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state):
    if (state.is_update or state.is_delete) and not state.execution_options.get("audit_prune"):
        for mapper in state.all_mappers:
            if mapper.class_ is AccessEvent:
                _refuse()
        # A Core statement on the table itself has no mapper: look at its target table.
        if getattr(getattr(state.statement, "table", None), "name", None) == AccessEvent.__tablename__:
            _refuse()
