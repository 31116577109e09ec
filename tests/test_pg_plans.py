"""PostgreSQL plans the statements every page runs once per worker connection, not on every request
(companion/pg_plans.py): a transaction that only read ends by COMMIT, which keeps psycopg's prepared
statements, while anything that wrote is still rolled back and leaves no trace. The statements that
list a profile's documents are planned on each run: a plan kept for an average profile is wrong for a
big one."""

import pytest
from sqlalchemy import event, text

from companion.extensions import db


@pytest.fixture
def pg(backend):
    if backend != "postgresql":
        pytest.skip("SQLite has no server to plan statements: this is PostgreSQL's path")


def _prepared(conn) -> list[str]:
    return list(conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars())


def test_the_home_page_is_planned_once_not_on_every_request(app, web, pg):
    web.register(email="anna@example.fr")
    with app.app_context():
        db.engine.dispose()  # one request at a time: every request below runs on this one new connection
    for _ in range(8):
        assert web.get("/").status_code == 200
    sent: list[str] = []

    def record(conn, cursor, statement, *args):
        sent.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert web.get("/").status_code == 200
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", record)
    page = {s for s in sent if s.lstrip().upper().startswith("SELECT")}
    with app.app_context(), db.engine.connect() as conn:
        prepared = _prepared(conn)
    # psycopg sends %(name)s as $n: compare the statements up to their first parameter.
    assert len(page) >= 4 and {s.split("%(")[0] for s in page} <= {s.split("$")[0] for s in prepared}, (
        page, prepared)
    assert any("FROM user_sessions" in s for s in prepared)


def test_the_lists_of_documents_are_planned_for_the_profile_they_show(app, web, ctx, pg):
    """On a profile of 10,000 documents, a plan kept from smaller ones sorted them all to show 20."""
    from .cast import sign_up

    pid = sign_up(web, ctx)
    with app.app_context():
        db.engine.dispose()
    for _ in range(8):
        assert web.get(f"/p/{pid}/documents").status_code == 200
    with app.app_context(), db.engine.connect() as conn:
        prepared = _prepared(conn)
    assert any("FROM user_sessions" in s for s in prepared)  # the page's session lookup is kept ...
    over_documents = [s for s in prepared if "FROM documents" in s or "JOIN documents" in s]
    # ... and the two made of index steps (tests/test_plans_at_scale.py checks their generic plans) ...
    assert any(s.lstrip().startswith("WITH RECURSIVE years") for s in over_documents), over_documents
    assert any(s.count("UNION ALL") >= 3 for s in over_documents), over_documents
    # ... but not the rows of the page, their count or the pins: their best plan depends on the profile.
    assert len(over_documents) == 2, over_documents


def test_a_transaction_that_wrote_is_still_rolled_back(app, pg):
    with app.app_context(), db.engine.connect() as conn:
        conn.execute(text("CREATE TEMPORARY TABLE scratch (v integer)"))
        conn.commit()
        writes = ["INSERT INTO scratch VALUES (1)",
                  "WITH w AS (INSERT INTO scratch VALUES (2) RETURNING v) SELECT v FROM w",
                  "SELECT v FROM scratch FOR UPDATE"]
        for statement in writes:
            conn.execute(text("SELECT count(*) FROM scratch"))  # a read first: the rule looks at them all
            conn.execute(text(statement))
            conn.rollback()
            assert conn.execute(text("SELECT count(*) FROM scratch")).scalar() == 0, statement
            conn.rollback()
        # Reads in form only: a table made by SELECT ... INTO, a setting set for the whole session.
        conn.execute(text("SELECT v INTO TEMPORARY made FROM scratch"))
        conn.execute(text("SELECT set_config('companion.probe', 'kept', false)"))
        conn.rollback()
        assert conn.execute(text("SELECT to_regclass('pg_temp.made')")).scalar() is None
        assert conn.execute(text("SELECT current_setting('companion.probe', true)")).scalar() in (None, "")
        conn.rollback()


def test_a_failed_transaction_is_rolled_back_and_the_connection_serves_again(app, pg):
    with app.app_context(), db.engine.connect() as conn:
        with pytest.raises(Exception, match="division by zero"):
            conn.execute(text("SELECT 1 / 0"))
        conn.rollback()
        assert conn.execute(text("SELECT 2")).scalar() == 2


def test_reads_ended_by_rollback_keep_their_prepared_statement(app, pg):
    from companion.pg_plans import PLAN_ONCE

    with app.app_context(), db.engine.connect() as conn:
        marked = text("SELECT count(*) FROM users WHERE id > :n").execution_options(**PLAN_ONCE)
        unmarked = text("SELECT count(*) FROM users WHERE id < :n")
        for n in range(7):
            conn.execute(marked, {"n": n})
            conn.execute(unmarked, {"n": n})
            conn.rollback()
        prepared = _prepared(conn)
        assert any("FROM users WHERE id >" in s for s in prepared)
        assert not any("FROM users WHERE id <" in s for s in prepared)
