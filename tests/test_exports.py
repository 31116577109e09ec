""""Download everything": the archive holds every part (the documents byte for byte), is built by the
queue with its progress on the page, is read back by byte ranges (206, If-Range, 416), needs a fresh
login to start, is one at a time per profile (also when two requests race), and is gone after 7 days."""

import hashlib
import json
import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from companion.extensions import db
from companion.models.account import User, UserSession
from companion.models.audit import AccessEvent
from companion.models.export import DataExport
from companion.models.types import utcnow
from companion.services import crypto, documents, exports, store_upkeep
from companion.services.access import find_access

from .cast import make_profile
from .conftest import redis_or_skip
from .documents_support import _empty_document_store  # noqa: F401  (each test starts with no blob)
from .export_support import CARD, DOSES, _export_queue, build_export, drain, fill_profile, open_zip  # noqa: F401

CLAIRE = "claire@example.fr"


def test_the_archive_holds_every_part_and_the_documents_byte_for_byte(app, web, claire):
    files = fill_profile(app, claire, CLAIRE)
    page = web.get(f"/p/{claire}/export").get_data(as_text=True)
    assert "Taille prévue\u00a0: environ" in page and "Préparer mon archive" in page
    resp = web.post(f"/p/{claire}/export", {}, from_url=f"/p/{claire}/export")
    running = web.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Votre archive est en préparation\u00a0: étape 0 sur 7." in running  # 3 documents + 4 files
    assert drain(app) == 1
    ready = web.get(f"/p/{claire}/export").get_data(as_text=True)
    assert "Votre archive est prête" in ready and "Vous pouvez la télécharger jusqu’au" in ready
    link = ready[ready.index(f"/p/{claire}/export/"):]
    data = web.get(link[:link.index('"')]).data
    archive = open_zip(data)
    names = sorted(archive.namelist())
    assert names == sorted(["documents/Bilan sanguin.pdf", "documents/Bilan sanguin (2).pdf",
                            "documents/Ordonnance.png", "resume-sante-ips.json", "agenda.ics",
                            "journal-des-acces.csv", "LISEZ-MOI.txt"])
    stored = {hashlib.sha256(archive.read(n)).hexdigest() for n in names if n.startswith("documents/")}
    assert stored == {hashlib.sha256(b).hexdigest() for b in files.values()}
    ips = json.loads(archive.read("resume-sante-ips.json"))
    kinds = [e["resource"]["resourceType"] for e in ips["entry"]]
    assert ips["type"] == "document" and kinds.count("AllergyIntolerance") == 2
    vaccines = {e["resource"]["vaccineCode"]["coding"][0]["code"]: e["resource"]["occurrenceDateTime"]
                for e in ips["entry"] if e["resource"]["resourceType"] == "Immunization"}
    assert vaccines == {k: v.isoformat() for k, v in DOSES.items()}
    calendar = archive.read("agenda.ics").decode()
    assert calendar.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in calendar and "Claire" in calendar
    log = archive.read("journal-des-acces.csv").decode("utf-8-sig")
    assert log.startswith("Quand,Qui,")
    assert "a demandé une archive de toutes les données du profil" in log
    # Times as the access-log page's own CSV copy writes them ("12 mars 2026 à 14:30"), not in a
    # second format: the same line reads the same in both.
    page_csv = web.get(f"/p/{claire}/access-log.csv").get_data(as_text=True)
    asked = next(line for line in page_csv.splitlines() if "a demandé une archive" in line)
    assert asked in log.splitlines() and " à " in asked.split(",")[0]
    readme = archive.read("LISEZ-MOI.txt").decode()
    assert "Toutes les données de Claire Martin dans Companion" in readme
    assert "Vos 3 documents, tels qu’ils" in readme


def test_the_page_shows_the_running_export_to_a_second_request(app, web, claire):
    web.post(f"/p/{claire}/export", {}, from_url=f"/p/{claire}/export")
    again = web.post(f"/p/{claire}/export", {}, from_url=f"/p/{claire}/export", follow_redirects=True)
    assert "Une archive est déjà en préparation\u00a0: la voici." in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DataExport)) == 1
    assert drain(app) == 1


def test_two_requests_at_the_same_instant_make_one_export(app, claire):
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == CLAIRE))
    barrier, found, errors = threading.Barrier(2), [], []

    def ask():
        try:
            with app.test_request_context():
                user = db.session.get(User, user_id)
                access = find_access(user, claire)
                barrier.wait()
                asked = exports.request(access, user, "fr")
                found.append((asked.export.id, asked.started))
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len({i for i, _s in found}) == 1 and sorted(s for _i, s in found) == [False, True]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DataExport)) == 1


def _age_session(app, minutes: int) -> None:
    with app.app_context():
        for sess in db.session.scalars(select(UserSession)):
            sess.authenticated_at = utcnow() - timedelta(minutes=minutes)
        db.session.commit()


