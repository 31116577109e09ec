"""Security headers on every response, and no-store on pages that carry personal data."""

import base64
import hashlib

from flask import current_app, g, request
from flask_login import current_user


def style_hash(css: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


def apply(response):
    cfg = current_app.config
    inline = current_app.extensions.get("companion_inline_style_hash", "")
    csp = (
        "default-src 'self'; script-src 'self'; "
        f"style-src 'self' {inline}; img-src 'self' data: blob:; font-src 'self'; "
        "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
        "frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    h = response.headers
    h.setdefault("Content-Security-Policy", csp)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if cfg["ENV_NAME"] == "production":
        h.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    personal = getattr(g, "personal_data", False) or (
        current_user and getattr(current_user, "is_authenticated", False)
    )
    is_page = response.mimetype in ("text/html", "application/json", "text/csv", "text/calendar")
    if is_page and "Cache-Control" not in h and request.endpoint != "assets.static_file":
        # Pages carry a per-session CSRF token at least; personal ones must never be stored.
        h["Cache-Control"] = "no-store" if personal else "no-cache"
    if personal and is_page:
        h.setdefault("Vary", "Cookie")
    return response
