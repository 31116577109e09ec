"""What the WebAuthn JSON endpoints share: the relying party from config and request host, the
challenge slot in the Flask session, and refusals as translated 4xx JSON with a log line."""

import logging
from urllib.parse import urlsplit

from flask import current_app, jsonify, request, session
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from ..extensions import db
from ..models.account import User
from ..services import webauthn as wa
from ..texts import lazy_gettext as _l
from .client import shared_device

log = logging.getLogger("companion.webauthn")


def relying_party() -> wa.RelyingParty:
    """RP ID from COMPANION_PUBLIC_ORIGIN (or WEBAUTHN_RP_ID); origin from the request host when it
    is that RP ID (e.g. http://localhost:PORT in e2e), else the public origin."""
    cfg = current_app.config
    public = urlsplit(cfg["PUBLIC_ORIGIN"])
    rp_id = cfg.get("WEBAUTHN_RP_ID") or public.hostname or "localhost"
    origin = cfg.get("WEBAUTHN_ORIGIN")
    if not origin:
        here = urlsplit(request.host_url)
        if here.netloc == public.netloc:
            origin = f"{public.scheme}://{public.netloc}"
        elif here.hostname == rp_id or (here.hostname or "").endswith("." + rp_id):
            origin = f"{here.scheme}://{here.netloc}"
        else:
            origin = f"{public.scheme}://{public.netloc}"
    return wa.RelyingParty(rp_id=rp_id, origin=origin)


def options(purpose: str, user: User, slot: str):
    """Issue a challenge, keep it in this browser's session slot, answer the options as JSON."""
    rp = relying_party()
    if purpose == "register":
        opts = wa.registration_options(user, rp, shared_device=shared_device())
    else:
        opts = wa.authentication_options(rp, purpose, user)
    session[slot] = opts["challenge"]
    db.session.commit()
    return jsonify(opts)


def payload():
    """The browser's credential JSON; anything else is a KeyRefused (malformed)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise wa.KeyRefused(
            _l("The answer of your key could not be read. Please try again."), "malformed JSON"
        )
    return body.get("credential", body)


def check_slot(body, expected: str | None) -> bytes:
    """The challenge must be the one this very session asked for."""
    signed = wa.challenge_of(body) if isinstance(body, dict) else None
    if not expected or signed is None or bytes_to_base64url(signed) != expected:
        raise wa.KeyRefused(
            _l("This request has expired. Please try again."), "challenge not of this session"
        )
    return base64url_to_bytes(expected)


def refused(exc: wa.KeyRefused, body=None):
    """Roll back, spend the challenge anyway, tell the owner about a copied key, answer 4xx JSON."""
    db.session.rollback()
    wa.note_refusal(exc, body)
    db.session.commit()
    log.info("webauthn refused path=%s reason=%s", request.path, exc.reason)
    return jsonify(error=exc.status, message=str(exc.message)), exc.status


def run(slot: str, action):
    """Read the payload, check the session's challenge, run `action(body)`; refusals become JSON."""
    body = None
    expected = session.pop(slot, None)  # single use: whatever comes next, this browser asks again
    try:
        body = payload()
        check_slot(body, expected)
        return action(body)
    except wa.KeyRefused as exc:
        return refused(exc, body)
