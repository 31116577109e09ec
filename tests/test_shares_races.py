"""A share's counters under requests sent at the same instant: the passcode's tries, the documents a
health professional may leave back and the openings are each spent or counted in the database, so
simultaneous requests cannot all read the same value and each spend the same one."""

import io
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from companion.demo.documents import make_pdf
from companion.extensions import db
from companion.models.audit import AccessEvent
from companion.models.document import Document
from companion.models.share import ClinicianShare
from companion.services import audit, documents, shares

from .cast import sign_up
from .conftest import csrf_from
from .documents_support import _empty_document_store  # noqa: F401
from .races import at_once
from .test_emergency_card import _fill
from .test_shares import Clinician, _share

N = 8  # more than the passcode's 5 tries, under the rate limit of 10 a minute


@pytest.fixture
def louis(web, ctx):
    pid = sign_up(web, ctx, "louis")
    _fill(web, pid)  # an emergency card to share
    return pid


def _slowed(monkeypatch, module, name, seconds=0.2):
    """Widen the window between reading the share and writing what the request spends."""
    original = getattr(module, name)

    def slow(*args, **kwargs):
        out = original(*args, **kwargs)
        time.sleep(seconds)
        return out

    monkeypatch.setattr(module, name, slow)


def _together(app, public_id, send) -> list:
    """`send(client, token, i)` from N browsers with no account, all at the same instant."""
    clients = [app.test_client() for _ in range(N)]
    tokens = [csrf_from(c.get(f"/s/{public_id}").get_data(as_text=True)) for c in clients]
    return at_once(*[lambda i=i: send(clients[i], tokens[i], i) for i in range(N)])


def _open(public_id, passcode):
    return lambda client, token, i: client.post(f"/s/{public_id}/open", json={"passcode": passcode(i)},
                                                headers={"X-CSRFToken": token})


def _row(ctx, public_id) -> ClinicianShare:
    with ctx():
        row = db.session.scalar(select(ClinicianShare).where(ClinicianShare.public_id == public_id))
        db.session.expunge(row)
        return row


def _logged(ctx, pid) -> Counter:
    with ctx():
        return Counter(db.session.scalars(select(AccessEvent.action).where(
            AccessEvent.profile_id == pid, AccessEvent.action.like("share.%"))))


def test_simultaneous_wrong_passcodes_spend_one_try_each_then_the_share_locks(app, web, ctx, louis,
                                                                               monkeypatch):
    public_id, _, _ = _share(web, louis, passcode="tilleul")
    _slowed(monkeypatch, shares, "verify_password")
    answers = _together(app, public_id, _open(public_id, lambda i: f"faux-{i}"))
    statuses = Counter(r.status_code for r in answers)
    assert statuses == {401: shares.PASSCODE_TRIES - 1, 410: N - shares.PASSCODE_TRIES + 1}, statuses
    row = _row(ctx, public_id)
    assert row.tries_left == 0
    # The owner's log: one refusal per passcode checked, the lock once, and the attempts on the
    # locked share as attempts on an ended one (their passcode was never checked).
    logged = _logged(ctx, louis)
    assert logged["share.passcode_refused"] == shares.PASSCODE_TRIES - 1
    assert logged["share.locked"] == 1
    assert logged["share.refused"] == N - shares.PASSCODE_TRIES
    assert "share.opened" not in logged
    with ctx():
        assert audit.verify().ok
    # Locked for good: the right passcode no longer opens it.
    assert Clinician(app).open(public_id, "tilleul").status_code == 410


def test_simultaneous_wrong_and_right_passcodes_spend_only_the_wrong_ones(app, web, ctx, louis, monkeypatch):
    """The right passcode spends no try (as one at a time): four wrong ones beside it leave one try."""
    public_id, key, _ = _share(web, louis, passcode="tilleul")
    _slowed(monkeypatch, shares, "verify_password")
    wrong = shares.PASSCODE_TRIES - 1
    answers = _together(app, public_id, _open(public_id, lambda i: "faux" if i < wrong else "tilleul"))
    assert [r.status_code for r in answers[:wrong]] == [401] * wrong
    assert [r.status_code for r in answers[wrong:]] == [200] * (N - wrong)
    row = _row(ctx, public_id)
    assert (row.tries_left, row.openings) == (1, N - wrong)
    logged = _logged(ctx, louis)
    assert (logged["share.passcode_refused"], logged["share.opened"]) == (wrong, N - wrong)
    assert "share.locked" not in logged and "share.refused" not in logged


def test_simultaneous_openings_are_all_counted(app, web, ctx, louis, monkeypatch):
    public_id, _, _ = _share(web, louis, passcode="tilleul")
    _slowed(monkeypatch, shares, "verify_password")
    answers = _together(app, public_id, _open(public_id, lambda i: "tilleul"))
    assert [r.status_code for r in answers] == [200] * N
    row = _row(ctx, public_id)
    assert (row.openings, row.tries_left) == (N, shares.PASSCODE_TRIES)


def _leave(public_id):
    def send(client, token, i):
        body = {"csrf_token": token, "title": f"Lettre {i}", "passcode": "",
                "file": (io.BytesIO(make_pdf(f"Lettre {i}", ["Compte rendu"])), "lettre.pdf")}
        return client.post(f"/s/{public_id}/leave", data=body, content_type="multipart/form-data")
    return send


def test_simultaneous_leave_backs_stop_at_the_limit(app, web, ctx, louis, monkeypatch):
    public_id, _, _ = _share(web, louis)
    already = shares.MAX_LEFT - 2
    with ctx():
        db.session.scalar(select(ClinicianShare)).documents_left = already
        db.session.commit()
        documents.master_key()  # made on first use in development: not raced here
    _slowed(monkeypatch, documents, "add")
    answers = _together(app, public_id, _leave(public_id))
    statuses = Counter(r.status_code for r in answers)
    assert statuses == {302: 2, 409: N - 2}, statuses
    assert _row(ctx, public_id).documents_left == shares.MAX_LEFT
    with ctx():
        assert db.session.scalar(select(func.count()).select_from(Document).where(
            Document.profile_id == louis)) == 2
    assert _logged(ctx, louis)["share.document_left"] == 2
