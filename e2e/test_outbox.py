"""Every write made offline, in a real Chromium (phone viewport): kept in the outbox, sent again when the
line is back, applied exactly once (checked in the database); conflicts shown in plain words and kept
until discarded; two tabs and a replay cut in the middle; logout without network; a shared computer."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from sqlalchemy import func, select

from companion.extensions import db
from companion.models.account import User, UserSession
from companion.models.agenda import AgendaItem, PersonalReminder
from companion.models.delegation import Delegation
from companion.models.document import Document
from companion.models.outbox import IdempotencyReceipt
from companion.models.profile import Profile
from companion.services import documents
from companion.services.access import require_access
from tests.documents_support import PDF

from .conftest import (
    axe_check,
    login,
    paris_today,
    phone_photo,
    register,
    sign_out_elsewhere,
    wait_for_service_worker,
)

pytestmark = pytest.mark.e2e

QUEUE = """() => new Promise((ok, ko) => {
  const r = indexedDB.open('companion-outbox', 1);
  r.onupgradeneeded = () => r.result.createObjectStore('queue', { keyPath: 'id', autoIncrement: true });
  r.onsuccess = () => { const db = r.result; const q = db.transaction('queue').objectStore('queue').getAll();
    q.onsuccess = () => { db.close(); ok(q.result.map(it => ({ kind: it.kind || '', problem: it.problem || '',
      label: it.label || '', tried: !!it.trying }))); }; };
  r.onerror = () => ko(r.error);
})"""


def _queue(page, n=None, seconds=25):
    """What waits in the outbox; with n, wait until exactly n items wait (the page may reload)."""
    for _ in range(seconds * 4):
        try:
            items = page.evaluate(QUEUE)
        except Exception:
            items = None
        if items is not None and (n is None or len(items) == n):
            return items
        page.wait_for_timeout(250)
    raise AssertionError(f"the outbox did not reach {n} items: {items}")


def _kept(page, n):
    """Wait until exactly n changes wait, none of them still in its first try: the page writes a change
    again when its try fails, and would undo what a test wrote to it before then."""
    for _ in range(100):
        items = _queue(page)
        if len(items) == n and not any(it["tried"] for it in items):
            return items
        page.wait_for_timeout(250)
    raise AssertionError(f"the outbox did not settle at {n} items: {items}")


def _drained(page):
    """Wait until the outbox is empty. The sender stops at a failed send and tries again later (on a
    page load, every 30 s, or when told the line is back): here it is told again every 5 s."""
    for _ in range(3):
        try:
            _queue(page, 0, seconds=5)
            return
        except AssertionError:
            page.evaluate("window.dispatchEvent(new Event('online'))")
    _queue(page, 0)


def _online(context, *pages):
    context.set_offline(False)
    for p in pages:
        p.evaluate("window.dispatchEvent(new Event('online'))")


def _user(live_server, email):
    with live_server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        pid = db.session.scalar(select(Profile.id).where(Profile.user_id == user.id))
        return user.id, pid


def _receipts(live_server, user_id):
    with live_server.app.app_context():
        return db.session.scalar(select(func.count()).select_from(IdempotencyReceipt)
                                 .where(IdempotencyReceipt.user_id == user_id))


def _start(page, live_server, email, birth=date(1974, 3, 12)):
    register(page, live_server.url, email)
    user_id, pid = _user(live_server, email)
    with live_server.app.app_context():
        profile = db.session.get(Profile, pid)
        profile.birth_date, profile.sex = birth, "F"
        db.session.commit()
    page.goto(f"{live_server.url}/p/{pid}/agenda")
    wait_for_service_worker(page)
    page.reload()  # through the worker
    return user_id, pid


def _reminder(live_server, pid, user_id, title):
    with live_server.app.app_context():
        rem = PersonalReminder(profile_id=pid, kind="appointment", title=title, notes="",
                               starts_at=datetime.now(UTC) + timedelta(days=3), timezone="Europe/Paris",
                               repeat="", created_by_id=user_id)
        db.session.add(rem)
        db.session.commit()
        return rem.id


def _document(live_server, pid, user_id, title):
    with live_server.app.test_request_context():
        user = db.session.get(User, user_id)
        added = documents.add(require_access(user, pid, "documents:write"), user, PDF + title.encode(),
                              title=title, type_code="11502-2")
        db.session.commit()
        return added.document.id


def _item(page, rule):
    return page.locator(f"[data-rule={rule}]")


def test_every_agenda_action_made_offline_is_applied_once_when_the_line_is_back(page, context, live_server,
                                                                               unique_email):
    base = live_server.url
    user_id, pid = _start(page, live_server, unique_email)
    keep = _reminder(live_server, pid, user_id, "Dentiste")
    gone = _reminder(live_server, pid, user_id, "Kiné")
    page.reload()
    adding, editing = context.new_page(), context.new_page()
    adding.goto(f"{base}/p/{pid}/agenda/reminders/new")
    editing.goto(f"{base}/p/{pid}/agenda/reminders/{keep}/edit")

    context.set_offline(True)
    adding.get_by_label("Nom", exact=True).fill("Prise de sang")
    adding.get_by_label("Date", exact=True).fill((date.today() + timedelta(days=5)).isoformat())
    adding.get_by_role("button", name="Enregistrer le rappel").click()
    adding.get_by_text("1 changement attend d’être envoyé.").wait_for()
    editing.get_by_label("Nom", exact=True).fill("Dentiste Dr Morel")
    editing.get_by_role("button", name="Enregistrer le rappel").click()
    _queue(page, 2)
    page.reload()  # the saved copy, offline
    _item(page, "DO_CERVICAL_HPV").get_by_role("button", name="C’est fait").click()
    _item(page, "DO_CERVICAL_HPV").get_by_text("En attente d’envoi").wait_for()  # shown at once
    _item(page, "DO_BREAST").get_by_text("Autres choix").click()
    _item(page, "DO_BREAST").get_by_role("button", name="Reporté").click()
    _item(page, "DO_COLORECTAL").get_by_text("Autres choix").click()
    _item(page, "DO_COLORECTAL").get_by_role("button", name="Ce n’est pas pour moi").click()
    page.locator(f"#reminder-{gone}").get_by_role("button", name="Supprimer").click()
    page.get_by_text("6 changements attendent d’être envoyés.").wait_for()
    page.get_by_text("Voir les modifications en attente").click()
    assert "Dentiste" in page.locator("#outbox-list").inner_text()  # what waits, in words
    axe_check(page)
    with live_server.app.app_context():  # nothing reached the server
        assert db.session.scalar(select(func.count()).select_from(AgendaItem)
                                 .where(AgendaItem.profile_id == pid)) == 0

    _online(context, page)
    _queue(page, 0)
    page.wait_for_load_state("load")
    with live_server.app.app_context():
        rows = {r.rule_id: r for r in db.session.scalars(
            select(AgendaItem).where(AgendaItem.profile_id == pid))}
        assert rows["DO_CERVICAL_HPV"].done_on == paris_today()
        assert rows["DO_BREAST"].snoozed_until > paris_today()
        assert rows["DO_COLORECTAL"].dismissed_at is not None
        titles = db.session.scalars(select(PersonalReminder.title).where(
            PersonalReminder.profile_id == pid, PersonalReminder.deleted_at.is_(None))).all()
        assert sorted(titles) == ["Dentiste Dr Morel", "Prise de sang"]  # added once, edited, deleted
    assert _receipts(live_server, user_id) == 6

    # Undo, offline too.
    page.goto(f"{base}/p/{pid}/agenda")
    context.set_offline(True)
    _item(page, "DO_CERVICAL_HPV").get_by_role("button", name="Annuler").click()
    _queue(page, 1)
    _online(context, page)
    _queue(page, 0)
    with live_server.app.app_context():
        assert db.session.scalar(select(AgendaItem.done_on).where(
            AgendaItem.profile_id == pid, AgendaItem.rule_id == "DO_CERVICAL_HPV")) is None
    assert _receipts(live_server, user_id) == 7


def test_profile_and_document_changes_and_an_upload_made_offline_are_applied_once(page, context, live_server,
                                                                                 unique_email):
    base = live_server.url
    user_id, pid = _start(page, live_server, unique_email)
    renamed, hidden, trashed = (_document(live_server, pid, user_id, t) for t in ("Bilan", "Radio", "Vieux"))
    tabs = {name: context.new_page() for name in ("profile", "rename", "hide", "delete", "upload")}
    tabs["profile"].goto(f"{base}/p/{pid}/edit")
    tabs["rename"].goto(f"{base}/p/{pid}/documents/{renamed}/edit")
    tabs["hide"].goto(f"{base}/p/{pid}/documents/{hidden}")
    tabs["delete"].goto(f"{base}/p/{pid}/documents/{trashed}/delete")
    tabs["upload"].goto(f"{base}/p/{pid}/documents/upload")

    context.set_offline(True)
    tabs["profile"].get_by_label("Prénom").fill("Annie")
    tabs["profile"].get_by_role("button", name="Enregistrer").click()
    _queue(page, 1)
    tabs["rename"].get_by_label("Nom du document").fill("Bilan de mars")
    tabs["rename"].get_by_label("Type de document").select_option("18748-4")
    tabs["rename"].get_by_role("button", name="Enregistrer").click()
    _queue(page, 2)
    tabs["hide"].get_by_role("button", name="Cacher aux aidants").click()
    _queue(page, 3)
    tabs["delete"].get_by_role("button", name="Oui, supprimer").click()
    _queue(page, 4)
    up = tabs["upload"]
    up.get_by_text("Sans réseau, un fichier jusqu’à 10 Mo est gardé sur ce téléphone").wait_for()
    up.get_by_label("Fichier (PDF ou photo)").set_input_files(
        {"name": "ordonnance.pdf", "mimeType": "application/pdf", "buffer": PDF + b"%upload"})
    up.get_by_label("Nom du document").fill("Ordonnance")
    up.get_by_role("button", name="Ajouter le document").click()
    up.get_by_text("5 changements attendent d’être envoyés.").wait_for()
    with live_server.app.app_context():
        assert db.session.get(Profile, pid).first_name == "Anna"

    _online(context, page)
    _queue(page, 0)
    with live_server.app.app_context():
        assert db.session.get(Profile, pid).first_name == "Annie"
        doc = db.session.get(Document, renamed)
        assert (doc.title, doc.type_code) == ("Bilan de mars", "18748-4")
        assert db.session.get(Document, hidden).hidden_at is not None
        assert db.session.get(Document, trashed).deleted_at is not None
        uploaded = db.session.scalars(select(Document).where(Document.profile_id == pid,
                                                             Document.title == "Ordonnance")).all()
        assert len(uploaded) == 1 and uploaded[0].size == len(PDF + b"%upload")
    assert _receipts(live_server, user_id) == 5


def test_a_photo_taken_without_network_waits_made_lighter_and_is_sent_once(page, context, live_server,
                                                                           unique_email):
    """What waits on the phone is the lighter photo (about 0.6 MB, not 2 MB): less of the phone's space,
    and a tenth of the time to send when a weak line comes back."""
    import io

    from PIL import Image

    _, pid = _start(page, live_server, unique_email)
    page.goto(f"{live_server.url}/p/{pid}/documents/upload")
    context.set_offline(True)
    page.get_by_label("Fichier (PDF ou photo)").set_input_files(
        {"name": "ordonnance.jpg", "mimeType": "image/jpeg", "buffer": phone_photo()})
    page.get_by_label("Nom du document").fill("Ordonnance photographiée")
    page.get_by_role("button", name="Ajouter le document").click()
    page.get_by_text("1 changement attend d’être envoyé.").wait_for()
    sizes = page.evaluate(QUEUE.replace("kind: it.kind || ''", "size: it.size, kind: it.kind || ''"))
    assert len(sizes) == 1 and 0 < sizes[0]["size"] < 1_000_000, sizes
    _online(context, page)
    _queue(page, 0)
    with live_server.app.app_context():
        [doc] = db.session.scalars(select(Document).where(Document.profile_id == pid,
                                                          Document.title == "Ordonnance photographiée")).all()
        assert Image.open(io.BytesIO(documents.read_bytes(doc))).size == (1800, 2400)


def test_a_replayed_key_with_another_body_is_refused_with_409(page, live_server, unique_email):
    _, pid = _start(page, live_server, unique_email)
    statuses = page.evaluate("""async (url) => {
      const token = document.querySelector('meta[name="csrf-token"]').content;
      const send = (title) => { const f = new FormData();
        f.append('kind', 'appointment'); f.append('title', title);
        f.append('day', '2030-01-02'); f.append('at', '09:00'); f.append('repeat', '');
        return fetch(url, { method: 'POST', body: f, headers: { 'Accept': 'application/json',
          'X-CSRFToken': token, 'Idempotency-Key': 'same-key-409-test' } }); };
      const a = await send('Dentiste'), b = await send('Dentiste'), c = await send('Autre');
      return [a.status, b.status, c.status, (await c.json()).message];
    }""", f"{live_server.url}/p/{pid}/agenda/reminders/new")
    assert statuses[:3] == [200, 200, 409]
    assert "autre contenu" in statuses[3]


def test_a_change_whose_document_was_deleted_elsewhere_is_shown_until_discarded(page, context, live_server,
                                                                               unique_email):
    user_id, pid = _start(page, live_server, unique_email)
    doc = _document(live_server, pid, user_id, "Scanner")
    page.goto(f"{live_server.url}/p/{pid}/documents/{doc}")
    context.set_offline(True)
    page.get_by_role("button", name="Cacher aux aidants").click()
    _queue(page, 1)
    with live_server.app.app_context():
        db.session.get(Document, doc).deleted_at = datetime.now(UTC)  # on another device
        db.session.commit()
    _online(context, page)
    box = page.locator("#outbox-attention")
    box.get_by_text("Cet élément a été supprimé sur un autre appareil").wait_for()
    assert "Scanner" in box.inner_text()
    assert len(_queue(page)) == 1  # kept, shown, until the person says so
    box.get_by_role("button", name="Abandonner cette modification").click()
    _queue(page, 0)
    box.wait_for(state="hidden")


def test_a_change_made_before_the_access_ended_is_shown_and_kept_until_discarded(page, context, live_server,
                                                                                unique_email):
    base = live_server.url
    owner_id, pid = _start(page, live_server, unique_email)
    page.context.clear_cookies()
    helper_email = "aide-" + unique_email
    register(page, base, helper_email, name="Sophie Aidante")
    helper_id, _ = _user(live_server, helper_email)
    with live_server.app.app_context():
        now = datetime.now(UTC)
        db.session.add(Delegation(profile_id=pid, caregiver_id=helper_id, scopes="agenda", see_hidden=False,
                                  accepted_at=now, expires_at=now + timedelta(days=30)))
        db.session.commit()
    page.goto(f"{base}/p/{pid}/agenda")
    context.set_offline(True)
    _item(page, "DO_BREAST").get_by_role("button", name="C’est fait").click()
    _queue(page, 1)
    with live_server.app.app_context():
        db.session.execute(Delegation.__table__.delete().where(Delegation.caregiver_id == helper_id))
        db.session.commit()
    _online(context, page)
    box = page.locator("#outbox-attention")
    box.get_by_text("Vous n’avez plus accès aux données de Anna Petit").wait_for()
    page.goto(base + "/")  # still there on another page, later
    box.get_by_text("Vous n’avez plus accès aux données de Anna Petit").wait_for()
    assert len(_queue(page)) == 1
    box.get_by_role("button", name="Abandonner cette modification").click()
    _queue(page, 0)
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AgendaItem)
                                 .where(AgendaItem.profile_id == pid)) == 0
    assert _receipts(live_server, helper_id) == 0


def test_a_rename_over_a_rename_made_elsewhere_offers_keep_mine_or_theirs(page, context, live_server,
                                                                         unique_email):
    user_id, pid = _start(page, live_server, unique_email)
    doc = _document(live_server, pid, user_id, "Bilan")
    page.goto(f"{live_server.url}/p/{pid}/documents/{doc}/edit")
    context.set_offline(True)
    page.get_by_label("Nom du document").fill("Bilan de mars")
    page.get_by_role("button", name="Enregistrer").click()
    _queue(page, 1)
    with live_server.app.app_context():
        db.session.get(Document, doc).title = "Bilan sanguin"  # renamed on another device meanwhile
        db.session.commit()
    _online(context, page)
    box = page.locator("#outbox-attention")
    box.get_by_text("Ce document a déjà été renommé « Bilan sanguin » sur un autre appareil.").wait_for()
    box.get_by_role("button", name="Garder mon nom").click()
    _queue(page, 0)
    with live_server.app.app_context():
        assert db.session.get(Document, doc).title == "Bilan de mars"


def test_two_tabs_sending_at_once_apply_each_change_once(page, context, live_server, unique_email):
    base = live_server.url
    user_id, pid = _start(page, live_server, unique_email)
    other = context.new_page()
    other.goto(f"{base}/p/{pid}/agenda")
    page.goto(f"{base}/p/{pid}/agenda/reminders/new")
    context.set_offline(True)
    for title in ("Kiné", "Ophtalmo"):
        page.get_by_label("Nom", exact=True).fill(title)
        page.get_by_label("Date", exact=True).fill((date.today() + timedelta(days=9)).isoformat())
        page.get_by_role("button", name="Enregistrer le rappel").click()
    _queue(page, 2)
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    other.evaluate("window.dispatchEvent(new Event('online'))")
    _queue(other, 0)
    other.wait_for_timeout(1000)
    with live_server.app.app_context():
        titles = db.session.scalars(select(PersonalReminder.title).where(PersonalReminder.profile_id == pid))
        assert sorted(titles) == ["Kiné", "Ophtalmo"]
    assert _receipts(live_server, user_id) == 2


def _three_reminders_offline(page, context, live_server, email):
    """Three reminders made without network, waiting in the outbox."""
    user_id, pid = _start(page, live_server, email)
    page.goto(f"{live_server.url}/p/{pid}/agenda/reminders/new")
    context.set_offline(True)
    for title in ("Premier", "Deuxième", "Troisième"):
        page.get_by_label("Nom", exact=True).fill(title)
        page.get_by_label("Date", exact=True).fill((date.today() + timedelta(days=4)).isoformat())
        page.get_by_role("button", name="Enregistrer le rappel").click()
    _queue(page, 3)
    return user_id, pid


def _each_applied_once(live_server, user_id, pid):
    with live_server.app.app_context():
        titles = sorted(db.session.scalars(
            select(PersonalReminder.title).where(PersonalReminder.profile_id == pid)))
        assert titles == ["Deuxième", "Premier", "Troisième"]  # in order, each once
    assert _receipts(live_server, user_id) == 3


def _send_losing_the_second_answer(page, context, lose):
    """Back online, the outbox sends what waits; `lose(route)` does what the line does to the second
    change's answer once the server has applied it. Each is sent once, the second twice with one key."""
    keys = []

    def second_lost(route):
        if route.request.method != "POST":  # the page reloads after sending
            route.continue_()
            return
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 2:
            route.fetch()
            lose(route)
        else:
            route.continue_()

    context.route("**/agenda/reminders/new", second_lost)
    _online(context, page)
    _drained(page)
    context.unroute("**/agenda/reminders/new")
    assert len(keys) == 4 and keys[1] == keys[2] and len(set(keys)) == 3


