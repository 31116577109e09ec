"""The contract between the server and the service worker: the custom response headers the worker
reads (static/sw/00-core.js, 20-documents.js), as named constants, and the only functions that set them.

- X-Account-Key: an opaque key per account; the worker keeps each account's offline copies apart.
- X-Shared-Device: "1" on a shared computer; the worker keeps nothing private there.
- X-Profile-Access: the profiles this account reaches and their scopes; copies of others are dropped.
- X-Offline-Cache: "1" when the worker may keep a copy of this page for the account.
- X-Companion-Wipe: "account", "all" or "others"; the worker drops those caches first.
- X-Saved-At: set by the worker itself on a saved copy (when it was saved); never by the server.
"""

import hmac

from flask import current_app
from flask_login import current_user

from ..services.access import accessible_profiles

ACCOUNT_KEY = "X-Account-Key"
SHARED_DEVICE = "X-Shared-Device"
PROFILE_ACCESS = "X-Profile-Access"
OFFLINE_CACHE = "X-Offline-Cache"
WIPE = "X-Companion-Wipe"
SAVED_AT = "X-Saved-At"


def keep_offline(response):
    """Let the service worker keep a copy of this page for the signed-in account (never on a
    shared computer: the worker checks X-Shared-Device)."""
    response.headers[OFFLINE_CACHE] = "1"
    return response


def wipe_headers(response, *, everything: bool):
    """Tell the browser to forget this account: the worker drops its caches on X-Companion-Wipe;
    Clear-Site-Data also clears the HTTP cache (and, on a shared computer, all storage)."""
    response.headers["Clear-Site-Data"] = '"cache", "storage"' if everything else '"cache"'
    response.headers[WIPE] = "all" if everything else "account"
    return response


def wipe_others(response):
    """A new account on this browser: drop whatever another account left in the worker's caches."""
    response.headers[WIPE] = "others"
    return response


def account_headers(response):
    """After every request of a signed-in account: its key, the shared-computer mark, and (on pages)
    which profiles it reaches."""
    if getattr(current_user, "is_authenticated", False):
        key = hmac.new(current_app.config["SECRET_KEY"].encode(), f"acct:{current_user.id}".encode(),
                       "sha256").hexdigest()[:20]
        response.headers[ACCOUNT_KEY] = key
        sess = getattr(current_user, "current_session", None)
        if sess is not None and sess.shared_device:
            response.headers[SHARED_DEVICE] = "1"
        if response.mimetype == "text/html":
            response.headers[PROFILE_ACCESS] = profile_access_header(current_user)
    return response


def profile_access_header(user) -> str:
    """Which profiles this account reaches, with which scopes ("5=agenda documents:read;7=profile"):
    the worker drops saved copies of anything no longer reachable, e.g. after a delegation ends."""
    return ";".join(f"{a.profile.id}={' '.join(sorted(a.scopes))}" for a in accessible_profiles(user)) or "-"
