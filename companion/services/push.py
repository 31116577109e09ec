"""Sending Web Push messages (RFC 8030/8291/8292), and recording each answer.

Encryption is pywebpush's (aes128gcm, RFC 8291); the POST is push_http.py's: pywebpush's `webpush()`
signs a new VAPID token for every message and goes through requests, whose per-call work cost more
than the encryption itself. Here the token is signed once per push service and reused until near its
expiry, and each host keeps its connections open.

The payload never carries health detail: only the first name and the page to open, because it shows
on a lock screen that anyone near the phone can read.
"""

import base64
import functools
import hashlib
import json
import logging
import os
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app, has_app_context
from py_vapid import Vapid
from pywebpush import WebPusher
from sqlalchemy import select

from ..extensions import db
from ..models.account import User
from ..models.push import PushDelivery, PushSubscription
from ..models.types import utcnow
from ..texts import lazy_gettext as _l
from . import ServiceError, push_http

log = logging.getLogger("companion.push")

KEY_FILE = "vapid.json"
GONE = (404, 410)
VAPID_LIFETIME = 12 * 3600
# Appointments are stale after a day; a prevention reminder is still useful a week later.
# A security notice (an assisted recovery waiting) matters as long as its hold, 72 hours by default.
TTL = {"appointment": 86400, "medicine": 43200, "prevention": 7 * 86400, "security": 3 * 86400,
       "digest": 86400}
URGENCY = {"appointment": "high", "medicine": "high", "prevention": "normal", "security": "high",
           "digest": "normal"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def generate_keys() -> dict:
    """A P-256 key pair: private as base64url raw scalar, public as base64url uncompressed point."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    return {"private_key": b64url(private), "public_key": b64url(public)}


def write_dev_keys(instance_dir: str) -> Path:
    path = Path(instance_dir) / KEY_FILE
    path.write_text(json.dumps(generate_keys()))
    path.chmod(0o600)
    return path


def load_keys(config: dict) -> dict | None:
    """Keys from the environment (production) or the development file in instance/."""
    private = config.get("VAPID_PRIVATE_KEY") or os.environ.get("COMPANION_VAPID_PRIVATE_KEY")
    public = config.get("VAPID_PUBLIC_KEY") or os.environ.get("COMPANION_VAPID_PUBLIC_KEY")
    if private and public:
        return {"private_key": private, "public_key": public}
    path = Path(config.get("INSTANCE_DIR", "instance")) / KEY_FILE
    if path.is_file():
        return json.loads(path.read_text())
    return None


@dataclass(frozen=True)
class Outcome:
    status: int  # HTTP status, 0 when the service could not be reached
    result: str  # sent | gone | retry | failed
    detail: str = ""
    retry_after: float | None = None  # seconds the push service asked us to wait (429/503)


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds: either a number of seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def topic(profile_id: int, kind: str) -> str:
    """RFC 8030 Topic: a newer message with the same topic replaces an undelivered older one at the
    push service, so a phone off for a week gets one reminder per profile and kind, not fifty. At most
    32 URL-safe base64 characters; a digest, so the push service learns nothing from it."""
    return b64url(hashlib.sha256(f"companion:{profile_id}:{kind}".encode()).digest())[:32]


def classify(status: int) -> str:
    if status in (200, 201, 202):
        return "sent"
    if status in GONE:
        return "gone"
    if status == 0 or status == 429 or status >= 500:
        return "retry"
    return "failed"


@functools.lru_cache(maxsize=4096)
def _pusher(endpoint: str, p256dh: str, auth: str) -> WebPusher:
    """A device's keys, decoded once per worker (a chunk sends each device several reminders)."""
    return WebPusher({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}})


def encrypt(sub, data: bytes) -> bytes:
    """The aes128gcm body for one device (RFC 8291), with a new ephemeral ECDH key for every message as
    the RFC asks. `sub` has endpoint, p256dh and auth (base64url)."""
    return _pusher(sub.endpoint, sub.p256dh, sub.auth).encode(data, "aes128gcm")["body"]


