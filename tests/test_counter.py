"""At the pharmacy counter (issue 16): the person marks the current prescription and its renewal date;
the screen shows it large, for the owner and for caregivers who read documents, is kept offline (listed in
the manifest, the prescription pinned on the phone that chose it), and a caregiver's look is logged."""

import io
import json
from datetime import date, timedelta

from PIL import Image
from sqlalchemy import select

from companion.extensions import db
from companion.models.account import User
from companion.models.audit import AccessEvent
from companion.models.document import DocumentPin

from .cast import PASSWORD, delegate, make_person, sign_up, signed_in
from .conftest import Browser
from .documents_support import _empty_document_store, upload  # noqa: F401


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(out, format="PNG")
    return out.getvalue()


def _prescription(web, pid) -> int:
    resp = upload(web, pid, _png(), filename="ordonnance.png", type_code="57833-6",
                  title="Ordonnance Dr Lemoine")
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def test_the_counter_shows_the_chosen_prescription_large_with_its_renewal_date(app, web, ctx):
    pid = sign_up(web, ctx, "louis")
    assert "Aucune ordonnance en cours" in web.get(f"/p/{pid}/counter").get_data(as_text=True)
    doc_id = _prescription(web, pid)
    renew = (date.today() + timedelta(days=20)).isoformat()
    resp = web.post(f"/p/{pid}/counter", {"prescription": str(doc_id), "renewal_on": renew},
                    from_url=f"/p/{pid}/counter")
    assert resp.status_code == 302
    page = web.get(f"/p/{pid}/counter").get_data(as_text=True)
    assert f'<img src="/p/{pid}/documents/{doc_id}/file"' in page and "À renouveler le" in page
    with ctx():
        assert db.session.scalar(select(DocumentPin).where(DocumentPin.document_id == doc_id))
    urls = [c["url"] for c in json.loads(web.get("/offline/manifest.json").get_data(as_text=True))["cards"]]
    assert f"/p/{pid}/counter" in urls
    too_far = (date.today() + timedelta(days=1000)).isoformat()
    resp = web.post(f"/p/{pid}/counter", {"prescription": str(doc_id), "renewal_on": too_far},
                    from_url=f"/p/{pid}/counter")
    assert resp.status_code == 400 and "date de renouvellement" in resp.get_data(as_text=True)

    with ctx():
        sophie_id = make_person("sophie").id
        db.session.commit()
    delegate(ctx, pid, "sophie", "documents:read")
    helper = signed_in(app.test_client(), sophie_id)
    page = helper.get(f"/p/{pid}/counter").get_data(as_text=True)
    assert "Ordonnance Dr Lemoine" in page and "Choisir l" not in page  # she reads, she does not choose
    with ctx():
        logged = db.session.scalars(select(AccessEvent.action).where(AccessEvent.actor_id == sophie_id)).all()
    assert "counter.view" in logged


def test_a_phone_whose_first_page_is_the_counter_keeps_the_prescription_it_chose(app, web, ctx):
    """The phone never opened a documents page: the pin it makes at the counter is made under the id the
    phone is given at that answer, so its next sync copies the prescription (before, the pin went to an
    id no browser held, and the screen said "opens without network" while nothing was kept)."""
    pid = sign_up(web, ctx, "louis")
    doc_id = _prescription(web, pid)  # added on the computer
    with ctx():
        louis = db.session.scalar(select(User).where(User.email == "louis@example.fr"))
    phone = signed_in(app.test_client(), louis.id)
    assert phone.client.get_cookie("companion_device") is None
    resp = phone.post(f"/p/{pid}/counter", {"prescription": str(doc_id), "renewal_on": ""},
                      from_url=f"/p/{pid}/counter")
    assert resp.status_code == 302
    files = json.loads(phone.get("/offline/manifest.json").get_data(as_text=True))["files"]
    kept = [f for f in files if f["url"] == f"/p/{pid}/documents/{doc_id}/file"]
    assert kept and kept[0]["pinned"], files


def test_signing_in_gives_the_phone_its_device_id_at_once(app, ctx):
    """Given with the sign-in's answer, before the first page: a sync and a pin sent side by side right
    after would otherwise each get their own new id, and the pin could go to the one the browser drops."""
    with ctx():
        make_person("louis")
        db.session.commit()
    phone = Browser(app.test_client())
    assert phone.login(email="louis@example.fr", password=PASSWORD).status_code == 302
    given = phone.client.get_cookie("companion_device")
    assert given is not None and len(given.value) == 32
    phone.get("/")
    assert phone.client.get_cookie("companion_device").value == given.value
