"""The password policy refuses what an attacker tries first: leaked and keyboard passwords (zxcvbn's
lists), our list of common French ones, and the account's own e-mail and name. A short sentence of
common words, which is what we advise, passes."""

import pytest

from companion.services.passwords import policy_error

ACCOUNT = ("anna.petit@example.fr", "Anna Petit")

# Each one was accepted before (issue 12), or is a classic of leaked lists.
WEAK = ["aaaaaaaa", "password1234", "qwerty12345", "sunshine1", "01012000", "azertyuiop", "motdepasse1",
        "iloveyou2", "123456789", "abcdefgh1", "football1", "qwertyuiop"]
PERSONAL = ["anna.petit@example.fr", "anna.petit", "annapetit", "Anna Petit", "anna.petit2026"]
GOOD = ["une phrase facile", "ma maison bleue", "nouveau secret 2026", "jean-pierre75 joue",
        "demo-companion-2026"]


@pytest.mark.parametrize("password", WEAK)
def test_common_and_leaked_passwords_are_refused(app, password):
    with app.test_request_context():
        assert "trop courant" in str(policy_error(password, user_inputs=ACCOUNT))


@pytest.mark.parametrize("password", PERSONAL)
def test_the_accounts_own_email_and_name_are_refused(app, password):
    with app.test_request_context():
        reason = policy_error(password, user_inputs=ACCOUNT)
        assert reason is not None
        assert "adresse e-mail ou votre nom" in str(reason) or "trop courant" in str(reason)


@pytest.mark.parametrize("password", GOOD)
def test_a_short_sentence_of_common_words_passes(app, password):
    with app.test_request_context():
        assert policy_error(password, user_inputs=ACCOUNT) is None


def test_registration_refuses_the_email_as_password_with_a_clear_message(web, ctx):
    resp = web.register(email="anna.petit@example.fr", password="anna.petit@example.fr")
    assert resp.status_code == 422
    assert "votre adresse e-mail ou votre nom" in resp.get_data(as_text=True)
