""""Show when locked" (issue 16), the server's half: the card alone for the owner's phone to keep (never
for a caregiver nor a shared computer), the public /emergency page, the link from the signed-out page,
and the lost phone: a device signed out from another one is told to forget everything ("all"), which
drops the card kept to show when locked; an expired session is not (the worker keeps that card)."""

from datetime import date, timedelta

from sqlalchemy import select

from companion.extensions import db
from companion.models.account import UserSession
from companion.models.profile import Profile
from companion.models.types import utcnow
from companion.web import sw_contract as swc

from .cast import signed_in
from .test_emergency_card import _louis_and_sophie


def test_the_locked_copy_is_the_card_alone_and_says_anyone_can_read_it(app, web, ctx):
    pid, helper, _sophie = _louis_and_sophie(app, web, ctx)
    with ctx():
        db.session.get(Profile, pid).birth_date = date(1959, 3, 14)
        db.session.commit()
    page = web.get(f"/p/{pid}/emergency").get_data(as_text=True)
    assert "Afficher sans connexion" in page and "toute personne qui tient ce téléphone" in page
    resp = web.get(f"/p/{pid}/emergency/locked")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert resp.headers[swc.ACCOUNT_KEY] and swc.OFFLINE_CACHE not in resp.headers
    html = resp.get_data(as_text=True)
    assert "pénicilline (plaques rouges)" in html and "Sophie Bernard, fille" in html
    assert "né(e) le 14\u00a0mars\u00a01959" in html
    assert "toute personne qui tient ce téléphone peut lire cette carte" in html
    # Nothing else of the account: no menu, no form, no token, no link, no script.
    for absent in ("Mon compte", "csrf", "<form", "<a ", "<script", "/documents"):
        assert absent not in html, absent
    # A caregiver reads the card but cannot make it open without logging in on her phone.
    assert "Afficher sans connexion" not in helper.get(f"/p/{pid}/emergency").get_data(as_text=True)
    assert helper.get(f"/p/{pid}/emergency/locked").status_code == 404


def test_never_on_a_shared_computer(app, web, ctx):
    pid, _helper, _sophie = _louis_and_sophie(app, web, ctx)
    with ctx():
        for s in db.session.scalars(select(UserSession)):
            s.shared_device = True
        db.session.commit()
    assert web.get(f"/p/{pid}/emergency/locked").status_code == 404
    assert "Afficher sans connexion" not in web.get(f"/p/{pid}/emergency").get_data(as_text=True)
    out = web.post("/logout", {}).get_data(as_text=True)
    assert "/emergency" not in out  # the signed-out page of a shared computer offers no card


def test_the_public_page_and_the_signed_out_page_lead_to_the_card(app, client, web, ctx):
    page = client.get("/emergency")
    assert page.status_code == 200 and page.headers[swc.SIGNED_OUT] == "1"
    assert "Aucune carte d’urgence n’est gardée sur ce téléphone" in page.get_data(as_text=True)
    pid, _helper, _sophie = _louis_and_sophie(app, web, ctx)
    out = web.post("/logout", {})
    assert out.headers[swc.WIPE] == "account"  # an ordinary sign-out: the worker keeps the locked card
    assert 'href="/emergency"' in out.get_data(as_text=True)
    assert 'href="/emergency"' in client.get("/offline/fr").get_data(as_text=True)


def test_a_phone_signed_out_from_elsewhere_is_told_to_forget_everything(app, web, ctx):
    pid, helper, sophie_id = _louis_and_sophie(app, web, ctx)
    lost = signed_in(app.test_client(), sophie_id)
    expired = signed_in(app.test_client(), sophie_id)
    assert lost.get("/").headers[swc.ACCOUNT_KEY]
    with ctx():  # one of her sessions simply expires
        newest = db.session.scalars(select(UserSession).where(UserSession.user_id == sophie_id)
                                    .order_by(UserSession.id.desc())).first()
        newest.last_seen_at = utcnow() - timedelta(days=2)
        db.session.commit()
    gone = expired.get("/")
    assert gone.headers[swc.SIGNED_OUT] == "1" and swc.WIPE not in gone.headers
    # From her laptop (helper): "sign out everywhere else" (the lost phone is one of them).
    helper.post("/account/security/devices/others/sign-out", {}, from_url="/account/security/")
    resp = lost.get("/")
    assert resp.headers[swc.SIGNED_OUT] == "1" and resp.headers[swc.WIPE] == "all"
    assert lost.get("/emergency").headers[swc.WIPE] == "all"  # and at every answer after
    assert helper.get("/").headers[swc.ACCOUNT_KEY]  # the laptop stays signed in