def test_starting_needs_a_fresh_login_but_resuming_does_not(app, web, claire):
    fill_profile(app, claire, CLAIRE)
    link = build_export(web, app, claire)
    begun = web.get(link, headers={"Range": "bytes=0-99"})  # the download begins, the login fresh
    assert begun.status_code == 206
    _age_session(app, 60)
    refused = web.post(f"/p/{claire}/export", {}, from_url=f"/p/{claire}/export")
    assert refused.status_code == 302 and "/reauth" in refused.headers["Location"]
    from_start = web.get(link)
    assert from_start.status_code == 302 and "/reauth" in from_start.headers["Location"]
    resumed = web.get(link, headers={"Range": "bytes=100-"})
    assert resumed.status_code == 206
    assert "LISEZ-MOI.txt" in open_zip(begun.data + resumed.data).namelist()  # the whole archive, resumed


def test_ranges_206_if_range_and_416(app, web, claire):
    fill_profile(app, claire, CLAIRE, big=True)
    link = build_export(web, app, claire)
    full = web.get(link)
    size, etag = len(full.data), full.headers["ETag"]
    assert full.status_code == 200 and full.headers["Accept-Ranges"] == "bytes"
    assert size > 2 * crypto.SEGMENT and int(full.headers["Content-Length"]) == size
    seam = crypto.SEGMENT - 10  # across the seam of two stored segments
    cases = {f"bytes={seam}-{seam + 19}": (seam, seam + 20), "bytes=0-0": (0, 1),
             f"bytes={size - 1}-": (size - 1, size), "bytes=-50": (size - 50, size),
             f"bytes={size - 5}-{size + 100}": (size - 5, size), "bytes=1000-": (1000, size)}
    for header, (start, end) in cases.items():
        part = web.get(link, headers={"Range": header, "If-Range": etag})
        assert part.status_code == 206, header
        assert part.data == full.data[start:end], header
        assert part.headers["Content-Range"] == f"bytes {start}-{end - 1}/{size}", header
    changed = web.get(link, headers={"Range": "bytes=100-", "If-Range": '"another-version"'})
    assert changed.status_code == 200 and changed.data == full.data  # not the same file: all of it
    for bad in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=abc", "bytes=5-2",
                "bytes=0-1,5-6"):
        refused = web.get(link, headers={"Range": bad})
        assert refused.status_code == 416, bad
        assert refused.headers["Content-Range"] == f"bytes */{size}", bad
    assert web.get(link, headers={"If-None-Match": etag}).status_code == 304


def test_the_archive_is_encrypted_at_rest(app, web, claire):
    files = fill_profile(app, claire, CLAIRE)
    build_export(web, app, claire)
    with app.app_context():
        row = db.session.scalar(select(DataExport))
        blob = documents.storage().get(row.storage_key)
    assert blob.startswith(crypto.SEGMENTED_MAGIC) and b"PK\x03\x04" not in blob
    assert files["a"][:200] not in blob


def test_gone_after_seven_days_file_and_row(app, web, claire):
    fill_profile(app, claire, CLAIRE)
    link = build_export(web, app, claire)
    with app.app_context():
        key = db.session.scalar(select(DataExport.storage_key))
        blob = Path(app.config["INSTANCE_DIR"]) / "documents" / key[:2] / key
        assert blob.exists()
        assert exports.sweep(now=utcnow() + timedelta(days=6, hours=23)) == 0  # still there on day 7
        assert blob.exists()
    assert web.get(link).status_code == 200
    with app.app_context():
        assert exports.sweep(now=utcnow() + timedelta(days=7, minutes=1)) == 1
        assert db.session.scalar(select(func.count()).select_from(DataExport)) == 0
        assert not blob.exists()
    assert web.get(link, headers={"Range": "bytes=10-"}).status_code == 404
    back = web.get(link, follow_redirects=True).get_data(as_text=True)
    assert "Cette archive n’est plus disponible" in back
    assert "Pas encore d’archive." in web.get(f"/p/{claire}/export").get_data(as_text=True)


def test_orphan_sweep_keeps_a_living_archive(app, web, claire):
    fill_profile(app, claire, CLAIRE)
    build_export(web, app, claire)
    with app.app_context():
        key = db.session.scalar(select(DataExport.storage_key))
        store_upkeep.sweep(now=utcnow() + timedelta(hours=3))
        assert key in documents.storage().keys()


def test_a_new_archive_replaces_the_old_one(app, web, claire):
    build_export(web, app, claire)
    with app.app_context():
        old_key = db.session.scalar(select(DataExport.storage_key))
    build_export(web, app, claire)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DataExport)) == 1
        assert old_key not in documents.storage().keys()


def test_asking_and_downloading_are_in_the_access_log(app, web, claire):
    link = build_export(web, app, claire)
    web.get(link)
    web.get(link, headers={"Range": "bytes=10-"})  # a resumption is the same download
    with app.app_context():
        actions = list(db.session.scalars(select(AccessEvent.action).where(AccessEvent.profile_id == claire,
                                                                           AccessEvent.action.like("export.%"))))
    assert sorted(actions) == ["export.downloaded", "export.requested"]


