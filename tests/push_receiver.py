"""A small push service on 127.0.0.1 that checks what a real one would: the VAPID JWT (ES256 signature
with the key in `k=`, `aud` = our origin, `exp` in the future and within 24 h), TTL and Urgency headers,
and it decrypts the aes128gcm body with the subscription's private key (RFC 8291)."""

import base64
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

TOPIC_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Device:
    """A browser's side of a subscription: the key pair and auth secret it keeps."""

    token: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64e(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


def verify_vapid(header: str, origin: str) -> dict:
    scheme, _, params = header.partition(" ")
    assert scheme == "vapid", f"scheme {scheme}"
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    head_b64, claims_b64, sig_b64 = parts["t"].split(".")
    head = json.loads(b64d(head_b64))
    assert head["alg"] == "ES256", head
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(parts["k"]))
    sig = b64d(sig_b64)
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    key.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    claims = json.loads(b64d(claims_b64))
    assert claims["aud"] == origin, claims
    assert time.time() < claims["exp"] <= time.time() + 86400, claims
    assert claims["sub"].startswith(("mailto:", "https:")), claims
    return claims


class PushService:
    def __init__(self, verify: bool = True):
        self.devices: dict[str, Device] = {}
        self.received: list[dict] = []  # {token, payload, ttl, urgency, topic, sub}
        self.errors: list[str] = []
        self.answers: dict[str, list[int]] = {}  # token -> statuses to answer first (e.g. [503])
        self.verify = verify
        self.delays: dict[str, float] = {}  # token -> seconds to wait before answering (timeouts)
        self.slow = 0.0  # seconds every answer takes (a slow push service)
        # token -> what happens once, while that device's message is being answered (the sender waits)
        self.meanwhile: dict[str, Callable[[], None]] = {}
        self.outage: tuple[int, dict] | None = None  # (status, headers) answered to all while set
        self.refused = 0  # messages answered by the outage
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def device(self, token: str) -> Device:
        self.devices[token] = Device(token)
        return self.devices[token]

    def endpoint(self, token: str) -> str:
        return f"{self.origin}/push/{token}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, token: str, headers, body: bytes) -> int | tuple[int, dict]:
        if token in self.delays:
            time.sleep(self.delays.pop(token))
        time.sleep(self.slow)
        if token in self.meanwhile:
            self.meanwhile.pop(token)()
        with self.lock:
            if self.outage:
                self.refused += 1
                return self.outage
            queued = self.answers.get(token)
            if queued:
                return queued.pop(0)
        device = self.devices.get(token)
        if device is None:
            return 404
        assert headers.get("Content-Encoding") == "aes128gcm", headers.get("Content-Encoding")
        ttl = int(headers["TTL"])
        urgency = headers.get("Urgency")
        assert urgency in ("very-low", "low", "normal", "high"), urgency
        topic = headers.get("Topic")
        # RFC 8030 5.4: at most 32 characters of the URL-safe base64 alphabet.
        assert topic is None or (len(topic) <= 32 and TOPIC_CHARS.issuperset(topic)), topic
        claims = verify_vapid(headers["Authorization"], self.origin) if self.verify else {}
        plain = http_ece.decrypt(body, private_key=device.private_key, auth_secret=device.auth,
                                 version="aes128gcm") if self.verify or not self.received else b"{}"
        with self.lock:
            self.received.append({"token": token, "payload": json.loads(plain), "ttl": ttl,
                                  "urgency": urgency, "topic": topic, "sub": claims.get("sub")})
        return 201

    def _handler(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real push services (HTTP/2) allow

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                token = self.path.rsplit("/", 1)[-1]
                extra = {}
                try:
                    status = service._handle(token, self.headers, body)
                except Exception as exc:  # reported to the test, answered as a refusal
                    service.errors.append(repr(exc))
                    status = 400
                if isinstance(status, tuple):
                    status, extra = status
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler
