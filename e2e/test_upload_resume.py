"""A file sent on a line that drops, in a real Chromium, through a relay that really cuts the connection in
the middle of the file: the server keeps what arrived, the phone keeps the file, says so, and sends only
the rest. The worker does the same with no page open; a change whose answer was lost is not sent again;
a discarded change forgets what it had sent."""

import base64
import contextlib
import hashlib
import re
import socket
import threading
import time

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


def _documents(page, base: str, email: str) -> str:
    """Signed up, the worker in control; the path of the person's documents."""
    register(page, base, email)
    wait_for_service_worker(page)
    page.goto(f"{base}/")
    return page.get_by_role("link", name="Documents").first.get_attribute("href")


def _in_the_worker(page, context, live_server, email: str, script: str, data: bytes):
    """`script` run inside the service worker, given the upload form's URL and the file (base64)."""
    docs = _documents(page, live_server.url, email)
    [worker] = context.service_workers
    return worker.evaluate(script, [f"{live_server.url}{docs}/upload", base64.b64encode(data).decode()])


class Line:
    """A weak line between the phone and the server, as a TCP relay: what the phone sends goes at 100 KB/s,
    and `drop_after(n)` closes every connection once n more bytes went up. Chromium's own network
    emulation does not cut a request in the middle (its upload throttle lets the bytes go at full
    speed), so the cut the server sees must be a real one."""

    def __init__(self, upstream_port: int):
        self.upstream, self.open, self.budget = upstream_port, [], None
        self.down = self.stay_down = False
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def drop_after(self, n: int, stay_down: bool = False) -> None:
        self.budget, self.stay_down = n, stay_down

    def back(self) -> None:
        self.down = False

    def cut(self) -> None:
        """Every connection closed now (what the phone had sent but the line had not carried is lost)."""
        self._drop()

    def _accept(self):
        while True:
            phone, _ = self.server.accept()
            if self.down:  # no line: the phone's connection fails at once
                phone.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.upstream))
            self.open += [phone, server]
            threading.Thread(target=self._pump, args=(phone, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, phone, False), daemon=True).start()

    def _pump(self, src, dst, up: bool):
        try:
            while data := src.recv(10_000):
                dst.sendall(data)
                if up:
                    time.sleep(0.1)  # 100 KB/s
                    if self.budget is not None:
                        self.budget -= len(data)
                        if self.budget <= 0:
                            self.budget = None
                            self._drop()
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.close()

    def _drop(self):
        self.down = self.stay_down
        for sock in self.open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.open = []


def _filled_on_a_weak_line(page, live_server, email: str, monkeypatch, data: bytes, title: str):
    """Signed up through a weak line, the upload form filled with `data` named `title`, not sent: the
    line, and what the server keeps of the file, request by request ((offset, bytes))."""
    line = Line(int(live_server.url.rsplit(":", 1)[1]))
    docs = _documents(page, f"http://127.0.0.1:{line.port}", email)
    arrived, real = [], upload_parts.append

    def kept(user, key, start, part):
        arrived.append((start, len(part)))
        return real(user, key, start, part)

    monkeypatch.setattr(upload_parts, "append", kept)
    page.goto(f"http://127.0.0.1:{line.port}{docs}/upload")
    page.get_by_label("Fichier (PDF ou photo)").set_input_files(
        files=[{"name": "document.pdf", "mimeType": "application/pdf", "buffer": data}])
    page.get_by_label("Nom du document").fill(title)
    return line, arrived


# Every figure the outbox's bar shows, with its words, kept across the reload that follows the send.
RECORD_SENDING = """() => {
  const bar = document.getElementById("outbox-bar"), line = document.getElementById("outbox-sending");
  sessionStorage.setItem("sending", "[]");
  new MutationObserver(() => {
    const seen = JSON.parse(sessionStorage.getItem("sending"));
    seen.push([bar.value, line.textContent.trim()]);
    sessionStorage.setItem("sending", JSON.stringify(seen));
  }).observe(bar, { attributes: true, attributeFilter: ["value"] });
}"""


def test_a_file_cut_in_the_middle_goes_on_from_what_arrived(page, live_server, unique_email, monkeypatch):
    """A real cut: 400 KB of a 900 KB file went up at 100 KB/s when the line dropped. The server keeps
    those bytes; the phone keeps the file, says so, then sends only the rest."""
    app, data = live_server.app, big_pdf(3.5)
    line, arrived = _filled_on_a_weak_line(page, live_server, unique_email, monkeypatch, data,
                                           "Compte rendu d’hospitalisation")
    page.evaluate(RECORD_SENDING)
    line.drop_after(400_000)
    page.get_by_role("button", name="Ajouter le document").click()
    # The phone keeps the file and sends the rest as soon as the server answers again, saying as it goes
    # how much has arrived; the page then says the document was added.
    page.get_by_text("Document ajouté.").wait_for(timeout=60_000)
    shown = page.evaluate("JSON.parse(sessionStorage.getItem('sending'))")
    # The server kept what arrived before the cut, then got only the rest: each byte once.
    assert len(arrived) == 2, arrived
    first = arrived[0][1]
    assert arrived[0][0] == 0 and 300_000 < first < 420_000, arrived  # cut within 10 KB after 400 KB
    assert arrived[1] == (first, len(data) - first)
    # What the page said while the rest went: from what the server kept, never from 0, up to the end.
    figures = [v for v, _ in shown]
    assert figures[0] == round(first * 100 / len(data)) and figures[-1] == 100, shown
    assert figures == sorted(figures), shown
    said = re.compile("Envoi d’un fichier en cours\u00a0: \\d+[\u00a0\u202f]%")
    assert all(said.fullmatch(t) for _, t in shown), shown
    with app.app_context():
        title = Document.title == "Compte rendu d’hospitalisation"
        docs_kept = db.session.scalars(select(Document).where(title)).all()
        assert len(docs_kept) == 1
        kept_bytes = documents.read_bytes(docs_kept[0])
    assert hashlib.sha256(kept_bytes).hexdigest() == hashlib.sha256(data).hexdigest()


