"""What PostgreSQL reads to answer the statements behind the pages and the minute's jobs, asserted from
its own account (EXPLAIN ANALYZE): the few rows each answer needs, however long the site's history. Each
test sets up the history that once made a statement read it all: a profile of thousands of undated
documents (every list walked the whole table's primary key: 80 ms), an access log whose entries of this
account are old (400 ms), everybody's trash, delegations ended long ago (the home page, 50 ms), many
accounts (each login), reminders and e-mails sent or given up over the years (the minute's claim),
delegations made over the years (the hour's jobs).

The plan PostgreSQL keeps for a prepared statement (pg_plans, PLAN_ONCE) is made for no profile in
particular: it is checked here too, forced (plan_cache_mode = force_generic_plan)."""

import re
import secrets
from datetime import date, timedelta

import pytest
from sqlalchemy import event, insert, text
from sqlalchemy.dialects import postgresql

from companion.extensions import db
from companion.models.account import User
from companion.models.agenda import Reminder
from companion.models.audit import AccessEvent
from companion.models.delegation import Delegation
from companion.models.document import Document
from companion.models.mail import OutgoingMail
from companion.models.push import PushDelivery
from companion.models.types import utcnow
from companion.services import access_log, accounts, delegation_rows, delivery, documents, mail, reminders
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
    the same values (in a transaction rolled back after: a replayed DELETE removes nothing)."""
    sent: list[tuple[str, dict]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if f"FROM {table}" in statement or f"JOIN {table}" in statement or f"UPDATE {table}" in statement:
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert sent, "nothing was read from " + table
    conn, total = db.session.connection(), 0
    for statement, parameters in sent:
        found = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar()
        total += sum(n["Actual Rows"] * n["Actual Loops"] + n.get("Rows Removed by Filter", 0)
                     + n.get("Rows Removed by Index Recheck", 0)
                     for n in _nodes(found[0]["Plan"]) if n.get("Relation Name") == table)
    db.session.rollback()
    return total


def _analyze(*tables: str) -> None:
    db.session.commit()
    db.session.execute(text("ANALYZE " + ", ".join(tables)))
    db.session.commit()


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
        _analyze("access_events")
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
        _analyze("documents")
        access = owner_access(profile, "self")
        page, after = documents.trashed(access)
        assert len(page) == documents.TRASH_PAGE and after
        # A page and the entry that says there is another; the next page starts where this one ended
        # (and reads the entry that marks the place).
        assert _rows_read_by(lambda: documents.trashed(access), "documents") <= documents.TRASH_PAGE + 1
        assert _rows_read_by(lambda: documents.trashed(access, after=after),
                             "documents") <= documents.TRASH_PAGE + 2


def test_the_home_page_reads_the_accounts_own_delegations_not_everyones(ctx, pg):
    """3,000 delegations ended elsewhere; Anna is invited once, and one access to her profile ends soon."""
    with ctx():
        anna, louis = make_person("anna"), make_person("louis")
        own = accounts.own_profile(anna)
        elsewhere = [make_profile(first_name=f"Autre {i}") for i in range(30)]
        db.session.flush()
        now = utcnow()
        ended = [dict(profile_id=elsewhere[i % 30].id, caregiver_id=louis.id, scopes="agenda",
                      see_hidden=False, created_at=now - timedelta(days=400),
                      accepted_at=now - timedelta(days=400), expires_at=now + timedelta(days=100),
                      revoked_at=now - timedelta(days=10), label="")
                 for i in range(3000)]
        ending = dict(profile_id=own.id, caregiver_id=louis.id, scopes="agenda", see_hidden=False, label="",
                      created_at=now - timedelta(days=100), accepted_at=now - timedelta(days=100),
                      expires_at=now + timedelta(days=3))
        invited = dict(profile_id=elsewhere[0].id, caregiver_id=anna.id, scopes="agenda", see_hidden=False,
                       label="", created_at=now, invitation_expires_at=now + timedelta(days=7),
                       expires_at=now + timedelta(days=180))
        db.session.execute(insert(Delegation), [*ended, ending, invited])
        _analyze("delegations", "profile_owners")
        invitations, endings = delegation_rows.for_home(anna)
        assert len(invitations) == 1 and len(endings) == 1
        assert _rows_read_by(lambda: delegation_rows.for_home(anna), "delegations") <= 6


def test_a_login_finds_its_account_by_the_index(ctx, pg):
    with ctx():
        anna = make_person("anna")
        db.session.execute(insert(User), [dict(email=f"p{i}@bench.example", password_hash="-", locale="fr",
                                               display_name=f"P {i}", timezone="Europe/Paris", role="person",
                                               created_at=utcnow()) for i in range(5000)])
        _analyze("users")
        typed = "  " + anna.email.upper() + " "
        assert accounts.find_by_email(typed).id == anna.id
        assert _rows_read_by(lambda: accounts.find_by_email(typed), "users") <= 1


def _reminder(uid: int, pid: int, i: int, at, **state) -> dict:
    return dict(key=f"bench-{i}", user_id=uid, profile_id=pid, kind="prevention", item_ref="r", due_at=at,
                scheduled_at=at, attempts=0, fence=0, **state)


def test_what_waits_to_be_sent_is_read_from_a_small_index_however_long_the_history(ctx, pg):
    """20,000 reminders sent and 5,000 given up over two years, 20,000 e-mails sent and 2,000 given up,
    20,000 push results of the last days: the minute's claim, count and pruning read what waits."""
    with ctx():
        anna = make_person("anna")
        uid, pid = anna.id, accounts.own_profile(anna).id
        now, old = utcnow(), utcnow() - timedelta(days=300)
        rows = [_reminder(uid, pid, i, old + timedelta(minutes=i), sent_at=old + timedelta(minutes=i))
                for i in range(20000)]
        rows += [_reminder(uid, pid, 20000 + i, old + timedelta(minutes=i), failed_at=old)
                 for i in range(5000)]
        rows += [_reminder(uid, pid, 30000 + i, now - timedelta(minutes=i)) for i in range(10)]
        db.session.execute(insert(Reminder), rows)
        mails = [dict(recipient="a@example.fr", locale="fr", kind="k", subject="s", body="b", attempts=1,
                      created_at=old, sent_at=old if i % 10 else None, failed_at=None if i % 10 else old)
                 for i in range(22000)]
        waiting = [dict(mails[0], sent_at=None, failed_at=None)] * 5
        db.session.execute(insert(OutgoingMail), [*mails, *waiting])
        db.session.execute(insert(PushDelivery), [dict(status=201, result="sent", detail="",
                                                       at=now - timedelta(minutes=i)) for i in range(20000)])
        _analyze("reminders", "mail_outbox", "push_deliveries")
        assert delivery.due_count(now) == 10 and len(mail.due_ids(now)) == 5
        assert _rows_read_by(lambda: delivery.due_count(now), "reminders") <= 10
        assert _rows_read_by(lambda: mail.due_ids(now), "mail_outbox") <= 5
        assert _rows_read_by(lambda: reminders.prune(now), "push_deliveries") <= 1
        assert _rows_read_by(lambda: delivery.claim(now), "reminders") <= 2 * 10


