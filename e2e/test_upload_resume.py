"""A file sent on a line that drops, in a real Chromium: the upload page sends a big file in parts; the line
drops in the middle; the file waits on the phone; when the network comes back the phone asks what arrived
and sends only the rest. The server never gets a byte twice, and the document is the file, whole."""

import hashlib
import re
import threading

import pytest
from sqlalchemy import func, select

from companion.extensions import db
from companion.models.document import Document
from companion.models.upload import UploadPart
from companion.services import documents, upload_parts
from tests.test_upload_parts import big_pdf

from .conftest import register, wait_for_service_worker

pytestmark = pytest.mark.e2e

PART = upload_parts.PART


def test_a_file_cut_in_the_middle_goes_on_from_what_arrived(page, context, live_server, unique_email):
    base, app = live_server.url, live_server.app
    register(page, base, unique_email)
    wait_for_service_worker(page)
    page.goto(f"{base}/")
    docs = page.get_by_role("link", name="Documents").first.get_attribute("href")
    data = big_pdf(3.5)  # four parts
    arrived, cut, back = [], threading.Event(), threading.Event()

    def line(route):
        req = route.request
        if cut.is_set() and not back.is_set():  # down until the test brings it back
            return route.abort("internetdisconnected")
        if req.method != "PUT":
            return route.continue_()
        at = int(req.headers["upload-offset"])
        if at == 2 * PART and not cut.is_set():  # the line drops during the third part
            cut.set()
            return route.abort("internetdisconnected")
        arrived.append((at, len(req.post_data_buffer)))
        return route.continue_()

    page.route(re.compile(r".*/uploads/[0-9a-f]{32}$"), line)
    page.goto(f"{base}{docs}/upload")
    page.get_by_label("Fichier (PDF ou photo)").set_input_files(
        files=[{"name": "compte-rendu.pdf", "mimeType": "application/pdf", "buffer": data}])
    page.get_by_label("Nom du document").fill("Compte rendu d’hospitalisation")
    page.get_by_role("button", name="Ajouter le document").click()
    # The phone keeps it and says so, in plain words.
    page.locator("#outbox-status").wait_for(state="visible", timeout=20_000)
    assert cut.is_set()
    assert arrived == [(0, PART), (PART, PART)]
    back.set()
    context.set_offline(True)
    context.set_offline(False)  # the network is back: the page sends what waits
    page.wait_for_function("() => document.getElementById('outbox-status').hidden", timeout=30_000)
    # Only the rest was sent: each byte once, none twice.
    assert arrived == [(0, PART), (PART, PART), (2 * PART, PART), (3 * PART, len(data) - 3 * PART)]
    with app.app_context():
        title = Document.title == "Compte rendu d’hospitalisation"
        docs_kept = db.session.scalars(select(Document).where(title)).all()
        assert len(docs_kept) == 1
        kept = documents.read_bytes(docs_kept[0])
    assert hashlib.sha256(kept).hexdigest() == hashlib.sha256(data).hexdigest()
    page.goto(f"{base}{docs}")
    assert page.get_by_role("link", name="Compte rendu d’hospitalisation").count() == 1


QUEUE_AND_SEND = """async ([url, b64]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const file = new File([bytes], "lettre.pdf", { type: "application/pdf" });
  const key = "b2".repeat(16), real = self.fetch, offsets = [];
  // What arrived before the line dropped: the first part, sent by the page before it was closed.
  const session = await (await real("/outbox/session", { cache: "no-store" })).json();
  await real("/uploads/" + key, { method: "PUT", body: file.slice(0, PART),
    headers: { "X-CSRFToken": session.token, "Upload-Offset": "0" } });
  await obx("readwrite", s => s.add({ url, key, label: "Lettre", sendBy: Date.now() + 86400000,
    fields: [["csrf_token", "old"], ["type_code", "11502-2"], ["title", "Lettre de liaison"],
             ["file", file]] }));
  self.fetch = (u, o) => {
    if (o && o.method == "PUT") offsets.push(+o.headers["Upload-Offset"]);
    return real(u, o);
  };
  try { await obxSend(); } finally { self.fetch = real; }
  return { offsets, left: (await obx("readonly", s => s.getAll())).length };
}"""


def test_the_worker_sends_a_waiting_file_from_what_arrived_with_no_page_open(page, context, live_server,
                                                                             unique_email):
    """Background Sync with no page open (40-outbox.js): the worker asks what arrived and sends the rest."""
    import base64

    base, app = live_server.url, live_server.app
    register(page, base, unique_email)
    wait_for_service_worker(page)
    page.goto(f"{base}/")
    docs = page.get_by_role("link", name="Documents").first.get_attribute("href")
    data = big_pdf(2.5)
    [worker] = context.service_workers
    done = worker.evaluate(QUEUE_AND_SEND, [f"{base}{docs}/upload", base64.b64encode(data).decode()])
    assert done == {"offsets": [PART, 2 * PART], "left": 0}
    with app.app_context():
        kept = db.session.scalars(select(Document).where(Document.title == "Lettre de liaison")).all()
        assert len(kept) == 1
        assert hashlib.sha256(documents.read_bytes(kept[0])).hexdigest() == hashlib.sha256(data).hexdigest()


