"""Security keys in a real Chromium with a virtual authenticator (DevTools protocol), on http://localhost:PORT:
add a key, log in with password + key, with the passkey alone, recover with a printed code after losing
the phone, and a second account cannot use the first account's key. axe on every security page."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import axe_check, login, logout, register

pytestmark = pytest.mark.e2e

AUTHENTICATOR = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
                 "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True}


class Phone:
    """The phone's own authenticator, seen through DevTools."""

    def __init__(self, context, page):
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable")
        self.id = None
        self.plug()

    def plug(self):
        added = self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
        self.id = added["authenticatorId"]

    def lose(self):
        self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": self.id})

    def credentials(self):
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]


def add_key(page, base, name="Mon téléphone"):
    page.goto(f"{base}/account/security/keys/new")
    page.get_by_label("Nom de la clé").fill(name)
    page.get_by_role("button", name="Ajouter cette clé").click()


def make_sheet(page) -> list[str]:
    """On the first key the app goes on to the recovery sheet: make it and read the codes."""
    page.wait_for_url(re.compile(r"/account/security/recovery"))
    page.get_by_role("button", name="Créer ma feuille de secours").click()
    page.wait_for_selector("ol.codes")
    codes = page.locator("ol.codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="J’ai gardé mes codes").click()
    return codes


def test_add_a_key_log_out_and_log_in_with_password_and_key(page, context, live_server, unique_email):
    base = live_server.url
    phone = Phone(context, page)
    register(page, base, unique_email)
    expect(page.locator(".key-banner")).to_be_visible()
    add_key(page, base)
    make_sheet(page)
    page.wait_for_url(f"{base}/account/security/")
    expect(page.get_by_role("heading", name="Mon téléphone")).to_be_visible()
    expect(page.locator(".key-banner")).to_have_count(0)
    logout(page)

    login(page, base, unique_email)
    page.wait_for_url(f"{base}/login/key")
    page.get_by_role("button", name="Utiliser ma clé").click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_role("heading", name="Bonjour Anna Petit")).to_be_visible()
    assert phone.credentials()[0]["signCount"] >= 2
    page.goto(f"{base}/account/security/")
    expect(page.get_by_text("Dernière utilisation le")).to_be_visible()


def test_passkey_alone_signs_in(page, context, live_server, unique_email):
    base = live_server.url
    Phone(context, page)
    register(page, base, unique_email)
    add_key(page, base)
    make_sheet(page)
    logout(page)
    page.goto(f"{base}/login")
    page.get_by_role("button", name="Utiliser mon téléphone à la place (clé d’accès)").click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_role("heading", name="Bonjour Anna Petit")).to_be_visible()


def test_lost_phone_recovery_code_then_a_new_key(page, context, live_server, unique_email):
    base = live_server.url
    phone = Phone(context, page)
    register(page, base, unique_email)
    add_key(page, base)
    codes = make_sheet(page)
    logout(page)
    phone.lose()

    login(page, base, unique_email)
    page.wait_for_url(f"{base}/login/key")
    page.get_by_text("J’ai perdu ma clé").click()
    page.get_by_label("Code de ma feuille de secours").fill(codes[3])
    page.get_by_role("button", name="Me connecter avec ce code").click()
    page.wait_for_url(re.compile(r"/account/security/keys/new"))
    expect(page.get_by_text("Ce code ne marchera plus")).to_be_visible()

    phone.plug()  # the new phone
    page.get_by_label("Nom de la clé").fill("Nouveau téléphone")
    page.get_by_role("button", name="Ajouter cette clé").click()
    page.wait_for_url(f"{base}/")
    logout(page)
    login(page, base, unique_email)
    page.get_by_role("button", name="Utiliser ma clé").click()
    page.wait_for_url(f"{base}/")
    # The used code does not work twice.
    logout(page)
    login(page, base, unique_email)
    page.get_by_text("J’ai perdu ma clé").click()
    page.get_by_label("Code de ma feuille de secours").fill(codes[3])
    page.get_by_role("button", name="Me connecter avec ce code").click()
    expect(page.get_by_text("Ce code ne marche pas").first).to_be_visible()


def test_a_second_account_cannot_use_the_first_accounts_key(page, context, live_server, unique_email):
    base = live_server.url
    phone = Phone(context, page)
    register(page, base, unique_email)
    add_key(page, base)
    make_sheet(page)
    logout(page)
    bob = "bob-" + unique_email
    register(page, base, bob, name="Bob Durand")
    add_key(page, base, "Clé de Bob")
    make_sheet(page)
    logout(page)
    anna_id = next(c["credentialId"] for c in phone.credentials() if c["userName"] == unique_email)

    login(page, base, bob)
    page.wait_for_url(f"{base}/login/key")
    # Bob's browser asks the phone for Anna's credential instead of his own, and sends its answer.
    status = page.evaluate("""async (annaId) => {
      const csrf = document.querySelector('meta[name="csrf-token"]').content;
      const h = {'Content-Type': 'application/json', 'X-CSRFToken': csrf, 'Accept': 'application/json'};
      const o = await (await fetch('/login/key/options', {method: 'POST', headers: h, body: '{}'})).json();
      const id = annaId.replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
      o.allowCredentials = [{type: 'public-key', id}];
      const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(o);
      const c = await navigator.credentials.get({publicKey});
      const body = JSON.stringify({credential: c.toJSON()});
      const r = await fetch('/login/key/check', {method: 'POST', headers: h, body});
      return [r.status, (await r.json()).message, c.response.userHandle !== null];
    }""", anna_id)
    assert status[0] == 400 and "pas enregistrée pour ce compte" in status[1], status
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="Bonjour Bob Durand")).to_have_count(0)
    expect(page.get_by_role("heading", name="Bonjour Anna Petit")).to_have_count(0)