def test_a_replay_cut_in_the_middle_loses_nothing_and_applies_nothing_twice(page, context, live_server,
                                                                           unique_email):
    user_id, pid = _three_reminders_offline(page, context, live_server, unique_email)
    # The server applies the second, the answer never reaches the phone.
    _send_losing_the_second_answer(page, context, lambda route: route.abort("internetdisconnected"))
    _each_applied_once(live_server, user_id, pid)


def test_a_change_whose_answer_never_comes_is_given_up_after_8_s_and_sent_again_once(page, context,
                                                                                  live_server, unique_email):
    """The server takes the change but its answer never comes (a line that hangs rather than drops):
    the phone gives up waiting after 8 seconds, keeps the change, and the next try sends it again with
    the same key, so it is applied once and the changes after it go too. Without that limit the sender
    would wait for ever, holding every change behind it."""
    user_id, pid = _three_reminders_offline(page, context, live_server, unique_email)
    held = []  # the server applies the second; the phone hears nothing back
    _send_losing_the_second_answer(page, context, held.append)
    assert len(held) == 1
    _each_applied_once(live_server, user_id, pid)


CACHES = "async () => (await caches.keys()).filter(k => k.startsWith('acct-'))"


def test_logging_out_offline_wipes_the_phone_at_once_and_tells_the_server_later(page, context, live_server,
                                                                              unique_email):
    user_id, pid = _start(page, live_server, unique_email)
    assert page.evaluate(CACHES)  # the agenda is saved on this phone
    context.set_offline(True)
    _item(page, "DO_BREAST").get_by_role("button", name="C’est fait").click()
    _queue(page, 1)
    page.get_by_role("button", name="Se déconnecter").click()
    warning = page.locator("#outbox-logout")
    warning.get_by_text("1 modification n’est pas encore envoyée : si vous vous déconnectez maintenant, "
                        "elle sera perdue.").wait_for()
    axe_check(page)
    warning.get_by_role("button", name="Rester connecté").click()
    assert len(_queue(page)) == 1  # nothing lost by changing one's mind
    page.get_by_role("button", name="Se déconnecter").click()
    warning.get_by_role("button", name="Me déconnecter quand même").click()
    page.get_by_role("heading", name="Vous êtes déconnecté de ce téléphone").wait_for()
    assert "le serveur sera prévenu dès que le réseau reviendra" in page.locator("main").inner_text()
    for _ in range(40):
        if not page.evaluate(CACHES):
            break
        page.wait_for_timeout(250)
    assert page.evaluate(CACHES) == []
    assert [it["kind"] for it in _queue(page)] == ["logout"]
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSession).where(
            UserSession.user_id == user_id, UserSession.revoked_at.is_(None))) == 1

    _online(context, page)
    page.wait_for_url(f"{live_server.url}/login", timeout=20000)
    _queue(page, 0)
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSession).where(
            UserSession.user_id == user_id, UserSession.revoked_at.is_(None))) == 0
        assert db.session.scalar(select(func.count()).select_from(AgendaItem)
                                 .where(AgendaItem.profile_id == pid)) == 0  # discarded, as said


