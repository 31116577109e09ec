"""Documents in a real Chromium: upload with the progress bar on a slow line, pin, open the list and the
document with no network (bytes checked by sha256 from the page), logout wipes the account cache, a
shared-computer login keeps nothing; axe on every documents page in French and English."""

import hashlib
import math
import re
from pathlib import Path

import pytest

from companion.services.cda import parse
from tests.documents_support import HOME, phone_jpeg

from .conftest import axe_check, login, logout, phone_photo, register, wait_for_service_worker

pytestmark = pytest.mark.e2e

CDA = Path(__file__).resolve().parent.parent / "tests" / "data" / "DOC_NON_STRUCTURE_CDA-R2-N1.xml"
PDF = parse(CDA.read_bytes()).pdf  # a real 320 KB PDF: long enough to see the progress bar move

ACCOUNT_CACHES = "async () => (await caches.keys()).filter(k => k.startsWith('acct-'))"
FILE_CACHED = """async (path) => {
  for (const k of await caches.keys()) {
    if (k.startsWith('acct-') && await (await caches.open(k)).match(path)) return true;
  }
  return false;
}"""
SHA_FROM_PAGE = """async (path) => {
  const buf = await (await fetch(path)).arrayBuffer();
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
  return Array.from(d, b => b.toString(16).padStart(2, '0')).join('');
}"""


def _documents_url(page, base) -> str:
    page.goto(f"{base}/")
    href = page.get_by_role("link", name="Documents").first.get_attribute("href")
    return f"{base}{href}"


def _until(page, script, arg=None, tries=60):
    for _ in range(tries):
        try:
            if page.evaluate(script, arg):
                return True
        except Exception:  # the page may be navigating
            pass
        page.wait_for_timeout(250)
    return False


def _upload_slowly(page, context, docs_url, type_code="89601-9"):
    page.goto(docs_url + "/upload")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 200,
                                                  "downloadThroughput": 50_000, "uploadThroughput": 60_000})
    page.get_by_label("Fichier (PDF ou photo)").set_input_files(
        files=[{"name": "bilan.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_label("Type de document").select_option(type_code)
    page.get_by_label("Nom du document").fill("Bilan sanguin de mars")
    page.get_by_role("button", name="Ajouter le document").click()
    # Its figure said as French writes it, the number held to its sign by a no-break space: "12 %".
    moving = ("() => !document.getElementById('upload-progress').hidden"
              " && document.getElementById('upload-bar').value > 0"
              " && /^\\d+[\\u00a0\\u202f]%$/.test(document.getElementById('upload-pct').textContent)")
    assert _until(page, moving, tries=80), "the progress bar did not move, or its figure is not like 12 %"
    page.wait_for_url(re.compile(r".*/documents/\d+$"), timeout=30_000)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                  "downloadThroughput": -1, "uploadThroughput": -1})
    return page.url


def test_upload_pin_open_offline_then_logout_leaves_nothing(page, context, live_server, unique_email):
    base = live_server.url
    register(page, base, unique_email)
    wait_for_service_worker(page)
    docs_url = _documents_url(page, base)
    doc_url = _upload_slowly(page, context, docs_url)
    path = doc_url.removeprefix(base)

    # The size is shown before opening or pinning.
    assert re.search(r"Ouvrir \(\d+\u00a0Ko\)", page.locator("#doc-open").inner_text())
    pin = page.locator(".pin-form button").inner_text()
    assert re.search(r"Garder sur ce téléphone \(\d+\u00a0Ko\)", pin), pin
    page.get_by_role("button", name=re.compile("Garder sur ce téléphone")).click()
    # "Saved" is said once the worker has stored the bytes, not when the server took the pin.
    page.get_by_text("Enregistré sur ce téléphone ✓").wait_for()
    assert page.evaluate(FILE_CACHED, path + "/file"), "said saved, but the file is not kept"
    assert _until(page, FILE_CACHED, path), "the worker did not keep the document page"
    page.goto(docs_url)  # the list page is kept on its visit
    assert _until(page, FILE_CACHED, docs_url.removeprefix(base))

    context.set_offline(True)
    page.goto(docs_url)
    assert page.get_by_text("Bilan sanguin de mars").is_visible()
    notice = page.locator("#offline-notice")
    assert notice.is_visible() and "enregistrée sur ce téléphone le" in notice.inner_text()
    # The moment in the pages' one format (services/dates.moment): "30 novembre 2026 à 14:30", the date
    # held on one line by its no-break spaces.
    text = notice.inner_text()
    assert re.search(r"le \d{1,2}\xa0[a-zéû]+\xa020\d\d à \d{2}:\d{2}", text), text
    page.goto(doc_url)
    assert page.get_by_role("heading", name="Bilan sanguin de mars").is_visible()
    assert page.locator("#offline-notice").is_visible()
    assert page.evaluate(SHA_FROM_PAGE, path + "/file") == hashlib.sha256(PDF).hexdigest()

    context.set_offline(False)
    page.goto(docs_url)
    logout(page)
    assert _until(page, "async () => (await caches.keys()).every(k => !k.startsWith('acct-'))")
    assert page.evaluate(ACCOUNT_CACHES) == []


def test_a_shared_computer_login_caches_nothing(page, context, live_server, unique_email):
    base = live_server.url
    register(page, base, unique_email)
    wait_for_service_worker(page)
    docs_url = _documents_url(page, base)
    doc_url = _upload_slowly(page, context, docs_url)
    logout(page)
    login(page, base, unique_email, shared=True)
    page.wait_for_url(f"{base}/")
    page.goto(docs_url)
    page.goto(doc_url)
    assert page.get_by_text("Sur un ordinateur partagé, rien n’est gardé").is_visible()
    assert page.get_by_role("button", name=re.compile("Garder sur ce téléphone")).count() == 0
    page.wait_for_timeout(1000)
    assert page.evaluate(ACCOUNT_CACHES) == []
    context.set_offline(True)
    page.goto(docs_url)
    assert page.get_by_text("Bilan sanguin de mars").count() == 0


def test_documents_pages_have_no_axe_violations_in_french_and_english(page, context, live_server,
                                                                    unique_email):
    base = live_server.url
    register(page, base, unique_email)
    docs_url = _documents_url(page, base)
    doc_url = _upload_slowly(page, context, docs_url)
    urls = [docs_url, docs_url + "?year=2026&page=1", docs_url + "/upload", docs_url + "/import", doc_url,
            doc_url + "/edit", doc_url + "/delete", docs_url + "/trash", f"{base}/settings/data"]
    for lang_button in (None, "English"):
        if lang_button:
            page.get_by_role("button", name=lang_button).click()
            page.wait_for_load_state()
        for url in urls:
            page.goto(url)
            axe_check(page)
        # Search results (a POST: the words stay out of the URL) are a page too.
        page.goto(docs_url)
        page.locator("#q").fill("bilan")
        page.locator('form.doc-search button[type="submit"]').click()
        page.wait_for_load_state()
        assert page.url == docs_url and page.get_by_text("Bilan sanguin de mars").is_visible()
        axe_check(page)
        # The refusals and the identity question are pages too.
        page.goto(docs_url + "/upload")
        page.locator("#upload-form").evaluate("f => f.submit()")  # no file: the server explains
        page.locator(".error").first.wait_for()
        axe_check(page)
        page.goto(docs_url + "/import")
        page.locator('input[type="file"]').set_input_files(str(CDA))
        page.locator('main button[type="submit"]').click()
        page.locator('input[name="confirm_identity"]').wait_for()
        axe_check(page)


def test_key_documents_are_kept_automatically_unless_data_saver(page, context, live_server, unique_email):
    base = live_server.url
    register(page, base, unique_email)
    wait_for_service_worker(page)
    docs_url = _documents_url(page, base)
    doc_url = _upload_slowly(page, context, docs_url, type_code="11502-2")  # a lab report: a key type
    path = doc_url.removeprefix(base)
    page.goto(docs_url)
    assert page.get_by_text("Document important").is_visible()
    # Before the first copy of key documents, their size is shown and the person is asked (once).
    ask = page.locator("#keys-ask")
    ask.wait_for()
    # In KB under a megabyte, rounded up as the document list rounds it (a small one said "0 Mo").
    said = ask.inner_text()
    assert f"Ils utilisent {math.ceil(len(PDF) / 1024)}\u00a0Ko de données" in said, said
    assert not page.evaluate(FILE_CACHED, path + "/file"), "copied before the person agreed"
    ask.get_by_role("button", name="Oui, les garder").click()
    assert _until(page, FILE_CACHED, path + "/file"), "the key document was not kept"
    page.goto(docs_url)
    page.wait_for_timeout(1000)
    assert page.locator("#keys-ask").is_hidden(), "asked again on this device"

    page.goto(f"{base}/settings/data")
    page.get_by_label("Économie de données", exact=False).check()
    page.get_by_role("button", name="Enregistrer").click()
    page.goto(docs_url)  # the next sync drops what is no longer wanted
    assert _until(page, f"async (p) => !(await ({FILE_CACHED})(p))", path + "/file"), "data saver kept it"
    page.wait_for_timeout(1000)
    assert not page.evaluate(FILE_CACHED, path + "/file")


def test_a_caregiver_whose_access_ends_keeps_nothing(page, live_server, unique_email):
    from sqlalchemy import select

    from companion.demo.documents import make_pdf
    from companion.extensions import db
    from companion.models.account import User
    from companion.models.delegation import Delegation
    from companion.models.profile import Profile
    from companion.models.types import utcnow
    from companion.services import accounts, documents
    from companion.services.access import find_access

    base, app = live_server.url, live_server.app
    with app.test_request_context():
        owner = accounts.register(f"owner-{unique_email}", "une phrase facile", "Louis Bernard",
                                  cost=(1, 1024))
        db.session.flush()
        profile = db.session.scalar(select(Profile).where(Profile.user_id == owner.id))
        doc = documents.add(find_access(owner, profile.id), owner, make_pdf("INR"), title="Bilan INR",
                            type_code="11502-2").document
        db.session.commit()
        profile_id, path = profile.id, f"/p/{profile.id}/documents/{doc.id}/file"
    register(page, base, unique_email, name="Sophie Bernard")
    wait_for_service_worker(page)
    with app.app_context():
        carer_id = db.session.scalar(select(User.id).where(User.email == unique_email))
        now = utcnow()
        db.session.add(Delegation(profile_id=profile_id, caregiver_id=carer_id, scopes="documents:read",
                                  accepted_at=now, expires_at=now.replace(year=now.year + 1)))
        db.session.commit()
    page.goto(f"{base}/p/{profile_id}/documents")
    page.get_by_role("button", name="Oui, les garder").click()
    assert _until(page, FILE_CACHED, path), "the caregiver's phone did not keep the key document"
    with app.app_context():
        delegation = db.session.scalar(select(Delegation).where(Delegation.caregiver_id == carer_id))
        delegation.revoked_at = utcnow()
        db.session.commit()
    page.goto(f"{base}/")
    assert _until(page, f"async (p) => !(await ({FILE_CACHED})(p))", path), "revoked, yet still kept"


def test_the_worker_asks_the_account_manifest_for_json(page, live_server, unique_email):
    """The key policy answers a background fetch plainly only when it asks for JSON: otherwise the
    worker gets the key page and cannot drop documents a caregiver may no longer keep."""
    base, app = live_server.url, live_server.app
    register(page, base, unique_email)
    wait_for_service_worker(page)
    seen = []
    inner = app.wsgi_app

    def spy(environ, start_response):
        if environ.get("PATH_INFO") == "/offline/manifest.json":
            seen.append(environ.get("HTTP_ACCEPT", ""))
        return inner(environ, start_response)

    app.wsgi_app = spy
    try:
        page.goto(f"{base}/")
        for _ in range(40):
            if seen:
                break
            page.wait_for_timeout(250)
    finally:
        app.wsgi_app = inner
    assert seen and all(accept == "application/json" for accept in seen), seen


def test_a_large_file_on_a_slow_line_is_given_the_time_its_size_needs(page, context, live_server,
                                                                     unique_email):
    """An upload (and its replay from the offline queue) gets a base time plus what a 25 KB/s line needs
    for its bytes. Here the base is cut to 2 s and the line gives 50 KB/s: the 320 KB PDF needs 6 s.
    A limit that ignores the size cuts such a file every time (a 7 MB scan on Slow 3G, at 120 s), and
    the changes queued after it wait behind it for ever."""
    base, app = live_server.url, live_server.app
    register(page, base, unique_email)
    wait_for_service_worker(page)
    docs_url = _documents_url(page, base)
    old = app.config["UPLOAD_TIMEOUT_MS"]
    app.config["UPLOAD_TIMEOUT_MS"] = 2000
    cdp = context.new_cdp_session(page)
    try:
        page.goto(docs_url + "/upload")
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": 100, "downloadThroughput": 50_000, "uploadThroughput": 50_000})
        page.get_by_label("Fichier (PDF ou photo)").set_input_files(
            files=[{"name": "scanner.pdf", "mimeType": "application/pdf", "buffer": PDF}])
        page.get_by_label("Type de document").select_option("89601-9")
        page.get_by_label("Nom du document").fill("Scanner thoracique")
        page.get_by_role("button", name="Ajouter le document").click()
        page.wait_for_url(re.compile(r".*/documents/\d+$"), timeout=60_000)
    finally:
        app.config["UPLOAD_TIMEOUT_MS"] = old
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                      "downloadThroughput": -1, "uploadThroughput": -1})
    assert "Scanner thoracique" in page.locator("h1").inner_text()


