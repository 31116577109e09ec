"""Security headers on every response, and no-store on pages that carry personal data."""

import base64
import hashlib

from flask import current_app, g
from flask_login import current_user

from .web import cookies
from .web.sessionless import sessionless


def style_hash(css: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


def security_headers(cfg, inline_hash: str) -> list[tuple[str, str]]:
    """The headers every answer carries, pages and static files alike."""
    csp = (
        "default-src 'self'; script-src 'self'; "
        f"style-src 'self' {inline_hash}; img-src 'self' data: blob:; font-src 'self'; "
        "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
        "frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    fixed = [
        ("Content-Security-Policy", csp),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if cfg["ENV_NAME"] == "production":
        fixed.append(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    return fixed


def apply(response):
    h = response.headers
    for name, value in current_app.extensions["companion_security_headers"]:
        h.setdefault(name, value)
    is_page = response.mimetype in ("text/html", "application/json", "text/csv", "text/calendar")
    if sessionless():
        # Reading current_user would load the session and make Flask add `Vary: Cookie`.
        if is_page and "Cache-Control" not in h:
            h["Cache-Control"] = "no-cache"
        return response
    # A help session's pages too, signed in or not: on a shared computer nothing of them is kept.
    personal = getattr(g, "personal_data", False) or (
        current_user and getattr(current_user, "is_authenticated", False)
    ) or bool(cookies.get(cookies.ONBOARDING))
    if is_page and "Cache-Control" not in h:
        # Pages carry a per-session CSRF token at least; personal ones must never be stored.
        h["Cache-Control"] = "no-store" if personal else "no-cache"
    if personal and is_page:
        h.setdefault("Vary", "Cookie")
    return response