LOST_ANSWER = r"""async ([url, b64]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const file = new File([bytes], "lettre.pdf", { type: "application/pdf" });
  const key = "c3".repeat(16), real = self.fetch, sent = [];
  const { token } = await (await real("/outbox/session", { cache: "no-store" })).json();
  const item = { url, key, label: "Lettre", sendBy: Date.now() + 86400000,
    fields: [["type_code", "11502-2"], ["title", "Lettre perdue"], ["file", file]] };
  await obx("readwrite", s => s.add(item));
  // The whole change went through once, but its answer never reached the phone.
  const body = new FormData();
  for (const [k, v] of item.fields) body.append(k, v);
  const applied = (await real(url, { method: "POST", body,
    headers: { "Accept": "application/json", "X-CSRFToken": token, "Idempotency-Key": key } })).status;
  self.fetch = (u, o) => {  // the worker's own syncs fetch other pages meanwhile: not counted
    const path = new URL(u, location).pathname;
    if (/uploads\/|documents\/upload/.test(path)) sent.push(((o && o.method) || "GET") + " " + path);
    return real(u, o);
  };
  try { await obxSend(); } finally { self.fetch = real; }
  return { applied, sent, left: (await obx("readonly", s => s.getAll())).length };
}"""


def test_a_change_whose_answer_was_lost_is_not_sent_a_second_time(page, context, live_server, unique_email):
    """The file went through whole (an older page, or a try whose answer the line lost): the next sync
    learns it from the server and drops the change, without sending the file again."""
    import base64

    base, app = live_server.url, live_server.app
    register(page, base, unique_email)
    wait_for_service_worker(page)
    page.goto(f"{base}/")
    docs = page.get_by_role("link", name="Documents").first.get_attribute("href")
    data = big_pdf(1.5)
    [worker] = context.service_workers
    done = worker.evaluate(LOST_ANSWER, [f"{base}{docs}/upload", base64.b64encode(data).decode()])
    # It asks what arrived, learns the form was applied, and sends neither a part nor the form again.
    assert done == {"applied": 201, "sent": ["GET /uploads/" + "c3" * 16], "left": 0}
    with app.app_context():
        assert len(db.session.scalars(select(Document).where(Document.title == "Lettre perdue")).all()) == 1


MARK_REFUSED = """() => new Promise((ok, ko) => {
  const req = indexedDB.open("companion-outbox", 1);
  req.onsuccess = () => {
    const t = req.result.transaction("queue", "readwrite"), s = t.objectStore("queue");
    s.getAll().onsuccess = (e) => e.target.result.forEach((it) => {
      it.problem = "Refusé"; it.retry = 1; s.put(it);  // as a refusal when it was sent again
    });
    t.oncomplete = () => { req.result.close(); ok(); };
    t.onerror = () => ko(t.error);
  };
})"""


def test_a_discarded_upload_forgets_the_parts_it_had_sent(page, context, live_server, unique_email):
    base, app = live_server.url, live_server.app
    register(page, base, unique_email)
    wait_for_service_worker(page)
    page.goto(f"{base}/")
    docs = page.get_by_role("link", name="Documents").first.get_attribute("href")
    down = threading.Event()

    def line(route):
        if down.is_set():
            return route.abort("internetdisconnected")
        if route.request.method == "PUT":
            down.set()  # the first part arrives, then the line drops
        return route.continue_()

    def parts() -> int:  # the live server is shared by the session's tests: counted from here
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(UploadPart))

    before = parts()
    page.route(re.compile(r".*/uploads/[0-9a-f]{32}$"), line)
    page.goto(f"{base}{docs}/upload")
    page.get_by_label("Fichier (PDF ou photo)").set_input_files(
        files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": big_pdf(2.5)}])
    page.get_by_role("button", name="Ajouter le document").click()
    page.locator("#outbox-status").wait_for(state="visible", timeout=20_000)
    assert parts() == before + 1
    page.evaluate(MARK_REFUSED)
    page.unroute(re.compile(r".*/uploads/[0-9a-f]{32}$"))
    page.reload()
    page.locator("#outbox-attention").get_by_role("button", name="Abandonner cette modification").click()
    for _ in range(40):  # the page tells the server without waiting for it
        if parts() == before:
            break
        page.wait_for_timeout(250)
    else:
        raise AssertionError("the parts of the discarded upload were kept")
