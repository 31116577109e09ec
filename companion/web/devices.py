"""The device id behind document pins: a random, meaningless id in a cookie, because pins are per
account and per device. Never set on a shared computer: nothing of that device is worth remembering."""

import re
import secrets

from flask import g
from flask_login import current_user

from . import cookies
from .client import shared_device
from .sessionless import sessionless

DEVICE_COOKIE = "companion_device"
DEVICE_RE = re.compile(r"^[0-9a-f]{32}$")


def device_id(create: bool = False) -> str:
    """This device's id, or "" when it has none (a new one is made when `create`)."""
    raw = cookies.get(DEVICE_COOKIE) or ""
    if DEVICE_RE.match(raw):
        return raw
    if create and "new_device_id" not in g:
        g.new_device_id = secrets.token_hex(16)
    return g.get("new_device_id", "")


def remember_device(response):
    """Give a signed-in personal device its id cookie, with its first signed-in answer (the sign-in's
    own): a pin is then always made under the id the browser holds, whichever page made it, and a sync
    and a pin sent side by side never each get a new id of their own."""
    if sessionless() or DEVICE_RE.match(cookies.get(DEVICE_COOKIE) or ""):
        return response  # the worker's source is the same for everyone: no session read, no cookie
    if current_user.is_authenticated and not shared_device():
        cookies.put(response, DEVICE_COOKIE, device_id(create=True), max_age=5 * 365 * 86400)
    return response
