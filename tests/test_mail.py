"""Real e-mail: composed in the recipient's language, sent to a real SMTP server, retried, never dropped."""

import logging
from datetime import timedelta

from companion.extensions import db
from companion.models.mail import OutgoingMail
from companion.models.types import utcnow
from companion.services import mail

from .smtp_server import smtp  # noqa: F401 (fixture)

HEALTH_WORDS = ("santé", "health", "document", "vaccin", "ordonnance", "diagnos", "médic", "medic")
PARAMS = {"name": "Anna", "started": "29 nov. 2026", "structure": "France Services de Guéret",
          "effect": "2 déc. 2026", "link": ""}


def _queue(locale="fr", to="anna@example.fr"):
    return mail.queue(to, locale, "recovery_started",
                      **{**PARAMS, "link": mail.public_url("/account/recovery-requests")})


def test_a_message_reaches_the_smtp_server_in_the_recipients_language(app, smtp):  # noqa: F811
    app.config["PUBLIC_ORIGIN"] = "https://companion.example.fr"
    try:
        with app.test_request_context("/", base_url="http://evil.example"):
            _queue("fr")
            _queue("en", to="bob@example.org")
            db.session.commit()
            assert mail.send_queued() == 2
    finally:
        app.config["PUBLIC_ORIGIN"] = "http://localhost:5000"
    (to_fr, fr), (to_en, en) = smtp.messages
    assert to_fr == ["anna@example.fr"] and to_en == ["bob@example.org"]
    assert fr["Content-Language"] == "fr" and "nouveau mot de passe" in fr["Subject"]
    assert en["Content-Language"] == "en" and "new password" in en["Subject"]
    for msg in (fr, en):
        body = msg.get_content()
        assert "https://companion.example.fr/account/recovery-requests" in body
        assert "evil.example" not in body  # never the request's Host
        assert not [w for w in HEALTH_WORDS if w in body.lower() or w in msg["Subject"].lower()]
    with app.app_context():
        assert all(row.sent_at for row in db.session.scalars(db.select(OutgoingMail)))


def test_a_refused_message_stays_queued_and_housekeeping_sends_it_later(app, smtp):  # noqa: F811
    smtp.refuse = True
    with app.test_request_context():
        row_id = _queue().id
        db.session.commit()
        assert mail.send_queued() == 0
        row = db.session.get(OutgoingMail, row_id)
        assert row.sent_at is None and row.attempts == 1 and "451" in row.last_error
        assert mail.send_due() == 0  # not before its retry time
        smtp.refuse = False
        assert mail.send_due(utcnow() + timedelta(minutes=3)) == 1
        assert mail.send_due(utcnow() + timedelta(minutes=30)) == 0  # once
    assert len(smtp.messages) == 1


def test_without_an_smtp_server_development_logs_the_message(app, caplog):
    assert app.config["SMTP_URL"] == ""
    with app.test_request_context(), caplog.at_level(logging.INFO, logger="companion.mail"):
        _queue()
        db.session.commit()
        mail.send_queued()
    assert "NOT SENT" in caplog.text and "anna@example.fr" in caplog.text


def test_production_without_an_smtp_server_keeps_the_message(app):
    app.config["ENV_NAME"] = "production"
    try:
        with app.test_request_context():
            row_id = _queue().id
            db.session.commit()
            assert mail.send_queued() == 0
            assert db.session.get(OutgoingMail, row_id).next_attempt_at is not None
    finally:
        app.config["ENV_NAME"] = "testing"


def test_a_rolled_back_transaction_sends_nothing(app, smtp):  # noqa: F811
    with app.test_request_context():
        _queue()
        db.session.rollback()
        assert mail.send_queued() == 0
    assert smtp.messages == []
