"""The signed device cookie (OWASP "device cookies"): issued on a successful password login, it names
the account (an HMAC digest, never the address) and a random id for this device. A device that carries
it for the account being signed in to gets its own failure budget (services/login_throttle.py), so
wrong passwords typed anywhere else never slow it down. Not issued on a shared computer.

Signed with the secret key: it cannot be forged, and it grants nothing but that separate budget."""

import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from ..services import login_throttle
from . import cookies

# Not the document pins' device id (web/devices.py): that one names the device, this one the accounts
# that signed in on it. Named through web/cookies.py, so it is a __Host- cookie in production.
NAME = "companion_signin"
MAX_ACCOUNTS = 5  # a shared family phone may sign in to several accounts
MAX_AGE = 180 * 86400


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="companion-device-cookie")


def _entries() -> list[list[str]]:
    raw = cookies.get(NAME)
    if not raw:
        return []
    try:
        data = _serializer().loads(raw)
    except BadSignature:
        return []
    return [e for e in data if isinstance(e, list) and len(e) == 2] if isinstance(data, list) else []


def _account(email: str) -> str:
    return login_throttle.account_digest(email, current_app.config["SECRET_KEY"])


def device_for(email: str) -> str | None:
    """This device's id for the account, if it signed in to it here before."""
    account = _account(email)
    return next((device for acct, device in _entries() if acct == account), None)


def client_for(email: str, address: str) -> str:
    device = device_for(email)
    return f"device:{device}" if device else f"addr:{address}"


def remember(response, email: str) -> None:
    """Add (or keep) this account in the device's cookie, most recent first."""
    account = _account(email)
    entries = _entries()
    device = next((d for a, d in entries if a == account), None) or secrets.token_urlsafe(16)
    entries = [[account, device]] + [e for e in entries if e[0] != account]
    cookies.put(response, NAME, _serializer().dumps(entries[:MAX_ACCOUNTS]), max_age=MAX_AGE)
