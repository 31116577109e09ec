"""PostgreSQL keeps the plans of the statements a worker runs on every page.

psycopg prepares a statement once a connection has run it 5 times, so PostgreSQL plans it once instead of
on each run (0.05-0.6 ms of the database's CPU per statement here). But psycopg forgets every prepared
statement at each ROLLBACK, in case the transaction undid a table they name, and nearly every request
ends in one: Flask-SQLAlchemy closes the session, which rolls back whatever a page only read. So no
statement ever reached its 5th run and every page was planned from scratch.

A transaction that sent nothing but SELECTs ends the same by COMMIT as by ROLLBACK: there is nothing to
undo, and the locks it took are released either way. Such a transaction ends by COMMIT here, and psycopg
keeps its statements. Anything else (an INSERT, UPDATE or DELETE, a savepoint, a WITH that may write, a
batch) is still rolled back, and so is a transaction already failed: a failed request leaves no trace.
"""

import re
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine

# A read starts with SELECT, SHOW or WITH and names no write anywhere (a CTE may write; FOR UPDATE
# counts as one too, to stay on the safe side).
_ONLY_READS = re.compile(r"\s*(SELECT|SHOW|WITH)\b(?!.*\b(INSERT|UPDATE|DELETE|MERGE)\b)",
                         re.IGNORECASE | re.DOTALL)


@lru_cache(maxsize=1024)
def _only_reads(query: str) -> bool:
    """Cached: the statements are SQLAlchemy's cached strings, and the rule scans the whole text."""
    return _ONLY_READS.match(query) is not None


class _Cursor(psycopg.Cursor):
    """Notes on its connection any statement that is not a plain SELECT, sent inside a transaction (in
    autocommit, as the pool's liveness check is, there is nothing left to undo)."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        if not (self.connection.autocommit or (isinstance(query, str) and _only_reads(query))):
            _mark(self.connection)
        return super().execute(query, params, **kwargs)

    def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> None:
        _mark(self.connection)
        super().executemany(query, params_seq, **kwargs)


class Connection(psycopg.Connection):
    """A ROLLBACK of a transaction that only read is sent as a COMMIT (see the module's docstring)."""

    wrote = False

    def commit(self) -> None:
        super().commit()
        self.wrote = False

    def rollback(self) -> None:
        if not self.wrote and self.info.transaction_status == TransactionStatus.INTRANS:
            super().commit()
        else:
            super().rollback()
        self.wrote = False


def _mark(connection: Any) -> None:
    connection.wrote = True


def install(engine: Engine) -> None:
    """Every new connection of this PostgreSQL engine is a `Connection` with `_Cursor`s."""

    @event.listens_for(engine, "do_connect")
    def connect(dialect: Any, record: Any, cargs: tuple, cparams: dict) -> Connection:
        return Connection.connect(*cargs, cursor_factory=_Cursor, **cparams)