def test_the_who_filter_reads_a_step_per_person_not_the_whole_history(ctx, pg):
    """8,000 entries of her profile by 4 people, among 40,000 of others."""
    with ctx():
        anna = make_person("anna")
        pid = accounts.own_profile(anna).id
        rows = [dict(r, actor_id=anna.id + r["seq"] % 4, actor_name=f"P{r['seq'] % 4}")
                for r in _log_rows(f"p:{pid}", 1, 8000, profile_id=pid)]
        for other in range(20):
            rows += _log_rows(f"p:{1000 + other}", 1, 2000, profile_id=1000 + other)
        db.session.execute(insert(AccessEvent), rows)
        _analyze("access_events")
        mine = access_log.Filters(profile_ids=(pid,), account_id=anna.id)
        assert len(access_log.actors(mine)) == 4
        # Per person and log: the next person, and their newest entry (two steps of an index each).
        assert _rows_read_by(lambda: access_log.actors(mine), "access_events") <= 4 * (4 + 1) * 2


def test_the_hours_delegation_jobs_read_what_is_due_not_every_delegation(ctx, pg):
    """4,000 delegations over the years (ended by someone, or expired with their line logged and their
    warning sent) and 2,000 running for months yet: the hour's two jobs read the one that just ended
    and the one ending within the week, not all of them (each read every delegation ever made)."""
    from companion.services import delegation_mail, delegations

    with ctx():
        louis = make_person("louis")
        profiles = [make_profile(first_name=f"Autre {i}") for i in range(20)]
        db.session.flush()
        now = utcnow()

        def row(i: int, **state) -> dict:
            return dict(profile_id=profiles[i % 20].id, caregiver_id=louis.id, scopes="agenda",
                        see_hidden=False, label="", created_at=now - timedelta(days=800),
                        accepted_at=now - timedelta(days=800), **state)

        past = [row(i, expires_at=now + timedelta(days=100), revoked_at=now - timedelta(days=i % 700 + 1))
                for i in range(2000)]
        past += [row(i, expires_at=now - timedelta(days=i % 700 + 1), expiry_logged_at=now,
                     reminded_at=now - timedelta(days=i % 700 + 8)) for i in range(2000)]
        running = [row(i, expires_at=now + timedelta(days=30 + i % 300)) for i in range(2000)]
        due = [row(0, expires_at=now - timedelta(hours=1)), row(1, expires_at=now + timedelta(days=3))]
        db.session.execute(insert(Delegation), past + running + due)
        _analyze("delegations")
        assert _rows_read_by(lambda: delegations.note_expired(now), "delegations") <= 2
        assert _rows_read_by(lambda: delegation_mail.warn_ending_soon(now), "delegations") <= 2
        assert delegations.note_expired(now) == 1 and delegation_mail.warn_ending_soon(now) == 1


