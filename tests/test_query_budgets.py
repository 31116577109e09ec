"""How many SQL statements each page runs, asserted: a page that starts to run more has grown a cost
per request (a reload, a query per row). And pages that do not grow with the data: a profile of 2,000
documents costs the same statements and loads the same rows as one of 10."""

import re
import secrets
from datetime import date, timedelta

import pytest
from sqlalchemy import event, insert, select

from companion.extensions import db
from companion.models.audit import AccessEvent
from companion.models.document import Document
from companion.models.types import utcnow
from companion.services import audit

from .cast import helped, sign_up
from .conftest import Browser
from .statements import counted

TYPES = ["11502-2", "18748-4", "57833-6", "11490-0", "60591-5", "11369-6", "89601-9"]
# Statements per page for an owner with one profile: the session, the account and what the banners
# ask about it (one statement), the profiles reached (one statement, for the page header
# X-Profile-Access and, on a profile's page, the access check), then the page's own queries.
BUDGETS = {
    "home": ("/", 4),  # + open invitations and accesses ending soon, together; closures to cancel (banner)
    "agenda": ("/p/{pid}/agenda", 4),
    "family agenda": ("/family", 7),
    # + page, years, pins, key documents; the count (up to 1,001) only when they fill more than a page
    "document list": ("/p/{pid}/documents", 6),
    "document page": ("/p/{pid}/documents/{doc}", 5),
    "offline manifest": ("/offline/manifest.json", 6),  # + one for the emergency cards of every profile
    "access log": ("/p/{pid}/access-log", 5),  # + accesses ended, who appears, the page and one more
    "trash": ("/p/{pid}/documents/trash", 3),
    "download everything": ("/p/{pid}/export", 9),  # + the archive, and the size expected: 2 counts
}


