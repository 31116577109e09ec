"""Helpers for the "download everything" and IPS import tests: a profile with documents, a card and
vaccinations; the task queue that builds archives; reading the archive back."""

import io
import os
import zipfile
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import select

from companion import tasks as tasks_module
from companion.extensions import db
from companion.models.account import User
from companion.services import agenda_store, documents, emergency_card
from companion.services.access import find_access

from .documents_support import PDF

CARD = {"allergies": "pénicilline (plaques rouges)\nArachide", "treatments": "Kardegic 75 mg, 1 le matin",
        "conditions": "Diabète de type 2", "blood_group": "O-", "languages": "français"}
DOSES = {"ADU_DTCAP_25": date(1999, 6, 1), "ADU_FLU": date(2025, 11, 3)}


def noise_png(side=420) -> bytes:
    """A picture that does not compress: larger than one stored segment (256 KiB)."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def fill_profile(app, pid: int, email: str, *, big: bool = False) -> dict[str, bytes]:
    """Documents (two with the same title), the card and two vaccinations; the files by their sha."""
    files = {"Bilan sanguin": PDF, "Ordonnance": noise_png() if big else noise_png(60)}
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == email))
        access = find_access(user, pid)
        for title, data in files.items():
            documents.add(access, user, data, title=title)
        documents.add(access, user, PDF + b"%%\n", title="Bilan sanguin")  # same name, other file
        emergency_card.update(access, user, **CARD)
        for rule_id, day in DOSES.items():
            agenda_store.mark_done(access, user, rule_id, day, date(2026, 1, 1))
        db.session.commit()
    return {"a": PDF, "b": files["Ordonnance"], "c": PDF + b"%%\n"}


@pytest.fixture(autouse=True)
def _export_queue(app, tmp_path):
    """The task queue (SQLite storage) the app enqueues archive builds into (import it to use it)."""
    q = tasks_module.make_queue("", str(tmp_path))
    tasks_module.register(q, app)
    yield q
    q.flush()
    app.extensions.pop("companion_tasks", None)


def drain(app) -> int:
    """Run what waits in the queue, as a worker would."""
    return tasks_module.drain(app.extensions["companion_tasks"].queue)


def build_export(web, app, pid: int) -> str:
    """Ask for the archive on the page, let the queue build it; the download link."""
    resp = web.post(f"/p/{pid}/export", {}, from_url=f"/p/{pid}/export")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert drain(app) >= 1
    page = web.get(f"/p/{pid}/export").get_data(as_text=True)
    assert "Votre archive est prête" in page, page
    start = page.index(f"/p/{pid}/export/")
    return page[start:page.index('"', start)]


def open_zip(data: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive
