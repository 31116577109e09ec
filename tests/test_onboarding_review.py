"""Review fixes of the assisted onboarding: what the person notices on their own phone afterwards."""

import ast
import re
from pathlib import Path

import pytest

from companion.services import ServiceError, onboarding, recovery
from companion.views import mediators as views_mediators
from companion.views import onboarding as views_onboarding

from .conftest import Browser
from .test_onboarding_flow import consent_and_create, join, mediator_browser, start_session
from .test_onboarding_services import give_key, make_mediator, make_person, make_structure


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


def _live_session_with_person(password=True):
    mediator = make_mediator(make_structure())
    sess, code = onboarding.start(mediator)
    onboarding.claim(code, shared_device=False)
    onboarding.consent(sess)
    person = make_person()
    if not password:
        person.password_hash = None
    onboarding.attach_person(sess, person)
    return sess, person


def test_the_key_and_sheet_steps_are_done_only_when_they_exist(app):
    """The step rules live in the service: a claimed key or sheet that does not exist is refused."""
    with app.test_request_context():
        sess, person = _live_session_with_person()
        for step in ("key", "recovery"):
            with pytest.raises(ServiceError):
                onboarding.confirm_done(sess, person, step)
            assert sess.status_of(step) == "todo"
        give_key(person)
        recovery.generate(person)
        onboarding.confirm_done(sess, person, "key")  # the key page goes on to the sheet by itself
        assert sess.status_of("key") == "done" and sess.status_of("recovery") == "done"
        onboarding.confirm_done(sess, person, "reminders")  # not checkable: the person's word
        assert sess.status_of("reminders") == "done"


def test_without_a_password_the_key_step_cannot_be_skipped_in_the_service(app):
    with app.test_request_context():
        sess, person = _live_session_with_person(password=False)
        with pytest.raises(ServiceError):
            onboarding.skip(sess, person, "key")
        assert sess.status_of("key") == "todo"
        onboarding.skip(sess, person, "recovery")
        assert sess.status_of("recovery") == "skipped"


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
