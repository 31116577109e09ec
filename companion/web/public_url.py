"""Absolute links that leave the browser (a calendar file, a QR code), built from COMPANION_PUBLIC_ORIGIN.

Never from the request's Host header: anyone can send a request with `Host: evil.example`, and a link
built from it would send the person, or the phone that scans the QR code, to that site."""

from urllib.parse import urlsplit

from flask import current_app, url_for


def public_url(endpoint: str, **values) -> str:
    origin = urlsplit(current_app.config["PUBLIC_ORIGIN"])
    return f"{origin.scheme}://{origin.netloc}{url_for(endpoint, **values)}"
