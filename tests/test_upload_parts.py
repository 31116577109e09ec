"""A file sent on a line that drops: what arrived before the cut is kept, the rest is sent from where the
server says, and the form makes one whole document, once. Another account can neither read nor take the
parts; a bad actor cannot fill the database with them."""

import hashlib
import io
import os
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from companion.extensions import db
from companion.models.document import Document
from companion.models.types import utcnow
from companion.models.upload import UploadPart
from companion.services import upload_parts

from .cast import sign_up
from .conftest import csrf_from
from .documents_support import PDF, _empty_document_store  # noqa: F401

PART = upload_parts.PART
KEY = "a1" * 16


@pytest.fixture
def owner(web, ctx):
    return sign_up(web, ctx)


def big_pdf(parts: float = 2.5) -> bytes:
    """A real PDF of `parts` parts: a comment after its header, its end (%%EOF) kept."""
    head, rest = PDF.split(b"\n", 1)
    filler = os.urandom(int(PART * parts) // 2).hex().encode()
    return head + b"\n%" + filler + b"\n" + rest


def _token(web, owner) -> str:
    return csrf_from(web.get(f"/p/{owner}/documents/upload").get_data(as_text=True))


def put(web, token, at, data, key=KEY, length=None):
    headers = {"X-CSRFToken": token, "Upload-Offset": str(at), "Accept": "application/json"}
    if length is None:
        return web.client.put(f"/uploads/{key}", data=data, headers=headers)
    # A line that drops in the middle of a part: fewer bytes than the request announced.
    return web.client.put(f"/uploads/{key}", input_stream=io.BytesIO(data), headers=headers,
                          environ_overrides={"CONTENT_LENGTH": str(length)})


def received(web, key=KEY) -> dict:
    resp = web.get(f"/uploads/{key}", headers={"Accept": "application/json"})
    assert resp.status_code == 200
    return resp.get_json()


def send_form(web, owner, token, size, key=KEY):
    form = {"csrf_token": token, "type_code": "11502-2", "title": "Bilan", "source": "", "upload": str(size)}
    headers = {"Accept": "application/json", "X-CSRFToken": token, "Idempotency-Key": key}
    return web.client.post(f"/p/{owner}/documents/upload", data=form, headers=headers)


def send_all(web, token, data, key=KEY):
    """The rest, from what arrived, in one request (as the page sends it)."""
    at = received(web, key)["received"]
    resp = put(web, token, at, data[at:], key)
    assert resp.get_json() == {"received": len(data)}, resp.get_data(as_text=True)


def test_what_arrived_before_the_line_dropped_is_kept_and_only_the_rest_is_sent(web, owner, ctx):
    data, token = big_pdf(), _token(web, owner)
    # The whole file is sent; the line drops after 300,000 of its bytes.
    cut = put(web, token, 0, data[:300_000], length=len(data))
    assert cut.status_code == 400
    assert received(web) == {"received": 300_000, "done": False, "part": PART}
    # A retry from the start (the phone did not hear) is told where to go on, and keeps nothing twice.
    again = put(web, token, 0, data)
    assert again.status_code == 409 and again.get_json()["received"] == 300_000
    # Cut again, after one more byte than nothing: still kept.
    put(web, token, 300_000, data[300_000:300_001], length=len(data) - 300_000)
    rest = put(web, token, 300_001, data[300_001:])
    assert rest.get_json() == {"received": len(data)}
    resp = send_form(web, owner, token, len(data))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    got = web.get(resp.get_json()["url"] + "/download")
    assert hashlib.sha256(got.data).hexdigest() == hashlib.sha256(data).hexdigest()
    with ctx():
        assert db.session.scalar(select(func.count()).select_from(UploadPart)) == 0
    # The answer was lost: the next try learns the form was applied and gets the same answer, once.
    assert received(web)["done"] is True
    replay = send_form(web, owner, token, len(data))
    assert replay.status_code == 201 and replay.get_json()["url"] == resp.get_json()["url"]
    with ctx():
        assert db.session.scalar(select(func.count()).select_from(Document)) == 1


def test_the_form_before_every_part_arrived_is_refused_and_the_parts_stay(web, owner, ctx):
    data, token = big_pdf(), _token(web, owner)
    put(web, token, 0, data[:PART])
    early = send_form(web, owner, token, len(data))
    assert early.status_code == 409
    assert early.get_json()["message"] == ("Le fichier n’est pas arrivé en entier. "
                                           "Veuillez l’envoyer à nouveau.")
    assert received(web)["received"] == PART  # the refused form took nothing
    send_all(web, token, data)
    assert send_form(web, owner, token, len(data)).status_code == 201


def test_parts_are_sealed_and_bound_to_their_account_and_place(web, owner, ctx):
    data, token = big_pdf(1.5), _token(web, owner)
    put(web, token, 0, data[:PART], length=len(data))  # cut once: two parts
    send_all(web, token, data)
    with ctx():
        parts = db.session.scalars(select(UploadPart).order_by(UploadPart.start)).all()
        assert [p.start for p in parts] == [0, PART]
        assert all(data[:64] not in p.blob and data[PART:PART + 64] not in p.blob for p in parts)
        # Swapped in the database, two parts no longer open: the form is refused, not a mixed file.
        parts[0].blob, parts[1].blob = parts[1].blob, parts[0].blob
        parts[0].wrapped_key, parts[1].wrapped_key = parts[1].wrapped_key, parts[0].wrapped_key
        db.session.commit()
    resp = send_form(web, owner, token, len(data))
    assert resp.status_code == 409
    assert resp.get_json()["message"].startswith("Le fichier n’est pas arrivé en entier")
    with ctx():
        assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    assert received(web)["received"] == 0  # forgotten: the next try sends the file from its start
    send_all(web, token, data)
    assert send_form(web, owner, token, len(data)).status_code == 201


def test_another_account_can_neither_see_add_to_nor_take_the_parts(web, owner, app, ctx):
    data, token = big_pdf(1.5), _token(web, owner)
    put(web, token, 0, data[:PART])
    other = type(web)(app.test_client())
    other_pid = sign_up(other, ctx, "louis")
    other_token = _token(other, other_pid)
    assert received(other) == {"received": 0, "done": False, "part": PART}
    # Louis's part at 0 is his own upload under the same key; Anna's is untouched.
    assert put(other, other_token, PART, data[PART:]).status_code == 409
    assert send_form(other, other_pid, other_token, len(data)).status_code == 409
    assert received(web)["received"] == PART
    send_all(web, token, data)
    assert send_form(web, owner, token, len(data)).status_code == 201


def test_a_part_without_the_form_token_or_signed_out_is_refused(web, owner):
    data, token = big_pdf(1.5), _token(web, owner)
    no_token = web.client.put(f"/uploads/{KEY}", data=data[:PART], headers={"Upload-Offset": "0"})
    assert no_token.status_code == 400
    web.logout()
    resp = web.client.put(f"/uploads/{KEY}", data=data[:PART],
                          headers={"Upload-Offset": "0", "X-CSRFToken": token})
    assert resp.status_code in (400, 401)  # never a redirect: the browser would send the part again
    assert web.get(f"/uploads/{KEY}").status_code == 401
    web.login()
    assert received(web)["received"] == 0


@pytest.mark.parametrize("case", ["bad key", "no offset", "past the file limit", "empty part"])
def test_a_malformed_part_gets_a_clear_refusal_and_keeps_nothing(web, owner, app, ctx, monkeypatch, case):
    data, token = big_pdf(1.5), _token(web, owner)
    key, headers = KEY, {"X-CSRFToken": token, "Upload-Offset": "0", "Accept": "application/json"}
    body = data[:PART]
    if case == "bad key":
        key = "zz" * 16
    elif case == "no offset":
        del headers["Upload-Offset"]
    elif case == "past the file limit":
        monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", PART)
        body = data[:PART + 1]
    else:
        body = b""
    resp = web.client.put(f"/uploads/{key}", data=body, headers=headers)
    assert resp.status_code in (400, 413), resp.status_code
    assert resp.get_json()["message"]
    with ctx():
        assert db.session.scalar(select(func.count()).select_from(UploadPart)) == 0


def test_an_account_holds_at_most_a_few_files_in_parts_the_oldest_go_first(web, owner, app, ctx):
    """A bad actor cannot fill the database: past PENDING_FILES files' worth, the account's oldest upload
    is forgotten whole (the phone sends it again from its start); the newest always goes on."""
    token = _token(web, owner)
    limit = app.config["MAX_UPLOAD_BYTES"]
    chunk = b"x" * PART
    keys = [f"{i:032x}" for i in range(upload_parts.PENDING_FILES + 1)]
    for key in keys:
        for at in range(0, limit, PART):
            resp = put(web, token, at, chunk, key)
            assert resp.status_code == 200, resp.get_data(as_text=True)
    assert received(web, keys[0])["received"] == 0
    assert [received(web, k)["received"] for k in keys[1:]] == [limit] * upload_parts.PENDING_FILES
    with ctx():
        assert db.session.scalar(select(func.sum(UploadPart.size))) == upload_parts.PENDING_FILES * limit


def test_a_refused_file_leaves_no_parts_behind(web, owner):
    """Not a PDF nor a photo: sent again it would be refused again, so its parts go at once."""
    data, token = os.urandom(PART + 100), _token(web, owner)
    send_all(web, token, data)
    resp = send_form(web, owner, token, len(data))
    assert resp.status_code == 415 or resp.status_code == 400, resp.status_code
    assert "PDF" in resp.get_json()["message"]
    assert received(web)["received"] == 0


def test_a_discarded_change_forgets_its_parts(web, owner):
    data, token = big_pdf(1.5), _token(web, owner)
    put(web, token, 0, data[:PART])
    resp = web.client.delete(f"/uploads/{KEY}", headers={"X-CSRFToken": token})
    assert resp.status_code == 204
    assert received(web)["received"] == 0


def test_an_account_that_may_add_no_document_sends_no_parts(app, ctx):
    from companion.models.account import User
    from companion.services import ServiceError

    with ctx():
        nobody = User(email="sans-profil@example.fr", password_hash="-", display_name="Sans profil",
                      role="person")
        db.session.add(nobody)
        db.session.flush()
        with pytest.raises(ServiceError) as refused:
            upload_parts.receive(nobody, KEY, 0, 10, lambda n: (b"x" * n, True))
        assert refused.value.status == 403
        db.session.rollback()


def test_parts_whose_form_never_came_are_forgotten_whole(web, owner, ctx):
    data, token = big_pdf(1.5), _token(web, owner)
    put(web, token, 0, data[:PART])
    with ctx():
        month_ago = utcnow() - timedelta(days=30, hours=1)
        db.session.execute(UploadPart.__table__.update().values(created_at=month_ago))
        db.session.commit()
    put(web, token, PART, data[PART:])  # the last part came today: the upload goes whole all the same
    with ctx():
        assert upload_parts.prune(utcnow() - timedelta(days=2)) == 0  # the outbox may still send it
        assert upload_parts.prune() == 2
        db.session.commit()
    assert received(web)["received"] == 0


def test_the_same_part_sent_at_the_same_instant_is_kept_once(web, owner, app, ctx, monkeypatch):
    """Two tabs (or a retry racing its first try) send the same part: both read that nothing arrived, then
    both write. The database's unique place keeps one; the other is told where to go on."""
    data, token = big_pdf(1.5), _token(web, owner)
    both_read = threading.Barrier(2, timeout=10)
    real, first = upload_parts.received, threading.local()

    def received_then_wait(user, key):
        have = real(user, key)
        if not getattr(first, "done", False):  # each try's first read: the place it will write at
            first.done = True
            both_read.wait()
        return have

    monkeypatch.setattr(upload_parts, "received", received_then_wait)
    answers = []

    def send():
        answers.append(put(web, token, 0, data[:PART]))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert [a.get_json()["received"] for a in answers] == [PART, PART]
    with ctx():
        assert db.session.scalar(select(func.count()).select_from(UploadPart)) == 1