def test_a_shared_computer_never_keeps_a_change_to_send_later(page, context, live_server, unique_email):
    base = live_server.url
    register(page, base, unique_email)
    _, pid = _user(live_server, unique_email)
    with live_server.app.app_context():
        profile = db.session.get(Profile, pid)
        profile.birth_date, profile.sex = date(1974, 3, 12), "F"
        db.session.commit()
    page.context.clear_cookies()
    answers: list[tuple[str, int]] = []
    page.on("response", lambda r: answers.append((f"{r.request.method} {r.url}", r.status)))
    login(page, base, unique_email, shared=True)
    try:
        page.wait_for_url(f"{base}/")
    except PlaywrightTimeout:  # say what the page showed: the cause of the failures seen in full runs
        raise AssertionError(f"still on {page.url}: {page.inner_text('main')[:500]!r}; {answers}") from None
    page.goto(f"{base}/p/{pid}/agenda")
    context.set_offline(True)
    _item(page, "DO_BREAST").get_by_role("button", name="C’est fait").click()
    page.get_by_text("Sur un ordinateur partagé, rien n’est gardé pour être envoyé plus tard.").wait_for()
    assert _queue(page) == []
    context.set_offline(False)
    assert json.dumps(_queue(page)) == "[]"


def _podologue(live_server, pid) -> int:
    with live_server.app.app_context():
        return db.session.scalar(select(func.count()).select_from(PersonalReminder).where(
            PersonalReminder.profile_id == pid, PersonalReminder.title == "Podologue"))


