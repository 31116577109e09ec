"""A real SMTP server for the tests (aiosmtpd on 127.0.0.1, a free port): messages are parsed as received."""

import email
import email.policy
import threading

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self):
        self.messages: list = []
        self.refuse = False  # answer 451 to every message (a server that is down for a while)
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 Try again later"
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._arrived:
            self.messages.append((list(envelope.rcpt_tos), msg))
            self._arrived.notify_all()
        return "250 OK"


class FreePortController(Controller):
    """aiosmtpd checks its server by connecting to the configured port: with port 0 read the real one."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    controller = FreePortController(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    before = app.config["SMTP_URL"]
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{controller.port}"
    inbox.url = app.config["SMTP_URL"]
    try:
        yield inbox
    finally:
        app.config["SMTP_URL"] = before
        controller.stop()
