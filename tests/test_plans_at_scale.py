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
from sqlalchemy import insert, text
from sqlalchemy.dialects import postgresql

from companion.extensions import db
from companion.models.document import Document
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