def _podologue_offline(page, context, base, pid):
    """A reminder saved without network; and a way to fire the browser's sync event (through DevTools)."""
    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda ev: registrations.extend(r["registrationId"] for r in ev["registrations"]))
    cdp.send("ServiceWorker.enable")
    page.goto(f"{base}/p/{pid}/agenda/reminders/new")
    context.set_offline(True)
    page.get_by_label("Nom", exact=True).fill("Podologue")
    page.get_by_label("Date", exact=True).fill((date.today() + timedelta(days=6)).isoformat())
    page.get_by_role("button", name="Enregistrer le rappel").click()
    _queue(page, 1)

    def fire_sync():
        cdp.send("ServiceWorker.dispatchSyncEvent", {
            "origin": base + "/", "registrationId": registrations[-1], "tag": "companion-outbox",
            "lastChance": False})
    return fire_sync


def _until_sent(page, live_server, pid, fire_sync=None) -> int:
    """Wait for the reminder on the server; `fire_sync` every 2 s meanwhile, as a browser fires a sync
    again (Playwright takes the pages back online before the worker: a sync fired at once may meet a
    worker still offline)."""
    for attempt in range(60):
        if fire_sync and attempt % 8 == 0:
            fire_sync()
        if _podologue(live_server, pid):
            break
        page.wait_for_timeout(250)
    return _podologue(live_server, pid)


