"""The document store's upkeep costs what is due, not what is stored: files whose row never committed
are found by the hourly housekeeping a 24th of the store at a time (each folder once a day, and only
that folder's keys read from the database), and a file whose delete failed is found the same way."""

import os
import secrets
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from companion.extensions import db
from companion.models.document import Document
from companion.services import documents, store_upkeep
from companion.services.store_upkeep import PREFIXES, hour_prefixes

from .cast import make_person, make_profile, sign_up
from .documents_support import PDF, _empty_document_store, doc_id, upload  # noqa: F401 (a fixture)
from .races import at_once
from .test_plans_at_scale import _analyze, _rows_read_by, pg  # noqa: F401 (pg: a fixture)


def _at_hour(hour: int) -> datetime:
    """The next time the clock (UTC) shows this hour: the sweep's `now`, files aged from the real one."""
    now = datetime.now(UTC)
    return now + timedelta(hours=(hour - now.hour) % 24)


@pytest.fixture
def owner(web, ctx):
    return sign_up(web, ctx)


def _orphan(store, prefix: str, age: timedelta = timedelta(hours=2)) -> str:
    key = prefix + secrets.token_hex(15)
    store.put(key, b"CPD1 a file whose row never committed")
    when = (datetime.now(UTC) - age).timestamp()
    os.utime(store._path(key), (when, when))
    return key


def test_every_folder_is_swept_once_a_day_and_a_living_file_never(app, web, ctx, owner):
    doc = doc_id(upload(web, owner, PDF))
    with app.test_request_context():
        store = documents.storage()
        live = db.session.get(Document, doc).storage_key
        old = (datetime.now(UTC) - timedelta(days=3)).timestamp()
        os.utime(store._path(live), (old, old))
        now = datetime.now(UTC)
        first = hour_prefixes(now.hour)
        # Pairs, not a dict: at 00:xx or 23:xx this hour's first folder is also one of the fixed ones.
        orphans = [(p, _orphan(store, p)) for p in ("00", "17", "18", "a5", "ff", live[:2], first[0])]
        young = _orphan(store, first[0], age=timedelta(minutes=10))  # an upload may still be committing it

        assert store_upkeep.sweep_hour(now) == sum(p in first for p, _ in orphans)
        left = set(store.keys())
        assert {k for p, k in orphans if p in first}.isdisjoint(left) and young in left
        assert {k for p, k in orphans if p not in first} <= left  # the other hours' folders

        for hour in range(1, 25):
            store_upkeep.sweep_hour(now + timedelta(hours=hour))
        assert set(store.keys()) == {live}  # the young one too, a day later
    assert web.get(f"/p/{owner}/documents/{doc}/file").get_data() == PDF


def test_the_hours_of_a_day_share_the_folders_exactly():
    shares = [hour_prefixes(hour) for hour in range(24)]
    assert sorted(p for share in shares for p in share) == sorted(PREFIXES)
    assert max(map(len, shares)) - min(map(len, shares)) <= 1  # 10 or 11 folders each hour


def test_a_file_whose_delete_failed_is_found_by_the_sweep(app, ctx, web, owner, monkeypatch):
    doc = doc_id(upload(web, owner, PDF, title="Ancien bilan"))
    with app.test_request_context():
        row = db.session.get(Document, doc)
        row.deleted_at = datetime.now(UTC) - timedelta(days=31)
        key = row.storage_key
        db.session.commit()
        store = documents.storage()

        def unavailable(_key):
            raise OSError("the disk is busy")

        monkeypatch.setattr(store, "delete", unavailable)
        assert documents.purge_trash() == 1  # the rows go; the file stays, logged
        monkeypatch.undo()
        assert key in store.keys()
        old = (datetime.now(UTC) - timedelta(hours=2)).timestamp()
        os.utime(store._path(key), (old, old))
        hour = next(h for h in range(24) if key[:2] in hour_prefixes(h))
        store_upkeep.sweep_hour(_at_hour((hour + 1) % 24))
        assert key in store.keys()  # another hour's folders
        assert store_upkeep.sweep_hour(_at_hour(hour)) == 1
    with app.test_request_context():
        assert key not in documents.storage().keys()



@pytest.mark.usefixtures("pg")  # PostgreSQL only
def test_the_hours_sweep_reads_its_folders_keys_not_every_documents(app, ctx):
    """6,000 documents; the sweep of one hour reads the keys of its 10 or 11 folders (about 250), from
    the unique index, not the 6,000 rows (it read them all, and listed the whole store, every hour)."""
    with ctx():
        pid = make_profile(make_person("anna")).id
        db.session.flush()
        keys = [secrets.token_hex(16) for _ in range(6000)]
        db.session.execute(insert(Document), [
            dict(profile_id=pid, type_code="11502-2", class_code="11", title=f"Bilan {i}", source="", size=10,
                 sha256=secrets.token_hex(32), content_type="application/pdf", storage_key=key,
                 wrapped_key="-", origin="upload") for i, key in enumerate(keys)])
        _analyze("documents")
    with app.test_request_context():
        store = documents.storage()
        for prefix in hour_prefixes(5):
            _orphan(store, prefix)
        in_folders = sum(key[:2] in hour_prefixes(5) for key in keys)
        read = _rows_read_by(lambda: store_upkeep.sweep_hour(_at_hour(5)), "documents")
        assert read <= in_folders + len(hour_prefixes(5)), (read, in_folders)
        assert in_folders < len(keys) / 20


def _old_trash(web, ctx, owner) -> tuple[int, str]:
    """A document 31 days in the trash: its id and its file's key."""
    doc = doc_id(upload(web, owner, PDF, title="Ordonnance"))
    with ctx():
        row = db.session.get(Document, doc)
        row.deleted_at = datetime.now(UTC) - timedelta(days=31)
        db.session.commit()
        return doc, row.storage_key


def _restore_while_emptied(app, web, owner, doc: int, job_after: float):
    """She brings the document back from the trash page while the housekeeping job, started `job_after`
    seconds later, empties the old trash: her answer and how many documents the job deleted."""
    token = web.token(f"/p/{owner}/documents/trash")

    def purge_soon():
        time.sleep(job_after)
        with app.app_context():
            return documents.purge_trash()

    return at_once(lambda: web.client.post(f"/p/{owner}/documents/{doc}/restore", data={"csrf_token": token}),
                   purge_soon)


def test_a_document_brought_back_while_the_trash_is_emptied_stays(app, ctx, web, owner, monkeypatch):
    """Thirty-one days in the trash, she brings it back just as the housekeeping job empties the old
    trash: the job, which found it still in the trash, must not delete it once it is back."""
    doc, key = _old_trash(web, ctx, owner)
    logged = documents.record_read

    def restore_slowly(access, actor, row, action, *args, **kwargs):  # brought back, not committed yet
        if action == "document.restore":
            time.sleep(0.8)
        return logged(access, actor, row, action, *args, **kwargs)

    monkeypatch.setattr(documents, "record_read", restore_slowly)
    restored, purged = _restore_while_emptied(app, web, owner, doc, job_after=0.3)
    assert restored.status_code == 302 and purged == 0
    with ctx():
        row = db.session.get(Document, doc)
        assert row is not None and row.deleted_at is None
        assert documents.storage().get(key)  # its file too


def test_bringing_back_a_document_the_job_just_emptied_says_so(app, ctx, web, owner, monkeypatch):
    """The trash page was loaded before the job emptied it: her "bring it back" is told plainly that the
    document is gone for good (not a server error), and nothing comes back half."""
    doc, _key = _old_trash(web, ctx, owner)
    found = documents.get

    def found_then_slow(*args, **kwargs):  # the request has the document; the job runs meanwhile
        row = found(*args, **kwargs)
        time.sleep(0.6)
        return row

    monkeypatch.setattr(documents, "get", found_then_slow)
    restored, purged = _restore_while_emptied(app, web, owner, doc, job_after=0.2)
    assert purged == 1 and restored.status_code == 410
    assert "supprimé pour de bon" in restored.get_data(as_text=True)
    with ctx():
        assert db.session.get(Document, doc) is None
