"""What PostgreSQL reads to answer the statements behind every list, document page and offline copy,
asserted from its own account (EXPLAIN ANALYZE): a few index entries per answer, whatever the profile
holds. A profile of thousands of undated documents (old papers scanned without a date) once made every
one of its pages walk the whole table's primary key: 80 ms each, for a handful of rows shown.

The plan PostgreSQL keeps for a prepared statement (pg_plans, PLAN_ONCE) is made for no profile in
particular: it is checked here too, forced (plan_cache_mode = force_generic_plan)."""

import re
import secrets
from datetime import date, timedelta

import pytest
from sqlalchemy import event, insert, text
from sqlalchemy.dialects import postgresql

from companion.extensions import db
from companion.models.audit import AccessEvent
from companion.models.document import Document
from companion.models.types import utcnow
from companion.services import access_log, accounts, documents
from companion.services.access import owner_access
from companion.services.document_list import _years_statement
from companion.services.offline_documents import _latest_statement, key_types

from .cast import make_person, make_profile


@pytest.fixture
def pg(backend):
    if backend != "postgresql":
        pytest.skip("SQLite has one plan shape and no plan cache: these are PostgreSQL's plans")


def _documents(pid: int, count: int, *, undated_every: int) -> list[dict]:
    codes = key_types()
    return [dict(profile_id=pid, type_code=codes[i % len(codes)], class_code="11", title=f"Scan {i}",
                 care_date=None if i % undated_every == 0 else date(2000, 1, 1) + timedelta(days=i % 9000),
                 source="", size=10, sha256=secrets.token_hex(32), content_type="application/pdf",
                 storage_key=secrets.token_hex(16), wrapped_key="-", origin="upload")
            for i in range(count)]


@pytest.fixture
def scanned(ctx, pg):
    """A profile of 3,000 documents, one in two undated, added first (lowest ids), then 6,000 of other
    profiles: the shape that made the latest undated document of a type a walk of the whole table."""
    with ctx():
        mine = make_profile(make_person("anna"))
        others = [make_profile(first_name=f"Autre {i}") for i in range(3)]
        db.session.flush()
        db.session.execute(insert(Document), _documents(mine.id, 3000, undated_every=2))
        for other in others:
            db.session.execute(insert(Document), _documents(other.id, 2000, undated_every=97))
        db.session.commit()
        db.session.execute(text("ANALYZE documents"))
        db.session.commit()
        return mine.id


def _server_sql(statement) -> tuple[str, dict]:
    """The statement as PostgreSQL receives it, the profile as $1, the other values written in."""
    compiled = statement.compile(dialect=postgresql.dialect())
    sql = re.sub(r"%\(profile_id\)s(::INTEGER)?", "$1::integer", str(compiled))
    for name, value in compiled.params.items():
        if name != "profile_id":
            literal = "'" + str(value).replace("'", "''") + "'" if isinstance(value, str) else str(value)
            sql = sql.replace(f"%({name})s", literal)
    return sql, compiled.params


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _explain(statement, pid: int, mode: str) -> list[dict]:
    """The plan PostgreSQL runs for this profile, `mode` being its plan_cache_mode, with what each step
    read."""
    sql, _ = _server_sql(statement)
    conn = db.session.connection()
    conn.exec_driver_sql(f"SET LOCAL plan_cache_mode = {mode}")
    conn.exec_driver_sql(f"PREPARE probe AS {sql}")
    try:
        found = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE probe({pid})").scalar()
    finally:
        conn.exec_driver_sql("DEALLOCATE probe")
    return list(_nodes(found[0]["Plan"]))


def _rows_read(nodes: list[dict]) -> int:
    """Rows the scans of the table produced plus those they read and threw away."""
    return sum(n["Actual Rows"] * n["Actual Loops"] + n.get("Rows Removed by Filter", 0)
               for n in nodes if n.get("Relation Name") == "documents")


@pytest.mark.parametrize("mode", ["force_custom_plan", "force_generic_plan"])
def test_the_latest_document_of_each_key_type_is_a_few_index_steps(ctx, scanned, mode):
    with ctx():
        codes = key_types()
        nodes = _explain(_latest_statement(codes, False), scanned, mode)
    scans = [n for n in nodes if "Scan" in n["Node Type"]]
    assert len(scans) == 2 * len(codes)  # a dated and an undated candidate per type
    assert {n.get("Index Name") for n in scans} == {"ix_documents_profile_type_date"}, scans
    assert not [n for n in nodes if n["Node Type"] == "Sort"]  # read in the index's order: no sort
    # One entry per candidate: 1,500 undated documents of this profile are not read to find the newest.
    assert _rows_read(nodes) <= 2 * len(codes), _rows_read(nodes)