def test_background_sync_sends_what_waits_when_no_page_is_open(page, context, live_server, unique_email):
    """The browser's sync event (dispatched here through DevTools) reaches the worker with no page of
    the site open: the worker sends the queue itself."""
    base = live_server.url
    user_id, pid = _start(page, live_server, unique_email)
    fire_sync = _podologue_offline(page, context, base, pid)
    page.goto("about:blank")  # no page of the site is open any more
    context.set_offline(False)
    assert _until_sent(page, live_server, pid, fire_sync) == 1
    page.goto(f"{base}/p/{pid}/agenda")
    assert _queue(page, 0) == []
    assert _receipts(live_server, user_id) == 1


# The worker's sync, called in the worker itself; "again": it asks the browser to fire it again later.
SYNC = "() => outboxSync().then(() => 'done', () => 'again')"
SERVER_BUSY = """() => { self.realFetch = self.realFetch || self.fetch;
  self.fetch = (u, o) => String(u).includes('/outbox/session')
    ? Promise.resolve(new Response('', { status: 502 })) : self.realFetch(u, o); }"""


def test_the_worker_sends_what_waits_behind_the_offline_page_and_asks_again_when_the_server_is_busy(
        page, context, live_server, unique_email):
    """The line came back while the only page open is the offline page (no outbox on it: it is the same
    for everyone). The worker must not hand the sending to that page and stop; and a sync that meets a
    busy server must ask the browser to fire it again, not end as if all was sent."""
    base = live_server.url
    _user_id, pid = _start(page, live_server, unique_email)
    fire_sync = _podologue_offline(page, context, base, pid)
    page.goto(f"{base}/account/security/")  # never saved: the worker's offline page
    page.get_by_role("heading", name="Vous êtes hors connexion").wait_for()
    assert page.locator("#outbox").count() == 0
    context.set_offline(False)
    worker = context.service_workers[0]
    for _ in range(40):  # the worker comes back online a little after the pages
        if worker.evaluate("() => fetch('/healthz').then(r => r.ok, () => false)"):
            break
        page.wait_for_timeout(250)
    worker.evaluate(SERVER_BUSY)
    assert worker.evaluate(SYNC) == "again"
    assert _podologue(live_server, pid) == 0 and len(_queue(page)) == 1
    worker.evaluate("() => { self.fetch = self.realFetch; }")
    fire_sync()  # the browser fires it again: the offline page is still the only page open
    assert _until_sent(page, live_server, pid) == 1 and _queue(page) == []