def test_a_phone_photo_is_made_lighter_before_it_is_sent_on_a_weak_line(page, context, live_server,
                                                                        unique_email):
    """On a 100 KB/s line, a 2 MB photo took 20 s to send: it is sent 2,400 px on its long side, and the
    person is told by how much it was made lighter while it goes."""
    import io

    from PIL import Image
    from sqlalchemy import select

    from companion.extensions import db
    from companion.models.document import Document
    from companion.services import documents

    base, app = live_server.url, live_server.app
    register(page, base, unique_email)
    wait_for_service_worker(page)
    docs_url = _documents_url(page, base)
    photo = phone_photo()
    page.goto(docs_url + "/upload")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 100, "downloadThroughput": 100_000, "uploadThroughput": 100_000})
    try:
        page.get_by_label("Fichier (PDF ou photo)").set_input_files(
            files=[{"name": "ordonnance.jpg", "mimeType": "image/jpeg", "buffer": photo}])
        page.get_by_label("Type de document").select_option("57833-6")
        page.get_by_label("Nom du document").fill("Ordonnance du Dr Lemoine")
        page.get_by_role("button", name="Ajouter le document").click()
        note = re.compile("Photo allégée pour l’envoyer plus vite\u00a0: 2\u00a0Mo → 0,\\d\u00a0Mo")
        page.locator("#upload-pct").get_by_text(note).wait_for()
        page.wait_for_url(re.compile(r".*/documents/\d+$"), timeout=60_000)
    finally:
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                      "downloadThroughput": -1, "uploadThroughput": -1})
    doc_id = int(page.url.rsplit("/", 1)[1])
    with app.app_context():
        doc = db.session.scalar(select(Document).where(Document.id == doc_id))
        kept = documents.read_bytes(doc)
    stored = Image.open(io.BytesIO(kept))
    assert stored.format == "JPEG" and stored.size == (1800, 2400), stored.size
    assert len(kept) < len(photo) / 2, (len(kept), len(photo))
    assert "Ordonnance du Dr Lemoine" in page.locator("h1").inner_text()


