"""Writes that decide a race between requests at the same instant, on SQLite as on PostgreSQL (where
SELECT ... FOR UPDATE would do, SQLite ignores it): both work by writing, so the second request waits
for the first's transaction and then sees what it saved."""

from datetime import datetime

from sqlalchemy import update

from ..extensions import db


def hold(model, column, row_id: int) -> None:
    """Take the row's write lock with a real write (`column` set to itself) before reading what the
    request relies on: PostgreSQL holds the row until commit, SQLite (which ignores SELECT ... FOR UPDATE)
    the whole database. A second request doing the same waits here, then reads what the first saved."""
    db.session.execute(update(model).where(model.id == row_id).values({column: column})
                       .execution_options(synchronize_session=False))


def mark_once(model, column, row_id: int, now: datetime) -> bool:
    """Set a "done at" column only if it is still empty; whether this request set it."""
    done = db.session.execute(update(model).where(model.id == row_id, column.is_(None)).values({column: now})
                              .execution_options(synchronize_session=False))
    return done.rowcount == 1  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult, typed as Result