@pytest.mark.parametrize("mode", ["force_custom_plan", "force_generic_plan"])
def test_the_years_filter_reads_one_entry_per_year(ctx, scanned, mode):
    with ctx():
        nodes = _explain(_years_statement("postgresql", False), scanned, mode)
    years = len({(date(2000, 1, 1) + timedelta(days=i % 9000)).year for i in range(3000) if i % 2})
    # Per year: the newest date before it, one step down the index (and its first try, empty).
    assert _rows_read(nodes) <= 2 * (years + 1), (_rows_read(nodes), years)
    assert not [n for n in nodes if n["Node Type"] in ("Sort", "Seq Scan")]


def _rows_read_by(call, table: str) -> int:
    """Runs `call`, then asks PostgreSQL what each of its statements over `table` read, replayed with
    the same values."""
    sent: list[tuple[str, dict]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if f"FROM {table}" in statement or f"JOIN {table}" in statement:
            sent.append((statement, parameters))

    conn = db.session.connection()
    event.listen(conn, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(conn, "before_cursor_execute", record)
    assert sent, "nothing was read from " + table
    total = 0
    for statement, parameters in sent:
        found = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar()
        total += sum(n["Actual Rows"] * n["Actual Loops"] + n.get("Rows Removed by Filter", 0)
                     + n.get("Rows Removed by Index Recheck", 0)
                     for n in _nodes(found[0]["Plan"]) if n.get("Relation Name") == table)
    return total


def _log_rows(chain: str, first: int, count: int, *, profile_id=None, account_id=None) -> list[dict]:
    at = utcnow() - timedelta(days=300)
    return [dict(at=at + timedelta(seconds=first + i), actor_id=None, actor_name="", actor_role="system",
                 profile_id=profile_id, account_id=account_id, action="profile.view", object_type="",
                 object_id="", object_label="", chain=chain, seq=first + i, prev_hash="0" * 64,
                 hash=secrets.token_hex(32)) for i in range(count)]


def test_a_page_of_ones_access_log_reads_that_page_not_the_whole_log(ctx, pg):
    """Anna's 600 entries (her profile's and her account's) are the oldest of a log of 40,000."""
    with ctx():
        anna = make_person("anna")
        pid = accounts.own_profile(anna).id
        rows = _log_rows(f"p:{pid}", 1, 500, profile_id=pid) + _log_rows(f"a:{anna.id}", 1, 100,
                                                                         account_id=anna.id)
        for other in range(40):
            rows += _log_rows(f"p:{1000 + other}", 1, 1000, profile_id=1000 + other)
        db.session.execute(insert(AccessEvent), rows)
        db.session.commit()
        db.session.execute(text("ANALYZE access_events"))
        db.session.commit()
        mine = access_log.Filters(profile_ids=(pid,), account_id=anna.id)
        first = access_log.page(mine, size=50)
        assert len(first.events) == 50 and first.older and not first.newer
        # Each of her two logs gives at most a page (and one entry for "is there more?" each way).
        assert _rows_read_by(lambda: access_log.page(mine, size=50), "access_events") <= 2 * 50 + 4 * 2
        assert _rows_read_by(lambda: access_log.page(mine, before=first.older, size=50),
                             "access_events") <= 2 * 50 + 4 * 2


def test_a_page_of_ones_trash_reads_that_page_not_the_sites_trash(ctx, pg):
    """Anna keeps 5,000 documents and put 120 in the trash a month ago; others put 20,000 there since."""
    with ctx():
        profile = accounts.own_profile(make_person("anna"))
        others = [make_profile(first_name=f"Autre {i}") for i in range(4)]
        db.session.flush()
        long_ago, lately = utcnow() - timedelta(days=28), utcnow() - timedelta(hours=1)
        rows = [dict(r, deleted_at=long_ago + timedelta(seconds=i) if i < 120 else None)
                for i, r in enumerate(_documents(profile.id, 5000, undated_every=5))]
        for other in others:
            rows += [dict(r, deleted_at=lately - timedelta(seconds=i))
                     for i, r in enumerate(_documents(other.id, 5000, undated_every=5))]
        db.session.execute(insert(Document), rows)
        db.session.commit()
        db.session.execute(text("ANALYZE documents"))
        db.session.commit()
        access = owner_access(profile, "self")
        page, after = documents.trashed(access)
        assert len(page) == documents.TRASH_PAGE and after
        # A page and the entry that says there is another; the next page starts where this one ended
        # (and reads the entry that marks the place).
        assert _rows_read_by(lambda: documents.trashed(access), "documents") <= documents.TRASH_PAGE + 1
        assert _rows_read_by(lambda: documents.trashed(access, after=after),
                             "documents") <= documents.TRASH_PAGE + 2