def _add_documents(ctx, pid: int, count: int, start: int = 0, deleted_at=None) -> None:
    rows = [dict(profile_id=pid, deleted_at=deleted_at and deleted_at - timedelta(minutes=i // 2),
                 type_code=TYPES[i % len(TYPES)], class_code="11", title=f"Compte rendu {i}",
                 care_date=None if i % 50 == 0 else date(2000, 1, 1) + timedelta(days=3 * i), source="",
                 size=1000, sha256=secrets.token_hex(32), content_type="application/pdf",
                 storage_key=secrets.token_hex(16), wrapped_key="-", origin="upload")
            for i in range(start, start + count)]
    with ctx():
        db.session.execute(insert(Document), rows)
        db.session.commit()


def _first_doc(ctx, pid: int) -> int:
    with ctx():
        return db.session.scalar(select(Document.id).where(Document.profile_id == pid).order_by(Document.id))


def _measure(app, web: Browser, url: str) -> tuple[list[str], int]:
    """The statements of one request (after a first one, so nothing is done once only) and the
    documents it loaded as objects."""
    assert web.get(url).status_code == 200, url
    loaded = []

    def on_load(target, context):
        loaded.append(target.id)

    event.listen(Document, "load", on_load)
    try:
        with counted(app) as sql:
            assert web.get(url).status_code == 200, url
    finally:
        event.remove(Document, "load", on_load)
    return list(sql), len(loaded)


@pytest.fixture
def owner(app, web, ctx):
    pid = sign_up(web, ctx)
    _add_documents(ctx, pid, 10)
    return pid


@pytest.mark.parametrize("page", sorted(BUDGETS))
def test_each_page_stays_within_its_statement_budget(app, web, ctx, owner, page):
    url, budget = BUDGETS[page]
    sql, _ = _measure(app, web, url.format(pid=owner, doc=_first_doc(ctx, owner)))
    assert len(sql) <= budget, "\n".join(sql)


def test_the_session_and_account_are_read_once_per_request(app, web, ctx, owner):
    for url, _budget in BUDGETS.values():
        sql, _ = _measure(app, web, url.format(pid=owner, doc=_first_doc(ctx, owner)))
        sessions = [s for s in sql if "FROM user_sessions" in s]
        accounts = [s for s in sql if "FROM users" in s and "user_sessions" not in s]
        assert len(sessions) == 1 and "JOIN users" in sessions[0], url
        assert accounts == [], url  # no reload after a commit


def test_the_login_page_runs_no_statement(app):
    web = Browser(app.test_client())
    sql, _ = _measure(app, web, "/login")
    assert sql == []


def test_pages_cost_the_same_with_2000_documents_as_with_10(app, web, ctx, owner):
    pages = ["document list", "document page", "offline manifest"]
    urls = [BUDGETS[p][0].format(pid=owner, doc=_first_doc(ctx, owner)) for p in pages]
    small = [_measure(app, web, url) for url in urls]
    _add_documents(ctx, owner, 1990, start=10)
    large = [_measure(app, web, url) for url in urls]
    for page, (few_sql, _few_rows), (many_sql, many_rows) in zip(pages, small, large, strict=True):
        # A list that fits in one page has counted its documents; a longer one counts them, up to 1,001.
        counts = [sum(s.startswith("SELECT count(*)") for s in sql) for sql in (few_sql, many_sql)]
        assert counts == ([0, 1] if page == "document list" else [0, 0]), page
        assert len(many_sql) == len(few_sql) + counts[1], page
        assert many_rows <= 20 + len(TYPES), page  # at most a page of 20 and the latest of each key type
    # The year filter still offers every year of the profile.
    html = web.get(urls[0]).get_data(as_text=True)
    offered = re.findall(r"<option(?: selected)?>(\d{4})</option>", html)
    assert offered == [str(y) for y in range(2016, 1999, -1)], offered


def test_the_trash_is_paged_by_position_and_every_page_costs_the_same(app, web, ctx, owner):
    _add_documents(ctx, owner, 120, start=100, deleted_at=utcnow())  # deleted two by two: ties on the time
    url, seen, costs = f"/p/{owner}/documents/trash", [], []
    while url:
        sql, _ = _measure(app, web, url)
        html = web.get(url).get_data(as_text=True)
        titles = re.findall(r"<li>(Compte rendu \d+) <span", html)
        seen += titles
        costs.append(len(sql))
        assert len(titles) == (50 if len(seen) <= 100 else 20), url
        more = re.search(r'href="([^"]+)" rel="next"', html)
        url = more and more.group(1).replace("&amp;", "&")
    assert sorted(seen) == sorted(f"Compte rendu {i}" for i in range(100, 220))  # each once, none lost
    assert len(costs) == 3 and len(set(costs)) == 1, costs


def test_a_caregivers_view_writes_its_log_line_in_two_statements_on_postgresql(app, ctx):
    """The owner's log line for a caregiver's read: the chain's head claimed and read in one UPDATE,
    then the entry and the head's new hash (one statement on PostgreSQL, two on SQLite). Not a read of
    the head, then a move, then an insert, then the ORM's flush."""
    _louis, sophie, pid, _d = helped(app, ctx)
    _add_documents(ctx, pid, 3)
    sql, _ = _measure(app, sophie, f"/p/{pid}/documents")
    with ctx():
        postgres = db.engine.dialect.name == "postgresql"
        lines = db.session.scalars(select(AccessEvent).where(AccessEvent.profile_id == pid,
                                                             AccessEvent.actor_role == "caregiver")
                                   .order_by(AccessEvent.seq)).all()
        verdict = audit.verify()
    log = [s for s in sql if "audit_chains" in s or "access_events" in s]
    assert len(log) == (2 if postgres else 3), "\n".join(log)
    assert "FOR UPDATE" not in " ".join(log)
    # Both views are in Louis's log, one after the other in his chain, and the chain verifies.
    assert [line.action for line in lines][-2:] == ["document.list", "document.list"]
    assert lines[-1].seq == lines[-2].seq + 1 and lines[-1].prev_hash == lines[-2].hash
    assert verdict.ok, verdict
