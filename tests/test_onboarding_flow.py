"""An assisted onboarding over HTTP, with two browsers: the mediator's and the person's (and the
person's own phone afterwards, which is never wiped); pages that speak to the person without
gendered words; views that reach data through services only."""

import ast
import re
from pathlib import Path

from companion.extensions import db
from companion.models.account import User, UserSession
from companion.models.onboarding import AssistedSession
from companion.models.profile import Profile
from companion.services import recovery
from companion.views import mediators as views_mediators
from companion.views import onboarding as views_onboarding

from .cast import give_key, mediator_browser
from .conftest import Browser

CODE_RE = re.compile(r'class="onb-digits"[^>]*>(\d{3}) (\d{3})<')


def start_session(mediator: Browser) -> tuple[str, int]:
    resp = mediator.post("/mediators/sessions", from_url="/mediators/")
    assert resp.status_code == 302
    page = mediator.get(resp.headers["Location"]).get_data(as_text=True)
    match = CODE_RE.search(page)
    assert match, page
    assert "<svg" in page and 'role="img"' in page  # the QR code
    return match.group(1) + match.group(2), int(resp.headers["Location"].rstrip("/").split("/")[-1])


def join(app, code: str, shared: bool = False) -> Browser:
    person = Browser(app.test_client())
    page = person.get(f"/onboarding/join?code={code}").get_data(as_text=True)
    assert f'value="{code}"' in page  # the QR code's link fills the code in
    data = {"code": code, **({"shared_computer": "y"} if shared else {})}
    resp = person.post("/onboarding/join", data, from_url="/onboarding/join")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/onboarding/consent")
    return person


def consent_and_create(person: Browser, email="anna@example.fr") -> None:
    consent = person.get("/onboarding/consent").get_data(as_text=True)
    assert "Karim Benali" in consent and "France Services de Guéret" in consent
    resp = person.post("/onboarding/consent", {"answer": "agree"}, from_url="/onboarding/consent")
    assert resp.headers["Location"].endswith("/onboarding/account")
    data = {"display_name": "Anna Petit", "email": email, "password": "une phrase facile"}
    resp = person.post("/onboarding/account", data, from_url="/onboarding/account")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/onboarding/step/key")