def test_a_logout_the_worker_catches_without_network_asks_for_a_background_sync(page, context, live_server,
                                                                               unique_email):
    """The line drops between the page's check and the logout itself: the worker catches it, wipes, and
    keeps the logout to send. It must also ask the browser to wake it when the line is back, or the
    session lives on the server until a page of the site is opened again."""
    _start(page, live_server, unique_email)
    worker = context.service_workers[0]
    worker.evaluate("""() => { const sync = self.registration.sync, register = sync.register.bind(sync);
      self.asked = []; sync.register = tag => { self.asked.push(tag); return register(tag); }; }""")
    context.set_offline(True)
    page.evaluate("""() => fetch('/logout', { method: 'POST', body: new URLSearchParams({
      csrf_token: document.querySelector('meta[name=csrf-token]').content }) }).then(r => r.status)""")
    assert [it["kind"] for it in _queue(page)] == ["logout"]
    assert worker.evaluate("() => self.asked") == ["companion-outbox"]
    context.set_offline(False)


def test_logging_out_offline_with_nothing_waiting_says_so_at_once(page, context, live_server, unique_email):
    _start(page, live_server, unique_email)
    context.set_offline(True)
    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("heading", name="Vous êtes déconnecté de ce téléphone").wait_for()
    assert [it["kind"] for it in _queue(page)] == ["logout"]
    axe_check(page)


def _live_sessions(live_server, user_id) -> int:
    with live_server.app.app_context():
        return db.session.scalar(select(func.count()).select_from(UserSession).where(
            UserSession.user_id == user_id, UserSession.revoked_at.is_(None)))


