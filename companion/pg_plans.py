"""PostgreSQL keeps the plans of the statements every page runs, instead of planning them each time.

A prepared statement is planned once per connection (0.1-0.6 ms of the database's CPU saved per
statement here). But psycopg forgets every prepared statement at each ROLLBACK, in case the transaction
undid a table they name, and nearly every request ends in one: Flask-SQLAlchemy closes the session,
which rolls back whatever a page only read.

A transaction that sent nothing but SELECTs ends the same by COMMIT as by ROLLBACK: there is nothing to
undo, and the locks it took are released either way. Such a transaction ends by COMMIT here, and psycopg
keeps its statements. Anything else (an INSERT, UPDATE or DELETE, a savepoint, a WITH that may write, a
batch) is still rolled back, and so is a transaction already failed: a failed request leaves no trace.

Only the statements marked PLAN_ONCE are prepared: those every page runs whose every step is a lookup
by a key (the session by its token, the profiles an account reaches, its closures and delegations; the
latest document of each key type and the years of a profile's documents, index steps). The others are
planned on each run, as before. A prepared statement may end up with a generic plan, made for an
average profile of 100 documents; on a profile of 10,000 such a plan for the document list sorted all
of them to show 20 (11 ms instead of 0.4). tests/test_plans_at_scale.py checks the generic plans of the
marked statements over documents.
"""

import re
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine

# A read starts with SELECT, SHOW or WITH and names no write anywhere: a CTE may write, SELECT ... INTO
# makes a table, set_config(..., false) outlives a COMMIT; FOR UPDATE counts too, to stay on the safe
# side. A SELECT calling a function of its own that writes would not be seen: the app has none.
_ONLY_READS = re.compile(r"\s*(SELECT|SHOW|WITH)\b(?!.*\b(INSERT|UPDATE|DELETE|MERGE|INTO|SET_CONFIG)\b)",
                         re.IGNORECASE | re.DOTALL)


@lru_cache(maxsize=1024)
def _only_reads(query: str) -> bool:
    """Cached: the statements are SQLAlchemy's cached strings, and the rule scans the whole text."""
    return _ONLY_READS.match(query) is not None


# A statement's execution options (`.execution_options(**PLAN_ONCE)`): prepare it, keep its plan.
PLAN_ONCE = {"companion_plan_once": True}


class _Cursor(psycopg.Cursor):
    """Prepares the statement only when marked PLAN_ONCE; notes on its connection any statement that is
    not a plain SELECT, sent inside a transaction (in autocommit, as the pool's liveness check is, there
    is nothing left to undo)."""

    plan_once = False

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        if not (self.connection.autocommit or (isinstance(query, str) and _only_reads(query))):
            _mark(self.connection)
        kwargs.setdefault("prepare", self.plan_once)
        self.plan_once = False
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
    """Every new connection of this PostgreSQL engine is a `Connection` with `_Cursor`s, told which
    statements are marked PLAN_ONCE."""

    @event.listens_for(engine, "do_connect")
    def connect(dialect: Any, record: Any, cargs: tuple, cparams: dict) -> Connection:
        return Connection.connect(*cargs, cursor_factory=_Cursor, **cparams)

    @event.listens_for(engine, "before_cursor_execute")
    def plan_once(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if context is not None and context.execution_options.get("companion_plan_once"):
            cursor.plan_once = True
