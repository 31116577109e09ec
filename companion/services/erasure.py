"""Deleting every row that points at a profile or an account, found from the models' foreign keys, so a
table added later is covered without a change here. This app does not turn SQLite's foreign keys on, so
the database's ON DELETE is done here on both databases: CASCADE deletes the rows pointing at a deleted
row (and theirs), SET NULL clears the column. The access log (RETAINED) is left as it is: the law keeps
it (config AUDIT_RETENTION_MONTHS), and its columns name ids without being foreign keys (migration 0023).

A few columns hold an id without a foreign key; `forget_loose_ids` clears them."""

from sqlalchemy import Column, Table, delete, select, update

from ..extensions import db
from ..models.agenda import ReminderPreference
from ..models.audit import RefusalCount
from ..models.mail import OutgoingMail

RETAINED = frozenset({"access_events", "audit_chains", "audit_checkpoints"})


def _pk(table: Table) -> Column:
    (column,) = table.primary_key.columns  # every table here has a one-column primary key
    return column


def _pointing_at(table: Table):
    for child in db.metadata.sorted_tables:
        if child.name in RETAINED:
            continue
        for fk in child.foreign_keys:
            if fk.column.table is table:
                yield child, fk


def remove(table: Table, ids: list) -> int:
    """Delete these rows of `table` and, first, what points at them. Flushes nothing else; the caller
    commits once, so a failure leaves everything as it was."""
    if not ids:
        return 0
    for child, fk in _pointing_at(table):
        column = fk.parent
        if fk.ondelete == "CASCADE":
            remove(child, list(db.session.scalars(select(_pk(child)).where(column.in_(ids)))))
        else:  # SET NULL: the row is someone else's (a document a caregiver added names her)
            db.session.execute(update(child).where(column.in_(ids)).values({column.name: None})
                               .execution_options(synchronize_session=False))
    result = db.session.execute(delete(table).where(_pk(table).in_(ids))
                                .execution_options(synchronize_session=False))
    return result.rowcount or 0  # type: ignore[attr-defined]  # a DELETE gives a CursorResult


def forget_loose_ids(profile_ids: list[int], account_id: int | None, email: str | None) -> None:
    """Ids kept without a foreign key: refusal counters (the chained entry stays in the log), profiles
    muted in another account's reminder settings, and mail still addressed to a closed account."""
    if profile_ids:
        db.session.execute(delete(RefusalCount).where(RefusalCount.profile_id.in_(profile_ids)))
    if account_id is not None:
        db.session.execute(delete(RefusalCount).where(RefusalCount.actor_id == account_id))
    if email:
        db.session.execute(delete(OutgoingMail).where(OutgoingMail.recipient == email))
    gone = {str(p) for p in profile_ids}
    for pref in db.session.scalars(select(ReminderPreference).where(ReminderPreference.muted_profiles != "")):
        kept = [p for p in pref.muted_profiles.split() if p not in gone]
        if len(kept) != len(pref.muted_profiles.split()):
            pref.muted_profiles = " ".join(kept)
    db.session.flush()