class Sender:
    """One per worker: a signing key, its VAPID tokens and kept-alive connections per push service host.
    `send` may be called from several threads at once (the batch sends a chunk through a thread pool)."""

    def __init__(self, keys: dict, subject: str = "mailto:contact@companion.example", timeout: float = 10,
                 allowed: tuple[str, ...] | None = None, pool: int = 16):
        # Subscriptions kept before the host check existed are checked again before each send.
        self.allowed = allowed if allowed is not None else allowed_hosts(
            current_app.config if has_app_context() else {})
        self.vapid = Vapid.from_string(private_key=keys["private_key"])
        self.public_key = keys["public_key"]
        self.subject, self.timeout, self.pool = subject, timeout, pool
        self._http = push_http.Connections(pool)
        self._lock = threading.Lock()
        # One thread pool per Sender, shared by every chunk this process works on at once: never more
        # POSTs in flight than kept-alive connections, which would open and drop new ones.
        self.threads = ThreadPoolExecutor(max_workers=pool, thread_name_prefix="push")
        weakref.finalize(self, self.threads.shutdown, wait=False)
        self._signed: dict[str, tuple[float, dict]] = {}  # push service origin -> (exp, headers)

    def vapid_headers(self, endpoint: str) -> dict:
        """The VAPID Authorization header for a push service, signed once per origin and reused
        until an hour before it expires (RFC 8292 allows up to 24 hours)."""
        parts = urlsplit(endpoint)
        aud = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            exp, headers = self._signed.get(aud, (0, {}))
            if exp - time.time() < 3600:
                exp = int(time.time()) + VAPID_LIFETIME
                headers = self.vapid.sign({"sub": self.subject, "aud": aud, "exp": exp})
                self._signed[aud] = (exp, headers)
        return headers

    def send(self, sub, payload: dict, kind: str, topic_id: str | None = None) -> Outcome:
        """POST one message. `sub` is anything with endpoint, p256dh and auth (a plain snapshot when
        called from a thread: ORM objects stay in the thread that owns the session)."""
        if not endpoint_allowed(sub.endpoint, self.allowed):
            return Outcome(0, "gone", "unknown push service")
        try:
            body = encrypt(sub, json.dumps(payload, ensure_ascii=False).encode())
        except (ValueError, TypeError) as exc:  # keys no message can be encrypted for (kept before the check)
            return Outcome(0, "gone", f"unusable keys: {type(exc).__name__}")
        headers = {**self.vapid_headers(sub.endpoint), "Content-Encoding": "aes128gcm",
                   "TTL": str(TTL.get(kind, 86400)), "Urgency": URGENCY.get(kind, "normal")}
        if topic_id:
            headers["Topic"] = topic_id
        try:
            status, answer = self._http.post(sub.endpoint, headers, body, self.timeout)
        except (OSError, ValueError) as exc:  # refused, reset, timed out, not HTTP: try again later
            return Outcome(0, "retry", type(exc).__name__)
        wait = retry_after(answer.get("retry-after")) if status in (429, 503) else None
        return Outcome(status, classify(status), retry_after=wait)


def record(sub: PushSubscription, reminder_id: int | None, outcome: Outcome) -> None:
    """Keep the answer; prune a subscription the service says is gone."""
    db.session.add(PushDelivery(reminder_id=reminder_id, subscription_id=sub.id, status=outcome.status,
                                result=outcome.result, detail=outcome.detail[:200]))
    if outcome.result == "sent":
        sub.last_success_at, sub.failures = utcnow(), 0
    elif outcome.result == "gone":
        log.info("push subscription %s gone (%s): deleted", sub.id, outcome.status)
        db.session.delete(sub)
    else:
        sub.failures += 1
    db.session.flush()