def test_mediator_and_person_go_through_the_steps_and_the_mediator_sees_statuses_only(app, ctx):
    mediator, _mid = mediator_browser(app)
    code, sid = start_session(mediator)
    person = join(app, code)
    consent_and_create(person)
    person.post("/onboarding/step/key", {"answer": "skip"}, from_url="/onboarding/step/key")
    # "It is done" is checked: no sheet yet, so the step stays to do.
    resp = person.post("/onboarding/step/recovery", {"answer": "done"}, from_url="/onboarding/step/recovery")
    assert resp.headers["Location"].endswith("/onboarding/step/recovery")
    assert "Aucune feuille de secours" in person.get(resp.headers["Location"]).get_data(as_text=True)
    with app.test_request_context():
        recovery.generate(db.session.query(User).filter_by(email="anna@example.fr").one())
        db.session.commit()
    resp = person.get("/onboarding/step/recovery/back")  # back from the sheet page
    assert resp.headers["Location"].endswith("/onboarding/step/profile")
    resp = person.get("/onboarding/step/profile")
    profile_url = resp.headers["Location"]
    assert "/p/" in profile_url
    resp = person.post(profile_url, {"birth_date": "1961-04-17", "sex": "F"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/onboarding/step/family")
    with ctx():
        profile = db.session.query(Profile).filter_by(first_name="Anna").one()
        assert str(profile.birth_date) == "1961-04-17" and profile.sex == "F"

    status = mediator.get(f"/mediators/sessions/{sid}/status.json").get_json()
    by_step = {s["name"]: s["status"] for s in status["steps"]}
    assert by_step == {"account": "done", "key": "skipped", "recovery": "done", "profile": "done",
                       "family": "todo", "reminders": "todo", "document": "todo"}
    page = mediator.get(f"/mediators/sessions/{sid}").get_data(as_text=True)
    assert "Fait" in page and "Pour plus tard" in page and "À faire" in page
    for secret in ("Anna", "Petit", "anna@example.fr", "1961", "17/04", "avril"):
        assert secret not in page, secret
    # The code is gone once used: not shown, whole or in its two halves (three random digits alone
    # also turn up by chance in the page's numbers: an asset's hash, a bar's maximum).
    assert CODE_RE.search(page) is None and f"{code[:3]} {code[3:]}" not in page and code not in page
    # The person's own access log holds the session.
    with ctx():
        person_id = db.session.query(User.id).filter_by(email="anna@example.fr").scalar()
        from companion.models.audit import AccessEvent
        actions = {e.action for e in db.session.query(AccessEvent).filter_by(account_id=person_id)}
        assert {"onboarding.session_started", "onboarding.step_done", "onboarding.step_skipped"} <= actions


def test_the_mediator_cannot_open_the_persons_profile_data(app, ctx):
    mediator, _mid = mediator_browser(app)
    code, _sid = start_session(mediator)
    person = join(app, code)
    consent_and_create(person)
    with ctx():
        profile_id = db.session.query(Profile.id).filter_by(first_name="Anna").scalar()
    for url in (f"/p/{profile_id}/onboarding/profile", f"/p/{profile_id}/onboarding"):
        resp = mediator.get(url)
        assert resp.status_code == 404
        assert "Anna" not in resp.get_data(as_text=True)


def test_a_code_used_by_one_phone_does_not_work_on_a_second(app):
    mediator, _mid = mediator_browser(app)
    code, _sid = start_session(mediator)
    join(app, code)
    other = Browser(app.test_client())
    resp = other.post("/onboarding/join", {"code": code}, from_url="/onboarding/join")
    assert resp.status_code == 400
    assert "Ce code ne fonctionne pas" in resp.get_data(as_text=True)


def test_guessing_codes_is_rate_limited(app):
    before = app.config["CODE_RATE_LIMIT"]
    app.config["CODE_RATE_LIMIT"] = "3 per minute"
    try:
        guesser = Browser(app.test_client())
        statuses = [guesser.post("/onboarding/join", {"code": f"00000{i}"},
                                 from_url="/onboarding/join").status_code for i in range(5)]
    finally:
        app.config["CODE_RATE_LIMIT"] = before
    assert statuses[:3] == [400, 400, 400] and statuses[-1] == 429


def test_a_mediator_of_another_structure_gets_a_404(app):
    mine, _ = mediator_browser(app)
    _code, sid = start_session(mine)
    other, _ = mediator_browser(app, email="lea@fs.example.fr", name="Léa Roux",
                                structure={"name": "France Services d'Aubusson", "commune": "23008"})
    assert other.get(f"/mediators/sessions/{sid}").status_code == 404
    assert other.get(f"/mediators/sessions/{sid}/status.json").status_code == 404
    assert other.post(f"/mediators/sessions/{sid}/end", from_url="/mediators/").status_code == 404


def test_an_ended_session_cannot_be_resumed_by_the_mediator(app, ctx):
    mediator, _ = mediator_browser(app)
    code, sid = start_session(mediator)
    person = join(app, code)
    consent_and_create(person)
    resp = mediator.post(f"/mediators/sessions/{sid}/end", from_url=f"/mediators/sessions/{sid}")
    assert resp.status_code == 302
    page = mediator.get(f"/mediators/sessions/{sid}").get_data(as_text=True)
    assert "ne peut pas reprendre" in page and "Terminer la séance" not in page
    assert mediator.get(f"/mediators/sessions/{sid}/status.json").get_json()["ended"] is True
    # The person may still finish skipped steps alone (on their own phone).
    resp = person.post("/onboarding/step/key", {"answer": "skip"}, from_url="/onboarding/step/key")
    assert resp.status_code == 302
    with ctx():
        assert db.session.query(AssistedSession).one().status_of("key") == "skipped"


def test_on_a_shared_computer_ending_signs_out_and_wipes_the_browser(app, ctx):
    mediator, _ = mediator_browser(app)
    code, _sid = start_session(mediator)
    person = join(app, code, shared=True)
    consent_and_create(person)
    resp = person.post("/onboarding/end", from_url="/onboarding/step/key")
    assert resp.status_code == 200  # a page, not a redirect: the worker reads the headers
    assert resp.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert resp.headers["X-Companion-Wipe"] == "all"
    assert "effacé de cet ordinateur" in resp.get_data(as_text=True)
    assert "Anna Petit" not in person.get("/").get_data(as_text=True)
    with ctx():
        assert db.session.query(UserSession).filter(UserSession.revoked_at.is_(None)).count() == 1  # mediator


def test_when_the_mediator_ends_a_shared_session_the_person_is_signed_out_and_wiped(app, ctx):
    mediator, _ = mediator_browser(app)
    code, sid = start_session(mediator)
    person = join(app, code, shared=True)
    consent_and_create(person)
    mediator.post(f"/mediators/sessions/{sid}/end", from_url=f"/mediators/sessions/{sid}")
    assert person.get("/onboarding/status.json").get_json()["ended"] is True
    resp = person.get("/onboarding/ended")
    assert resp.status_code == 200 and resp.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert "Anna Petit" not in person.get("/").get_data(as_text=True)


def test_declining_consent_ends_the_session_and_records_nothing(app, ctx):
    mediator, _ = mediator_browser(app)
    code, sid = start_session(mediator)
    person = join(app, code)
    resp = person.post("/onboarding/consent", {"answer": "decline"}, from_url="/onboarding/consent")
    assert resp.status_code == 200
    with ctx():
        sess = db.session.get(AssistedSession, sid)
        assert sess.ended_by == "person" and sess.consent_at is None and sess.steps == []


def test_the_welcome_page_links_to_the_help_session(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/onboarding/join"' in page


def test_the_key_step_is_done_only_when_a_key_exists_and_then_the_sheet_counts_too(app, ctx):
    mediator, _ = mediator_browser(app)
    code, sid = start_session(mediator)
    person = join(app, code)
    consent_and_create(person)
    page = person.get("/onboarding/step/key").get_data(as_text=True)
    assert "/account/security/keys/new?next=/onboarding/step/key/back" in page
    assert 'data-listen="step-say"' in page  # the "listen" button (shown by the script)
    resp = person.get("/onboarding/step/key/back")  # came back without adding a key
    assert resp.headers["Location"].endswith("/onboarding/step/key")
    with app.test_request_context():
        anna = db.session.query(User).filter_by(email="anna@example.fr").one()
        give_key(anna)
        recovery.generate(anna)
        db.session.commit()
    resp = person.get("/onboarding/step/key/back")
    assert resp.headers["Location"].endswith("/onboarding/step/profile")
    with ctx():
        sess = db.session.get(AssistedSession, sid)
        assert sess.status_of("key") == "done" and sess.status_of("recovery") == "done"


def test_without_a_password_the_key_step_cannot_be_skipped(app, ctx):
    mediator, _ = mediator_browser(app)
    code, sid = start_session(mediator)
    person = join(app, code)
    person.post("/onboarding/consent", {"answer": "agree"}, from_url="/onboarding/consent")
    data = {"display_name": "Anna Petit", "email": "anna@example.fr", "password": ""}
    resp = person.post("/onboarding/account", data, from_url="/onboarding/account")
    assert resp.headers["Location"].endswith("/onboarding/step/key")
    resp = person.post("/onboarding/step/key", {"answer": "skip"}, from_url="/onboarding/step/key")
    assert resp.headers["Location"].endswith("/onboarding/step/key")
    with ctx():
        assert db.session.get(AssistedSession, sid).status_of("key") == "todo"


def test_a_person_with_an_account_signs_in_during_a_shared_session_and_is_signed_out_at_the_end(app, ctx):
    person = Browser(app.test_client())
    person.register()
    person.logout()
    mediator, _ = mediator_browser(app)
    code, sid = start_session(mediator)
    data = {"code": code, "shared_computer": "y"}
    person.post("/onboarding/join", data, from_url="/onboarding/join")
    person.post("/onboarding/consent", {"answer": "agree"}, from_url="/onboarding/consent")
    page = person.get("/onboarding/account").get_data(as_text=True)
    assert "/login?next=/onboarding/account" in page  # "I already have an account"
    resp = person.login(next="/onboarding/account")
    assert resp.headers["Location"].endswith("/onboarding/account")
    assert person.get("/onboarding/account").headers["Location"].endswith("/onboarding/step/key")
    mediator.post(f"/mediators/sessions/{sid}/end", from_url=f"/mediators/sessions/{sid}")
    assert "Anna Petit" not in person.get("/").get_data(as_text=True)  # signed out on the shared computer
    with ctx():
        sess = db.session.get(AssistedSession, sid)
        assert sess.person_id is not None and sess.status_of("account") == "done"


def test_the_persons_access_log_shows_the_session_in_plain_words(app, ctx):
    mediator, _ = mediator_browser(app)
    code, sid = start_session(mediator)
    person = join(app, code)
    consent_and_create(person)
    person.post("/onboarding/step/key", {"answer": "skip"}, from_url="/onboarding/step/key")
    mediator.post(f"/mediators/sessions/{sid}/end", from_url=f"/mediators/sessions/{sid}")
    with ctx():
        profile_id = db.session.query(Profile.id).filter_by(first_name="Anna").scalar()
    page = person.get(f"/p/{profile_id}/access-log").get_data(as_text=True)
    assert "Karim Benali" in page
    assert "a commencé une séance d’aide avec vous à France Services" in page
    assert "a laissé pour plus tard l’étape de préparation «\u00a0Téléphone comme clé\u00a0»" in page
    assert "a marqué comme faite l’étape de préparation «\u00a0Compte\u00a0»" in page
    assert "a terminé la séance d’aide. Étapes faites\u00a0: «\u00a0Compte\u00a0»" in page
    # Never the internal step codes.
    assert "«\u00a0key\u00a0»" not in page and "«\u00a0account\u00a0»" not in page


def test_after_a_shared_computer_session_the_own_phone_opens_the_steps_without_being_wiped(app):
    mediator, _ = mediator_browser(app)
    code, _sid = start_session(mediator)
    shared = join(app, code, shared=True)
    consent_and_create(shared)
    ended = shared.post("/onboarding/end", from_url="/onboarding/step/key")
    assert ended.headers["Clear-Site-Data"] == '"cache", "storage"'  # the shared computer is wiped
    phone = Browser(app.test_client())
    phone.login()
    for url in ("/onboarding/", "/onboarding/step/key", "/onboarding/step/key/back", "/onboarding/ended"):
        resp = phone.get(url)
        assert "Clear-Site-Data" not in resp.headers, url
        assert "X-Companion-Wipe" not in resp.headers, url
        assert "effacé de cet ordinateur" not in resp.get_data(as_text=True), url
    guide = phone.get("/onboarding/").get_data(as_text=True)
    assert "Vos étapes de préparation" in guide and "/onboarding/step/key" in guide
    # The person can still finish a step alone on the phone, and stays signed in.
    resp = phone.post("/onboarding/step/reminders", {"answer": "done"}, from_url="/onboarding/step/reminders")
    assert resp.status_code == 302 and "Clear-Site-Data" not in resp.headers
    assert "Anna Petit" in phone.get("/").get_data(as_text=True)


def test_ending_a_live_shared_session_from_the_own_phone_does_not_wipe_the_phone(app):
    mediator, _ = mediator_browser(app)
    code, _sid = start_session(mediator)
    shared = join(app, code, shared=True)
    consent_and_create(shared)
    phone = Browser(app.test_client())
    phone.login()
    resp = phone.post("/onboarding/end", from_url="/onboarding/")
    assert resp.status_code == 200 and "Clear-Site-Data" not in resp.headers
    assert "Anna Petit" in phone.get("/").get_data(as_text=True)
    # The shared computer, which ran the session, is signed out and wiped.
    resp = shared.get("/onboarding/ended")
    assert resp.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert "Anna Petit" not in shared.get("/").get_data(as_text=True)


def _imports(module) -> set:
    tree = ast.parse(Path(module.__file__).read_text())
    return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}


def test_the_onboarding_views_reach_data_through_services_only():
    for module in (views_onboarding, views_mediators):
        imported = _imports(module)
        assert not {m for m in imported if m and m.startswith("models")}, (module.__name__, imported)
        assert "auth" not in imported  # views do not import other views; the login helpers are in web.signin
    assert "web.signin" in _imports(views_onboarding)


GENDERED = re.compile(r"\b(aidée?s?|déconnectée?s?|connectée?s?)(?!\w)", re.IGNORECASE)


def _text(resp) -> str:
    return re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True))