def test_a_parent_exports_a_child_profile(app, web, claire):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == CLAIRE))
        child = make_profile(user, "Léa", "Martin").id
        db.session.commit()
    link = build_export(web, app, child)
    names = open_zip(web.get(link).data).namelist()
    assert "LISEZ-MOI.txt" in names and "resume-sante-ips.json" in names


def test_an_english_speaker_gets_english_names(app, web, claire):
    with app.app_context():
        db.session.scalar(select(User).where(User.email == CLAIRE)).locale = "en"
        db.session.commit()
    resp = web.post(f"/p/{claire}/export", {}, from_url=f"/p/{claire}/export")
    assert resp.status_code == 302
    drain(app)
    page = web.get(f"/p/{claire}/export").get_data(as_text=True)
    assert "Your archive is ready" in page  # the page, the archive's names and its README in English
    start = page.index(f"/p/{claire}/export/")
    archive = open_zip(web.get(page[start:page.index('"', start)]).data)
    assert {"README.txt", "access-log.csv", "health-summary-ips.json"} <= set(archive.namelist())
    assert "All the data of Claire Martin in Companion" in archive.read("README.txt").decode()


def test_caregivers_cannot_export(app, web, claire, ctx):
    from .documents_support import as_caregiver

    as_caregiver(web, ctx, claire, "documents:read agenda")
    assert web.get(f"/p/{claire}/export").status_code == 404


def test_a_build_whose_worker_died_is_marked_failed_and_can_be_asked_again(app, web, claire):
    web.post(f"/p/{claire}/export", {}, from_url=f"/p/{claire}/export")  # never built: no worker ran
    with app.app_context():
        assert exports.sweep(now=utcnow() + exports.STUCK + timedelta(minutes=1)) == 0
        assert db.session.scalar(select(DataExport.status)) == "failed"
    page = web.get(f"/p/{claire}/export").get_data(as_text=True)
    assert "L’archive n’a pas pu être faite" in page and "Préparer mon archive" in page
    assert build_export(web, app, claire)


def test_built_on_the_redis_queue(app, web, claire):
    import uuid

    from companion import tasks as tasks_module

    url = redis_or_skip()
    queue = tasks_module.make_queue(url, app.config["INSTANCE_DIR"], name=f"export-{uuid.uuid4().hex[:8]}")
    tasks_module.register(queue, app)  # the web request enqueues into Redis; a worker takes it
    try:
        web.post(f"/p/{claire}/export", {}, from_url=f"/p/{claire}/export")
        assert queue.pending_count() == 1
        assert tasks_module.drain(queue) == 1
        assert "Votre archive est prête" in web.get(f"/p/{claire}/export").get_data(as_text=True)
    finally:
        queue.flush()


def test_the_offer_shown_before_closing_links_to_the_export(app, claire):
    from flask import render_template_string

    from companion.models.profile import Profile

    with app.test_request_context():
        profile = db.session.get(Profile, claire)
        html = render_template_string('{% include "exports/_offer.html" %}', profile=profile)
    assert f'href="/p/{claire}/export"' in html and "Télécharger toutes mes données" in html
    assert "Avant que le profil de Claire Martin ne soit fermé" in html


def test_an_archive_whose_file_was_lost_is_a_clear_404(app, web, claire):
    link = build_export(web, app, claire)
    with app.app_context():
        documents.storage().delete(db.session.scalar(select(DataExport.storage_key)))
    resp = web.get(link, follow_redirects=True)
    assert resp.request.path == f"/p/{claire}/export"  # back on the page, where a new one can be made
    assert "Cette archive n’est plus disponible" in resp.get_data(as_text=True)
    resumed = web.get(link, headers={"Range": "bytes=100-"})
    assert resumed.status_code == 404 and resumed.mimetype == "text/plain"


def test_a_closed_child_profile_takes_its_archive_with_it(app, web, claire):
    """The closure deletes the archive's file at once, not at the next orphan sweep."""
    from companion.commands import closures
    from companion.models.closure import Closure
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == CLAIRE))
        child = make_profile(user, "Léa", "Martin").id
        db.session.commit()
    link = build_export(web, app, child)
    with app.app_context():
        key = db.session.scalar(select(DataExport.storage_key))
        assert key in documents.storage().keys()
    assert web.post(f"/p/{child}/close", {"understood": "y"}).status_code == 302
    with app.app_context():
        end = db.session.scalar(select(Closure.closes_at))
    assert closures.job(app, now=end + timedelta(minutes=1)) == 1
    with app.app_context():
        assert key not in documents.storage().keys()
        assert db.session.scalar(select(func.count()).select_from(DataExport)) == 0
    assert web.get(link).status_code == 404