def _security_pages(page, base):
    for path in ("/account/security/", "/account/security/keys/new", "/account/security/recovery",
                 "/account/security/password", "/reauth?next=/account/security/"):
        page.goto(base + path)
        axe_check(page)
    page.goto(base + "/account/security/recovery")
    page.locator("form[action$='/recovery'] button[type=submit]").click()
    page.wait_for_selector("ol.codes")
    axe_check(page)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_security_pages_have_no_axe_violations(page, context, live_server, unique_email, lang):
    base = live_server.url
    Phone(context, page)
    register(page, base, unique_email)
    if lang == "en":
        page.get_by_role("button", name="English").click()
    add_key(page, base) if lang == "fr" else _add_key_en(page, base)
    page.wait_for_url(re.compile(r"/account/security/recovery"))
    _security_pages(page, base)
    page.goto(base + "/")
    axe_check(page)  # the home page with no banner left
    page.locator("header form[action$='/logout'] button").click()
    page.goto(base + "/login")
    axe_check(page)
    page.get_by_label(re.compile("E-mail|Adresse e-mail")).fill(unique_email)
    page.locator("#password").fill("une phrase facile")
    page.locator("form[action$='/login'] button[type=submit]").click()
    page.wait_for_url(f"{base}/login/key")
    page.locator("details summary").click()
    axe_check(page)


def _add_key_en(page, base):
    page.goto(f"{base}/account/security/keys/new")
    page.get_by_label("Name of the key").fill("My phone")
    page.get_by_role("button", name="Add this key").click()


OLD_PHONE = """
delete PublicKeyCredential.parseCreationOptionsFromJSON;
delete PublicKeyCredential.parseRequestOptionsFromJSON;
delete PublicKeyCredential.prototype.toJSON;
"""


def test_an_older_browser_without_the_json_helpers_still_works(page, context, live_server, unique_email):
    """The base64url fallback of webauthn.js: no parse*FromJSON, no credential.toJSON()."""
    base = live_server.url
    page.add_init_script(OLD_PHONE)
    phone = Phone(context, page)
    register(page, base, unique_email)
    assert page.evaluate("typeof PublicKeyCredential.parseCreationOptionsFromJSON") == "undefined"
    add_key(page, base)
    make_sheet(page)
    logout(page)
    login(page, base, unique_email)
    page.get_by_role("button", name="Utiliser ma clé").click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_role("heading", name="Bonjour Anna Petit")).to_be_visible()
    assert phone.credentials()[0]["signCount"] >= 2


def test_a_browser_without_webauthn_gets_a_plain_message(page, live_server, unique_email):
    base = live_server.url
    page.add_init_script("delete window.PublicKeyCredential;")
    register(page, base, unique_email)
    page.goto(f"{base}/account/security/keys/new")
    page.get_by_role("button", name="Ajouter cette clé").click()
    expect(page.get_by_text("Ce navigateur ne sait pas utiliser une clé de sécurité")).to_be_visible()
    logout(page)
    page.goto(f"{base}/login")
    expect(page.get_by_role("button", name="Utiliser mon téléphone à la place (clé d’accès)")).to_be_hidden()


def test_remove_a_key_after_confirming_with_the_key(page, context, live_server, unique_email):
    from datetime import timedelta

    from companion.extensions import db
    from companion.models.account import User, UserSession

    base = live_server.url
    Phone(context, page)
    register(page, base, unique_email)
    add_key(page, base)
    make_sheet(page)
    with live_server.app.app_context():  # ten minutes later: the login is no longer fresh
        user = db.session.query(User).filter_by(email=unique_email).one()
        for sess in db.session.query(UserSession).filter_by(user_id=user.id):
            sess.authenticated_at = sess.authenticated_at - timedelta(minutes=10)
        db.session.commit()
    page.goto(f"{base}/account/security/")
    page.get_by_text("Renommer ou retirer").click()
    page.get_by_role("button", name="Retirer « Mon téléphone »").click()
    page.wait_for_url(re.compile(r"/reauth"))
    axe_check(page)
    page.get_by_role("button", name="Utiliser ma clé").click()
    page.wait_for_url(f"{base}/account/security/")
    page.get_by_text("Renommer ou retirer").click()
    page.get_by_role("button", name="Retirer « Mon téléphone »").click()
    expect(page.get_by_text("La clé « Mon téléphone » est retirée")).to_be_visible()
    expect(page.get_by_role("heading", name="Mon téléphone")).to_have_count(0)
