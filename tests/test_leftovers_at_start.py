"""What an interrupted write leaves in the document store: a half-written part file is removed when the
app starts, web server or command alike, without touching what another process is writing right now;
a whole blob whose row never committed is left to the hourly sweep (tests/test_store_upkeep.py), since
finding it means listing the store and reading keys, which a start must not pay for."""

import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from companion.extensions import db
from companion.models.document import Document
from companion.services import storage as storage_module
from companion.services.storage import LocalStorage, new_key

from .cast import sign_up
from .conftest import make_app
from .documents_support import PDF, _empty_document_store, upload  # noqa: F401 (a fixture)

OLD = time.time() - 3600


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _part(store: LocalStorage, writer: str, mtime: float | None = None) -> Path:
    store.tmp.mkdir(parents=True, exist_ok=True)
    path = store.tmp / f"{new_key()}.{writer}.{os.urandom(4).hex()}.part"
    path.write_bytes(b"CPD1 half a file")
    if mtime:
        os.utime(path, (mtime, mtime))
    return path


def _blob(store: LocalStorage, mtime: float | None = None) -> str:
    key = new_key()
    store.put(key, b"CPD1 an orphan")
    if mtime:
        os.utime(store._path(key), (mtime, mtime))
    return key


def test_leftovers_are_removed_at_start_and_live_work_is_kept(app, backend, web, ctx):
    owner = sign_up(web, ctx)
    assert upload(web, owner, PDF).status_code == 302
    docs = Path(app.config["INSTANCE_DIR"]) / "documents"
    store = LocalStorage(docs)
    with ctx():
        kept_blob = store._path(db.session.scalar(select(Document.storage_key)))
    os.utime(kept_blob, (OLD, OLD))  # an old blob with its row: a document, never a leftover
    host = storage_module._host()
    old_part = _part(store, f"{host}-{os.getpid()}", OLD)
    dead_part = _part(store, f"{host}-{_dead_pid()}")
    live_part = _part(store, f"{host}-{os.getpid()}")  # this process is writing it right now
    other_host_part = _part(store, f"elsewhere-{_dead_pid()}")  # its writer may live on another machine
    old_orphan = _blob(store, OLD)

    make_app(backend, app.config["INSTANCE_DIR"])  # a second process starting

    assert not old_part.exists() and not dead_part.exists()
    assert live_part.exists() and other_host_part.exists()
    assert store._path(old_orphan).exists() and kept_blob.exists()  # blobs wait for the hourly sweep
    assert web.get(f"/p/{owner}/documents").status_code == 200


def test_a_start_before_the_database_exists_does_not_fail(tmp_path):
    store = LocalStorage(tmp_path / "documents")
    _blob(store, OLD)
    dead_part = _part(store, f"{storage_module._host()}-{_dead_pid()}")
    app = make_app("sqlite", str(tmp_path))  # no `db upgrade` yet
    assert app is not None and len(store.keys()) == 1 and not dead_part.exists()


def test_a_started_app_holds_no_database_connection_for_the_workers_forked_from_it(app, backend):
    """gunicorn makes the app once and forks its workers from it (deploy/gunicorn.conf.py, preload_app):
    a connection the start-up sweep left open in the pool would be one socket shared by every worker,
    their queries and answers interleaved."""
    store = LocalStorage(Path(app.config["INSTANCE_DIR"]) / "documents")
    _blob(store, OLD)  # a sweep of blobs would ask the database
    dead_part = _part(store, f"{storage_module._host()}-{_dead_pid()}")
    started = make_app(backend, app.config["INSTANCE_DIR"])
    assert not dead_part.exists()
    with started.app_context():
        pool = db.engine.pool
        assert pool.checkedin() == 0 and pool.checkedout() == 0


def test_a_start_reads_nothing_from_the_database_however_full_the_store(app, backend):
    """Listing every blob and reading every document's key at each start grew with the site: ten
    million documents made every command and every server start a walk of the whole store."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    store = LocalStorage(Path(app.config["INSTANCE_DIR"]) / "documents")
    for _ in range(3):
        _blob(store, OLD)
    sent: list[str] = []

    def record(conn, cursor, statement, *args):
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        make_app(backend, app.config["INSTANCE_DIR"])
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert sent == [] and len(store.keys()) == 3


def test_a_part_file_left_by_a_worker_replaced_without_a_restart_goes_within_the_hour(app, ctx):
    """gunicorn replaces a worker killed at its timeout without starting the app again: its half-written
    file is removed by the hourly housekeeping, not left until the next deployment."""
    from companion.commands.housekeeping import run_once

    store = LocalStorage(Path(app.config["INSTANCE_DIR"]) / "documents")
    dead_part = _part(store, f"{storage_module._host()}-{_dead_pid()}")
    live_part = _part(store, f"{storage_module._host()}-{os.getpid()}")
    with ctx():
        done = run_once()
    assert done["part_files_removed"] == 1
    assert not dead_part.exists() and live_part.exists()
