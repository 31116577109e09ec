"""Helpers shared by views: safe redirects after login."""

from urllib.parse import urlsplit

from flask import redirect, url_for

from ..sw_contract import OFFLINE_CACHE


def safe_next(target: str | None, default_endpoint: str = "main.home") -> str:
    """A local path to go to after login, or the default. Refuses other hosts, schemes and `//`."""
    fallback = url_for(default_endpoint)
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return fallback
    return target


def redirect_next(target: str | None, default_endpoint: str = "main.home"):
    return redirect(safe_next(target, default_endpoint))


class ProfileLink:
    """A link shown on each profile card of the home page, for those whose access includes `scope`."""

    def __init__(self, endpoint: str, label, scope: str, order: int):
        self.endpoint, self.label, self.scope, self.order = endpoint, label, scope, order


PROFILE_LINKS: list[ProfileLink] = []


def add_profile_link(endpoint: str, label, scope: str, order: int = 50) -> None:
    if all(link.endpoint != endpoint for link in PROFILE_LINKS):
        PROFILE_LINKS.append(ProfileLink(endpoint, label, scope, order))
        PROFILE_LINKS.sort(key=lambda link: link.order)


def profile_links(access) -> list[dict]:
    from flask import current_app  # noqa: PLC0415

    return [
        {"url": url_for(link.endpoint, profile_id=access.profile.id), "label": link.label}
        for link in PROFILE_LINKS
        if link.endpoint in current_app.view_functions and access.allows(link.scope)
    ]


def keep_offline(response):
    """Let the service worker keep a copy of this page for the signed-in account (never on a
    shared computer: the worker checks X-Shared-Device)."""
    response.headers[OFFLINE_CACHE] = "1"
    return response