def test_the_newest_documents_offered_by_the_forms_are_read_in_order(ctx, scanned):
    """The share form offers the 30 newest of 3,000 documents, the emergency card's the 20 newest
    prescriptions: read from the index in that order, not sorted from the profile's every row."""
    with ctx():
        from companion.models.profile import Profile

        access = owner_access(db.session.get(Profile, scanned), "self")
        assert _rows_read_by(lambda: documents.newest(access, 30), "documents") <= 30
        newest = documents.newest(access, 30)
        assert [d.care_date for d in newest] == sorted((d.care_date for d in newest), reverse=True)


def test_forgetting_old_reminders_reads_those_it_forgets(ctx, pg):
    """20,000 prevention reminders sent over two years (kept: they stop a late item being reminded
    again) and 5,000 digests sent this month: the hour's forgetting of 100 digests sent long ago reads
    those, not the 25,100 rows (each run read every reminder ever planned)."""
    with ctx():
        anna = make_person("anna")
        pid = accounts.own_profile(anna).id
        now = utcnow()
        rows = [_reminder(anna.id, pid, i, now - timedelta(days=30 + i % 700), sent_at=now)
                for i in range(20000)]
        rows += [dict(_reminder(anna.id, pid, 20000 + i, now - timedelta(days=100 + i), sent_at=now),
                      kind="digest") for i in range(100)]
        rows += [dict(_reminder(anna.id, pid, 30000 + i, now - timedelta(minutes=i), sent_at=now),
                      kind="digest") for i in range(5000)]
        db.session.execute(insert(Reminder), rows)
        _analyze("reminders")
        assert _rows_read_by(lambda: reminders.forget_old(now), "reminders") <= 2 * 100
        assert reminders.forget_old(now) == 0  # done by the measured call
        assert db.session.scalar(text("SELECT count(*) FROM reminders")) == 25000