def subscriptions_of(user_ids: list[int]) -> list[PushSubscription]:
    if not user_ids:
        return []
    return list(db.session.scalars(select(PushSubscription).where(PushSubscription.user_id.in_(user_ids))
                                   .order_by(PushSubscription.id)))


# The server posts to whatever endpoint a browser hands in: only the known Web Push services are
# accepted, or anyone could make it call internal addresses. "*." allows the subdomains.
PUSH_HOSTS = ("fcm.googleapis.com", "updates.push.services.mozilla.com", "*.push.services.mozilla.com",
              "*.push.apple.com", "*.notify.windows.com")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def allowed_hosts(config: dict) -> tuple[str, ...]:
    """The known push services plus the PUSH_ALLOWED_HOSTS setting (COMPANION_PUSH_ALLOWED_HOSTS,
    a comma list, e.g. a local push service in tests: a loopback host listed there may also use
    plain HTTP). Read from the app's settings only, so one place decides."""
    extra = config.get("PUSH_ALLOWED_HOSTS") or ""
    return PUSH_HOSTS + tuple(h.strip().lower() for h in extra.split(",") if h.strip())


def _host_matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


@functools.lru_cache(maxsize=8192)  # asked before every message: the same few thousand endpoints
def endpoint_allowed(endpoint: str, allowed: tuple[str, ...] = PUSH_HOSTS) -> bool:
    try:
        parts = urlsplit(endpoint)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return False
    known = bool(host) and any(_host_matches(host, p) for p in allowed)
    secure = (parts.scheme == "https" and port in (None, 443)
              or parts.scheme == "http" and host in LOOPBACK)
    return known and secure and not (parts.username or parts.password) and len(endpoint) <= 1000


def check_endpoint(endpoint: str, allowed: tuple[str, ...] = PUSH_HOSTS) -> None:
    if not endpoint_allowed(endpoint, allowed):
        raise ServiceError(_l("This device uses a push service we do not know, so reminders cannot "
                              "be sent to it."), status=400)


def subscribe(user: User, endpoint: str, p256dh: str, auth: str, label: str = "",
              allowed: tuple[str, ...] = PUSH_HOSTS) -> PushSubscription:
    """Register this device for the account; an endpoint moves to the account that subscribed last.
    `allowed`: the push service hosts accepted (see allowed_hosts)."""
    check_endpoint(endpoint, allowed)
    try:
        point, secret = base64.urlsafe_b64decode(p256dh + "=="), base64.urlsafe_b64decode(auth + "==")
        if len(secret) != 16:
            raise ValueError
        # A point on P-256 (65 bytes that are not one can never be encrypted for: refused here, not at
        # each send).
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise ServiceError(_l("This device gave keys we cannot use."), status=400) from None
    sub = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if sub is None:
        sub = PushSubscription(endpoint=endpoint, user_id=user.id, p256dh=p256dh, auth=auth, failures=0)
        db.session.add(sub)
    sub.user_id, sub.p256dh, sub.auth, sub.device_label = user.id, p256dh, auth, label[:120]
    db.session.flush()
    return sub


def unsubscribe(user: User, endpoint: str) -> bool:
    sub = db.session.scalar(select(PushSubscription).where(
        PushSubscription.endpoint == endpoint, PushSubscription.user_id == user.id))
    if sub is None:
        return False
    db.session.delete(sub)
    db.session.flush()
    return True


def renew(old_endpoint: str, endpoint: str, p256dh: str, auth: str,
          allowed: tuple[str, ...] = PUSH_HOSTS) -> bool:
    """Move a subscription the browser renewed to its new endpoint and keys (same account)."""
    check_endpoint(endpoint, allowed)  # before anything moves
    sub = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == old_endpoint))
    if sub is None:
        return False
    user_id = sub.user_id
    db.session.delete(sub)
    db.session.flush()
    subscribe(type("Owner", (), {"id": user_id})(), endpoint, p256dh, auth, allowed=allowed)
    return True
