"""Where a page sends the person next: safe redirects after login, and the links of a profile card."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import flash, g, redirect, request, url_for

from ..models.account import User
from ..services.access import Access, accessible_profiles


def safe_next(target: str | None, default_endpoint: str = "main.home") -> str:
    """A local path to go to after login, or the default. Refuses other hosts, schemes and `//`."""
    fallback = url_for(default_endpoint)
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return fallback
    return target


def request_path() -> str:
    """This page's address, to come back to after the language switch or adding a key; the home page
    when this page answers a POST only (the signed-out page: coming back to it would be refused)."""
    rule = request.url_rule
    if request.method in ("GET", "HEAD") or (rule is not None and "GET" in (rule.methods or ())):
        return request.full_path.rstrip("?")
    return url_for("main.home")


def reachable_profiles(user: User) -> list[Access]:
    """The profiles this account reaches, computed once per reading request: the page and the
    X-Profile-Access header of its answer both need them. A write computes them afresh each time, since
    it may change them (an invitation accepted, an access ended)."""
    if request.method not in ("GET", "HEAD"):
        return accessible_profiles(user)
    cached = g.get("reachable_profiles")
    if cached is None or cached[0] != user.id:
        cached = g.reachable_profiles = (user.id, accessible_profiles(user))
    return cached[1]


def redirect_next(target: str | None, default_endpoint: str = "main.home"):
    return redirect(safe_next(target, default_endpoint))


@dataclass(frozen=True)
class ProfileLink:
    """A link shown on each profile card, for those whose access includes `scope` (companion/wiring.py
    declares them)."""

    endpoint: str
    label: object  # a lazy translated string
    scope: str


def profile_links(access: Access, links) -> list[dict]:
    """The links of this profile's card that this access allows, as URLs and labels."""
    return [
        {"url": url_for(link.endpoint, profile_id=access.profile.id), "label": link.label}
        for link in links
        if access.allows(link.scope)
    ]


def flash_at(message, anchor: str, category: str = "success") -> str:
    """Flash a message shown beside the item it is about (templates/macros/flash.html), not at the
    top of a long page the browser scrolls away from; the URL fragment to redirect to."""
    flash(message, f"{category}@{anchor}")
    return f"#{anchor}"