def test_a_file_whose_page_is_left_in_the_middle_is_sent_from_what_arrived(page, live_server, unique_email,
                                                                          monkeypatch):
    """On a weak line a file takes minutes; the person leaves the page (or the phone puts it away) in the
    middle. The file was kept on the phone before its first try: once the left page's hold on it runs
    out, the next page sends only the rest, once."""
    app, data = live_server.app, big_pdf(4)
    line, arrived = _filled_on_a_weak_line(page, live_server, unique_email, monkeypatch, data,
                                           "Ordonnance du cardiologue")
    page.get_by_role("button", name="Ajouter le document").click()
    page.wait_for_timeout(2500)  # about 250 KB went up at 100 KB/s
    page.goto(page.url.removesuffix("/upload"))  # she leaves in the middle of the send...
    line.cut()  # ...and the line drops: what the phone had handed to it does not all arrive
    for _ in range(60):  # the left page's hold runs out; this page then sends the rest (the line is back)
        if page.get_by_text("Document ajouté.").is_visible():
            break
        page.wait_for_timeout(1000)
        page.evaluate("window.dispatchEvent(new Event('online'))")
    page.get_by_text("Document ajouté.").wait_for(timeout=20_000)
    assert len(arrived) == 2 and arrived[0][0] == 0 and 0 < arrived[0][1] < len(data), arrived
    assert arrived[1] == (arrived[0][1], len(data) - arrived[0][1])  # only the rest, once
    with app.app_context():
        title = Document.title == "Ordonnance du cardiologue"
        added = db.session.scalars(select(Document).where(title)).all()
        assert len(added) == 1
        assert hashlib.sha256(documents.read_bytes(added[0])).hexdigest() == hashlib.sha256(data).hexdigest()


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
    app, data = live_server.app, big_pdf(2.5)
    done = _in_the_worker(page, context, live_server, unique_email, QUEUE_AND_SEND, data)
    assert done == {"offsets": [PART], "left": 0}  # one request: the rest
    with app.app_context():
        kept = db.session.scalars(select(Document).where(Document.title == "Lettre de liaison")).all()
        assert len(kept) == 1
        assert hashlib.sha256(documents.read_bytes(kept[0])).hexdigest() == hashlib.sha256(data).hexdigest()


HELD_BY_A_PAGE = """async ([url, b64]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const file = new File([bytes], "lettre.pdf", { type: "application/pdf" });
  const item = { url, key: "d4".repeat(16), label: "Lettre", sendBy: Date.now() + 86400000,
    trying: Date.now() + 60000,
    fields: [["type_code", "11502-2"], ["title", "Lettre tenue"], ["file", file]] };
  item.id = await obx("readwrite", s => s.add(item));
  // A page holds it (its first try): the sync must fail, so that the browser wakes the worker again.
  const first = await obxSend().then(() => "done", () => "again later");
  const kept = (await obx("readonly", s => s.getAll())).length;
  item.trying = Date.now() - 1;  // the page was closed: its hold ran out
  await obx("readwrite", s => s.put(item));
  await obxSend();
  return { first, kept, left: (await obx("readonly", s => s.getAll())).length };
}"""


def test_the_worker_leaves_a_file_a_page_is_sending_and_takes_it_once_the_page_is_gone(
        page, context, live_server, unique_email):
    """Background Sync while a page sends the file: the worker leaves it and fails the sync, so the
    browser wakes it again; then, the page closed and its hold run out, the worker sends it."""
    done = _in_the_worker(page, context, live_server, unique_email, HELD_BY_A_PAGE, big_pdf(1.5))
    assert done == {"first": "again later", "kept": 1, "left": 0}
    with live_server.app.app_context():
        assert len(db.session.scalars(select(Document).where(Document.title == "Lettre tenue")).all()) == 1


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
    app = live_server.app
    done = _in_the_worker(page, context, live_server, unique_email, LOST_ANSWER, big_pdf(1.5))
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


def test_a_discarded_upload_forgets_the_parts_it_had_sent(page, live_server, unique_email):
    line = Line(int(live_server.url.rsplit(":", 1)[1]))
    base, app = f"http://127.0.0.1:{line.port}", live_server.app
    docs = _documents(page, base, unique_email)

    def parts() -> int:  # the live server is shared by the session's tests: counted from here
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(UploadPart))

    before = parts()
    page.goto(f"{base}{docs}/upload")
    page.get_by_label("Fichier (PDF ou photo)").set_input_files(
        files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": big_pdf(2.5)}])
    line.drop_after(300_000, stay_down=True)
    page.get_by_role("button", name="Ajouter le document").click()
    page.locator("#outbox-status").wait_for(state="visible", timeout=30_000)
    assert parts() == before + 1  # what arrived before the cut
    page.evaluate(MARK_REFUSED)
    line.back()
    page.reload()
    page.locator("#outbox-attention").get_by_role("button", name="Abandonner cette modification").click()
    for _ in range(40):  # the page tells the server without waiting for it
        if parts() == before:
            break
        page.wait_for_timeout(250)
    else:
        raise AssertionError("the parts of the discarded upload were kept")