def test_a_logout_made_offline_waits_through_a_busy_server_until_the_session_is_ended(
        page, context, live_server, unique_email):
    """The line comes back while the server restarts: its 502s (on the session check, then on the logout
    itself) say nothing about the session, so the logout waits, and the session is ended once the server
    answers. Dropped at the first 502, the session would stay open for the next person on this phone."""
    user_id, _pid = _start(page, live_server, unique_email)
    context.set_offline(True)
    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("heading", name="Vous êtes déconnecté de ce téléphone").wait_for()
    assert [it["kind"] for it in _queue(page)] == ["logout"]
    busy = {"session": 0, "logout": 0}

    def answer_502_once(kind):
        def handle(route):
            if busy[kind] == 0 and (kind != "logout" or route.request.method == "POST"):
                busy[kind] += 1
                return route.fulfill(status=502, body="restarting")
            return route.continue_()
        return handle

    # The session check (and the home page an earlier outbox read it from), then the logout: one 502 each.
    context.route(f"{live_server.url}/outbox/session", answer_502_once("session"))
    context.route(f"{live_server.url}/", answer_502_once("session"))
    context.route(f"{live_server.url}/logout", answer_502_once("logout"))
    _online(context, page)
    for _ in range(80):
        if busy["session"]:
            break
        page.wait_for_timeout(250)
    assert busy["session"] == 1
    assert [it["kind"] for it in _queue(page)] == ["logout"]  # kept, not dropped
    assert _live_sessions(live_server, user_id) == 1
    for _ in range(3):  # the next tries ("online" again; the page also tries every 30 s)
        if not _live_sessions(live_server, user_id):
            break
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_timeout(1500)
    page.wait_for_url(f"{live_server.url}/login", timeout=20000)
    assert busy["logout"] == 1  # the logout met one 502 and was sent again
    assert _live_sessions(live_server, user_id) == 0
    _queue(page, 0)


def test_signing_out_from_another_device_also_erases_the_changes_waiting_on_this_phone(
        page, browser, context, live_server, unique_email):
    """A lost phone: "log me out everywhere else" erases its saved pages and what waits to be sent too
    (files and notes included), not kept for the account's return as after an ordinary logout."""
    base = live_server.url
    _user_id, pid = _start(page, live_server, unique_email)
    context.set_offline(True)
    _item(page, "DO_BREAST").get_by_role("button", name="C’est fait").click()
    _queue(page, 1)
    sign_out_elsewhere(browser, base, unique_email)
    context.set_offline(False)
    page.goto(base + "/")
    _queue(page, 0)
    assert page.evaluate(CACHES) == []
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AgendaItem)
                                 .where(AgendaItem.profile_id == pid)) == 0


def test_a_phone_with_no_space_left_says_the_change_was_not_kept(page, context, live_server, unique_email):
    _start(page, live_server, unique_email)
    page.add_init_script("""IDBObjectStore.prototype.add = function () {
      throw new DOMException("full", "QuotaExceededError"); };""")
    page.reload()
    context.set_offline(True)
    _item(page, "DO_BREAST").get_by_role("button", name="C’est fait").click()
    expect(page.locator("#outbox-attention")).to_contain_text(
        "Il n’y a plus de place sur ce téléphone : cette modification n’a pas été gardée.")
    expect(page.locator("#outbox-status")).to_be_hidden()  # nothing claims to wait
    axe_check(page)
    context.set_offline(False)


def test_a_change_made_online_while_an_older_one_waits_is_sent_after_it_not_overwritten_by_it(
        page, context, live_server, unique_email):
    """Changes are applied in the order they were made: a change made once the line is back, while an
    older one still waits (here, its sending keeps failing), waits behind it instead of going first and
    being overwritten by the older one a moment later."""
    user_id, pid = _start(page, live_server, unique_email)
    rid = _reminder(live_server, pid, user_id, "Dentiste")
    page.goto(f"{live_server.url}/p/{pid}/agenda/reminders/{rid}/edit")
    context.set_offline(True)
    page.get_by_label("Nom", exact=True).fill("Dentiste à 10 h")
    page.get_by_role("button", name="Enregistrer le rappel").click()
    _queue(page, 1)
    hold = {"on": True, "cut": 0}

    def cut_the_older(route):
        older = "Dentiste à 10 h" in (route.request.post_data or "")
        if route.request.method == "POST" and hold["on"] and older:
            hold["cut"] += 1
            return route.abort("internetdisconnected")
        return route.continue_()

    context.route(f"**/agenda/reminders/{rid}/edit", cut_the_older)
    _online(context, page)
    for _ in range(40):
        if hold["cut"]:
            break
        page.wait_for_timeout(250)
    assert hold["cut"] and len(_queue(page)) == 1  # the older change still waits
    page.get_by_label("Nom", exact=True).fill("Dentiste à 11 h")
    page.get_by_role("button", name="Enregistrer le rappel").click()
    _queue(page, 2)  # behind it, in order
    hold["on"] = False
    _drained(page)
    context.unroute(f"**/agenda/reminders/{rid}/edit")
    with live_server.app.app_context():
        assert db.session.get(PersonalReminder, rid).title == "Dentiste à 11 h"  # the last one made wins


AGE = """(ms) => new Promise((ok, ko) => {
  const r = indexedDB.open('companion-outbox', 1);
  r.onsuccess = () => {
    const db = r.result, t = db.transaction('queue', 'readwrite'), s = t.objectStore('queue'), q = s.getAll();
    q.onsuccess = () => q.result.forEach((it) => { it.sendBy -= ms; s.put(it); });
    t.oncomplete = () => { db.close(); ok(); }; t.onerror = () => ko(t.error); };
  r.onerror = () => ko(r.error);
})"""


