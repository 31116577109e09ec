"""What the owner's access log says of a caregiver's share for a health professional: each thing it
carries, by name, since the professional's opening shows the owner nothing of what was in it."""

import base64

import pytest
from sqlalchemy import select

from companion.demo.documents import make_pdf
from companion.extensions import db
from companion.models.audit import AccessEvent

from .cast import sign_up
from .documents_support import _empty_document_store, upload  # noqa: F401
from .test_shares import Clinician, _decrypt, _fill, _share, _sophie_helps


@pytest.fixture
def louis(web, ctx):
    pid = sign_up(web, ctx, "louis")
    _fill(web, pid)  # an emergency card to share
    return pid


def test_a_caregivers_share_names_in_the_owners_log_each_thing_it_carries(app, web, ctx, louis):
    """She never opens the document here: she puts it in a 15-minute share and opens the link herself.
    The owner must read its title, not only "made a share for a health professional"."""
    resp = upload(web, louis, make_pdf("vih", ["Sérologie"]), title="Sérologie VIH")
    doc_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    helper, _ = _sophie_helps(app, ctx, louis, "documents:read")
    public_id, key, _code = _share(helper, louis, documents=[str(doc_id)], lifetime="15m")
    got = _decrypt(Clinician(app).open(public_id), key, public_id)
    assert base64.b64decode(got["documents"][0]["data"]).startswith(b"%PDF")  # the whole document left
    with ctx():
        log = [(e.action, e.object_id, e.object_label) for e in db.session.scalars(
            select(AccessEvent).where(AccessEvent.profile_id == louis, AccessEvent.actor_role == "caregiver")
            .order_by(AccessEvent.id))]
    assert ("share.document_put", str(doc_id), "Sérologie VIH") in log
    assert ("share.card_put", "", "") in log  # the card was in it too (the form's default)
    page = web.get(f"/p/{louis}/access-log").get_data(as_text=True)
    assert "a mis un document dans un partage pour un professionnel de santé\u00a0:" in page
    assert "Sérologie VIH" in page
    assert "a mis la carte d’urgence dans un partage pour un professionnel de santé" in page


def test_an_owners_own_share_writes_nothing_more(app, web, ctx, louis):
    _share(web, louis)
    with ctx():
        assert not db.session.scalars(select(AccessEvent).where(AccessEvent.action.like("share.%_put"))).all()
