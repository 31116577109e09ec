"""A lean local push service for the fan-out bench: one asyncio thread that reads each POST whole,
answers 201 on the kept-alive connection and counts messages per device, without decrypting.

Why not tests/push_receiver.py: its thread-per-connection http.server costs a few hundred microseconds
of Python per message, on the same 2 shared cores as the workers it is meant to measure; a real push
service runs elsewhere. What it still checks, on one message in SAMPLE (spread over the devices): the
VAPID token (ES256 signature, audience, expiry), the TTL, Urgency and Topic headers, and
that the body decrypts with the device's own keys (RFC 8291), exactly as tests/push_receiver.py does.
"""

import asyncio
import json
import threading
from collections import Counter

import http_ece

from .push_receiver import TOPIC_CHARS, Device, verify_vapid

ANSWER = b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
SAMPLE = 100


class LeanPushService:
    def __init__(self):
        self.devices: dict[str, Device] = {}
        self.counts: Counter = Counter()  # token -> messages received
        self.errors: list[str] = []
        self.checked = 0
        self.total = 0  # messages received since the service started
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait()
        self.origin = f"http://127.0.0.1:{self.port}"

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            self._loop.create_server(lambda: _Connection(self), "127.0.0.1", 0, backlog=512))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self._loop.run_forever()

    def device(self, token: str) -> Device:
        self.devices[token] = Device(token)
        return self.devices[token]

    def endpoint(self, token: str) -> str:
        return f"{self.origin}/push/{token}"

    @property
    def received(self) -> int:
        return sum(self.counts.values())

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)

    def check(self, token: str, head: bytes, body: bytes) -> None:
        """The full checks of tests/push_receiver.py, on one message."""
        try:
            lines = head.decode("latin-1").split("\r\n")[1:]
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
            assert headers["content-encoding"] == "aes128gcm", headers
            assert int(headers["ttl"]) > 0 and headers["urgency"] in ("very-low", "low", "normal", "high")
            topic = headers.get("topic")
            assert topic is None or (len(topic) <= 32 and TOPIC_CHARS.issuperset(topic)), topic
            verify_vapid(headers["authorization"], self.origin)
            device = self.devices[token]
            json.loads(http_ece.decrypt(body, private_key=device.private_key, auth_secret=device.auth,
                                        version="aes128gcm"))
            self.checked += 1
        except Exception as exc:  # reported by the bench, which then refuses to print a figure
            self.errors.append(repr(exc))


class _Connection(asyncio.Protocol):
    def __init__(self, service: LeanPushService):
        self.service, self.buffer = service, b""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if len(self.buffer) < end + 4 + length:
                return
            body, self.buffer = self.buffer[end + 4:end + 4 + length], self.buffer[end + 4 + length:]
            self._answer(head, body)

    def _answer(self, head: bytes, body: bytes) -> None:
        service = self.service
        token = head.split(b" ", 2)[1].rsplit(b"/", 1)[-1].decode()
        service.counts[token] += 1
        service.total += 1
        if service.total % SAMPLE == 1:
            service.check(token, head, body)
        self.transport.write(ANSWER)
