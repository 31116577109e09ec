"""The pool checks a database connection before lending it only when it sat unused for a while.

SQLAlchemy's `pool_pre_ping` sends a round trip before every request: one of the five a signed-in page
pays before its own statements (the check, BEGIN, the session, the profiles, the end of the
transaction). A connection that served a request less than a second ago was alive then. What kills
connections (a database restart, a failover, a proxy's idle timeout) leaves them unused for longer
than that, since the database is away for seconds: those are checked, and a dead one is replaced
before any request sees it, and every connection of the pool opened before the failure is replaced
with it. What this gives up: an outage shorter than the window (a proxy reconnecting at once, an
administrator terminating a connection) fails the requests lent a connection used just before it, at
most one a worker thread; the first failure makes SQLAlchemy replace every connection of the pool.
tests/test_pool_check.py shows both sides."""

from time import monotonic
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

CHECK_AFTER_IDLE_SECONDS = 1.0


def install(engine: Engine, idle_seconds: float = CHECK_AFTER_IDLE_SECONDS) -> None:
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def connected(dbapi_connection: Any, record: Any) -> None:
        record.info["companion_used_at"] = monotonic()  # just opened: alive

    @event.listens_for(engine, "checkin")
    def returned(dbapi_connection: Any, record: Any) -> None:
        record.info["companion_used_at"] = monotonic()

    @event.listens_for(engine, "checkout")
    def lent(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        used_at = record.info.get("companion_used_at")
        if used_at is not None and monotonic() - used_at < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                # The pool lends a new connection, and replaces every one opened before this failure
                # (as SQLAlchemy's own pre-ping does): they went through the same outage.
                raise exc.InvalidatePoolError() from error
            raise