def test_a_change_that_waited_longer_than_its_receipt_lives_is_shown_not_sent(page, context, live_server,
                                                                              unique_email):
    """A change made offline and not sent within 28 days: its first send may have reached the server
    with the answer lost, and the server's receipt (30 days) is gone. It is not sent again blindly: the
    person is told, can open the page to check, and discards it."""
    user_id, pid = _start(page, live_server, unique_email)
    context.set_offline(True)
    _item(page, "DO_CERVICAL_HPV").get_by_role("button", name="C’est fait").click()
    _kept(page, 1)
    page.evaluate(AGE, 29 * 24 * 3600 * 1000)  # as if made 29 days ago
    _online(context, page)
    box = page.locator("#outbox-attention")
    box.get_by_text("Cette modification a attendu trop longtemps").wait_for()
    link = box.get_by_role("link", name="Ouvrir la page")
    assert link.get_attribute("href") == f"/p/{pid}/agenda"
    axe_check(page)
    assert len(_queue(page)) == 1 and _receipts(live_server, user_id) == 0  # nothing sent
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AgendaItem)
                                 .where(AgendaItem.profile_id == pid)) == 0
    box.get_by_role("button", name="Abandonner cette modification").click()
    _queue(page, 0)
    box.wait_for(state="hidden")



def test_a_change_called_too_old_by_a_clock_that_ran_ahead_goes_once_the_clock_is_set_right(
        page, context, live_server, unique_email):
    """The phone's clock jumped a month ahead (a reboot, a wrong network time) while a change waited: it
    was called too old. Once the clock is right again, it is sent, once, instead of staying refused."""
    user_id, pid = _start(page, live_server, unique_email)
    context.set_offline(True)
    _item(page, "DO_CERVICAL_HPV").get_by_role("button", name="C’est fait").click()
    _kept(page, 1)
    page.evaluate(AGE, 29 * 24 * 3600 * 1000)  # the clock ahead by 29 days
    _online(context, page)
    page.locator("#outbox-attention").get_by_text("Cette modification a attendu trop longtemps").wait_for()
    assert _receipts(live_server, user_id) == 0
    page.evaluate(AGE, -29 * 24 * 3600 * 1000)  # set right again
    page.evaluate("window.dispatchEvent(new Event('online'))")
    _drained(page)
    assert _receipts(live_server, user_id) == 1
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AgendaItem)
                                 .where(AgendaItem.profile_id == pid)) == 1


def _first_try_hangs(page, context, live_server, email):
    """A reminder's edit page whose next save (its first try) reaches nothing and never gets an answer,
    as on a line that hangs; the save is made. The reminder's id and the account's."""
    user_id, pid = _start(page, live_server, email)
    rid = _reminder(live_server, pid, user_id, "Dentiste")
    page.goto(f"{live_server.url}/p/{pid}/agenda/reminders/{rid}/edit")
    tried = []

    def first_hangs(route):
        if route.request.method == "POST" and not tried:
            tried.append(route)  # never answered
        else:
            route.continue_()

    context.route(f"**/agenda/reminders/{rid}/edit", first_hangs)
    page.get_by_label("Nom", exact=True).fill("Dentiste à 10 h")
    page.get_by_role("button", name="Enregistrer le rappel").click()
    for _ in range(40):
        if tried:
            break
        page.wait_for_timeout(250)
    assert tried
    return rid, user_id, pid


def test_a_change_whose_page_is_left_while_it_is_tried_is_kept_and_sent_once(page, context, live_server,
                                                                            unique_email):
    """On a weak line the first try of a change can take seconds; the person leaves the page (or the
    phone puts it away) meanwhile. The change was kept before its try: the next page sends it, once."""
    rid, user_id, pid = _first_try_hangs(page, context, live_server, unique_email)
    assert _queue(page) != []  # kept, while the try goes on
    page.goto("about:blank")  # she leaves in the middle of the try
    context.unroute(f"**/agenda/reminders/{rid}/edit")
    page.goto(f"{live_server.url}/p/{pid}/agenda")
    for _ in range(30):  # the try's time runs out; the page then sends it (told the line is back)
        with live_server.app.app_context():
            if db.session.get(PersonalReminder, rid).title == "Dentiste à 10 h":
                break
        page.wait_for_timeout(1000)
        page.evaluate("window.dispatchEvent(new Event('online'))")
    with live_server.app.app_context():
        assert db.session.get(PersonalReminder, rid).title == "Dentiste à 10 h"
    _queue(page, 0)
    assert _receipts(live_server, user_id) == 1


def test_a_change_made_while_the_one_before_is_still_tried_goes_after_it(page, context, live_server,
                                                                        unique_email):
    """The first change's try hangs; the person makes a second one meanwhile. It must wait behind the
    first, not go ahead of it (the first, sent later, would overwrite it) nor make the page forget it."""
    rid, user_id, _pid = _first_try_hangs(page, context, live_server, unique_email)
    page.get_by_label("Nom", exact=True).fill("Dentiste à 11 h")
    page.get_by_role("button", name="Enregistrer le rappel").click()
    _queue(page, 2)  # both kept, in the order made
    _drained(page)  # the first's try gives up after 8 s; then both go, in order
    context.unroute(f"**/agenda/reminders/{rid}/edit")
    with live_server.app.app_context():
        assert db.session.get(PersonalReminder, rid).title == "Dentiste à 11 h"  # the last one made wins
    assert _receipts(live_server, user_id) == 2  # each applied, once
