"""The access log: append-only and hash-chained, so tampering shows."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class AppendOnlyError(RuntimeError):
    pass


class AccessEvent(Model):
    __tablename__ = "access_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    actor_role: Mapped[str] = mapped_column(String(16))  # owner, caregiver, mediator, system, stranger
    # Whose log it is: a profile's, or (for account security events) an account's.
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id", ondelete="SET NULL"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    object_label: Mapped[str] = mapped_column(String(200), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Model):
    """One row: the chain's last hash. Locked while appending so concurrent writers cannot fork it."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    # After retention pruning, verification starts from this anchor.
    anchor_hash: Mapped[str] = mapped_column(String(64))


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