def test_the_consent_and_the_end_speak_to_the_person_without_gendered_words(app):
    mediator, _ = mediator_browser(app)
    code, _sid = start_session(mediator)
    shared = join(app, code, shared=True)
    consent = _text(shared.get("/onboarding/consent"))
    assert ("J’accepte que Karim Benali, de France Services de Guéret, m’aide à ouvrir mon espace santé."
            in consent)
    assert not GENDERED.search(consent), GENDERED.search(consent)
    shared.post("/onboarding/consent", {"answer": "agree"}, from_url="/onboarding/consent")
    data = {"display_name": "Anna Petit", "email": "anna@example.fr", "password": "une phrase facile"}
    shared.post("/onboarding/account", data, from_url="/onboarding/account")
    ended = _text(shared.post("/onboarding/end", from_url="/onboarding/step/key"))
    assert "effacé de cet ordinateur" in ended
    assert not GENDERED.search(ended), GENDERED.search(ended)


def test_opening_the_account_step_on_the_own_phone_does_not_tie_the_phone_to_the_shared_session(app):
    mediator, _ = mediator_browser(app)
    code, sid = start_session(mediator)
    shared = join(app, code, shared=True)
    consent_and_create(shared)
    phone = Browser(app.test_client())
    phone.login()
    assert phone.get("/onboarding/account").status_code == 302
    mediator.post(f"/mediators/sessions/{sid}/end", from_url=f"/mediators/sessions/{sid}")
    assert "Anna Petit" in phone.get("/").get_data(as_text=True)  # the phone stays signed in
    assert "Anna Petit" not in shared.get("/").get_data(as_text=True)  # the shared computer does not


def test_the_persons_pages_do_not_assume_the_advisor_is_a_man(app):
    """« votre conseiller » said the advisor is a man: the pages name France Services or the helper."""
    mediator, _ = mediator_browser(app)
    code, _sid = start_session(mediator)
    person = Browser(app.test_client())
    wrong = person.post("/onboarding/join", {"code": "000000"}, from_url="/onboarding/join")
    pages = {"join": _text(person.get("/onboarding/join")), "wrong code": _text(wrong),
             "recover": _text(person.get("/onboarding/recover"))}
    pages["consent"] = _text(join(app, code).get("/onboarding/consent"))
    pages["welcome"] = _text(Browser(app.test_client()).get("/"))
    for name, text in pages.items():
        assert "conseiller" not in text, name
    assert "la personne qui vous aide" in pages["wrong code"]