def test_the_list_says_the_space_used_in_megabytes_of_the_gigabytes_given(page, live_server, unique_email):
    """What is used in MB; the room the browser gives in GB, as the person's phone counts it ("10 Go", not
    "10 240,4 Mo")."""
    base = live_server.url
    register(page, base, unique_email)
    wait_for_service_worker(page)
    page.goto(_documents_url(page, base))
    line = page.locator("#doc-storage")
    line.wait_for()
    quota = page.evaluate("navigator.storage.estimate().then(e => e.quota)")
    assert quota >= 2**30, quota  # Chromium gives a share of the disk: gigabytes on any test machine
    total = f"{round(quota / 2**30, 1):g}".replace(".", ",")
    said = line.inner_text()
    expected = f"Espace utilisé sur ce téléphone\u00a0: [\\d,]+\u00a0Mo sur {total}\u00a0Go\\."
    assert re.fullmatch(expected, said), said


def test_a_photo_is_kept_without_where_it_was_taken(page, live_server, unique_email):
    """A photo under 1 MB goes as it is: the upload page says its hidden details are removed, and the file
    the person downloads has no place, camera, comment or clip in it, and still shows upright."""
    import io

    from PIL import Image, ImageOps

    base = live_server.url
    register(page, base, unique_email)
    page.goto(_documents_url(page, base) + "/upload")
    page.get_by_text("Le lieu où la photo a été prise et les autres détails").wait_for()
    sent = phone_jpeg()
    page.get_by_label("Fichier (PDF ou photo)").set_input_files(
        files=[{"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": sent}])
    page.get_by_label("Type de document").select_option("57833-6")
    page.get_by_role("button", name="Ajouter le document").click()
    page.wait_for_url(re.compile(r".*/documents/\d+$"), timeout=30_000)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Télécharger")).click()
    kept = Path(download.value.path()).read_bytes()
    for secret in (b"Pixel 9", b"GPS", HOME.encode(), b"ftyp"):
        assert secret not in kept
    photo = Image.open(io.BytesIO(kept))
    assert photo.tobytes() == Image.open(io.BytesIO(sent)).tobytes()
    assert ImageOps.exif_transpose(photo).size == (48, 64)
