"""Counting the SQL statements a request runs, with a SQLAlchemy event listener on the app's engine."""

from contextlib import contextmanager

from sqlalchemy import event

from companion.extensions import db


@contextmanager
def counted(app):
    """`with counted(app) as sql:` ... `sql` lists every statement the engine ran meanwhile."""
    statements: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listen)
