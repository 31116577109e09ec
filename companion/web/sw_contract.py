"""The contract between the server and the service worker: the custom response headers the worker
reads (static/sw/00-core.js, 20-documents.js), as named constants, and the only functions that set them.

- X-Account-Key: an opaque key per account; the worker keeps each account's offline copies apart.
- X-Shared-Device: "1" on a shared computer; the worker keeps nothing private there.
- X-Profile-Access: the profiles this account reaches and their scopes; copies of others are dropped.
- X-Offline-Cache: "1" when the worker may keep a copy of this page for the account.
- X-Companion-Wipe: "account", "all" or "others"; the worker drops those caches first. "all" also drops
  the emergency card kept to show when locked (static/sw/50-lockcard.js): sent at the end of a shared
  computer's session and to a device signed out from another one (a lost phone).
- X-Signed-Out: "1" on every answer to a request without a valid session (the login page, the
  redirect to it, a 401): the worker wipes every saved account before it serves anything else.
- X-Companion-Copy: sent by the worker's sync with each document file it copies
  (services/offline_copies.py): such a fetch is logged as a copy, not as an opening.
- X-Document-Sha256: the sha256 of the bytes sent (which "Open" may have rewritten without their active
  parts), checked before a saved file is stored and before it is served.
- X-Document-Version: the stored file's sha256, as the manifest lists it: a saved file is fetched
  again only when the manifest names another version.
- X-Card-Version: on an emergency card page, its version; the sync fetches the card again when the
  manifest names another one (the card is kept for every profile the account may read it for).
- X-Page-Profiles: on a page that shows the agenda of several profiles (the family agenda), their ids:
  the worker drops the saved copy once any of them is no longer reachable with the agenda scope.
- X-Saved-At: set by the worker itself on a saved copy (when it was saved); never by the server.

The timing constants the worker is built with are named here too (`worker_constants`).
"""

import hmac

from flask import current_app, g, get_flashed_messages, request
from flask_login import current_user

from ..models.account import User
from ..services import upload_parts
from ..services.offline_copies import is_copy, is_sync
from . import cookies, device_cookie, devices
from .devices import device_id
from .navigation import reachable_profiles
from .sessionless import sessionless

ACCOUNT_KEY = "X-Account-Key"
SHARED_DEVICE = "X-Shared-Device"
PROFILE_ACCESS = "X-Profile-Access"
OFFLINE_CACHE = "X-Offline-Cache"
WIPE = "X-Companion-Wipe"
SAVED_AT = "X-Saved-At"
SIGNED_OUT = "X-Signed-Out"
COPY_TOKEN = "X-Companion-Copy"
DOCUMENT_SHA256 = "X-Document-Sha256"
DOCUMENT_VERSION = "X-Document-Version"
CARD_VERSION = "X-Card-Version"
PAGE_PROFILES = "X-Page-Profiles"

# A saved page is shown when the network has not answered within this delay (config OFFLINE_COPY_AFTER_MS).
COPY_AFTER_MS = 1000
# Offline, saved documents open for this long after the last answer that confirmed the sign-in.
DEVICE_GRANT_DAYS = 30


def worker_constants(copy_after_ms: int) -> dict[str, int]:
    """The numbers written into the worker's source."""
    return {"COPY_AFTER_MS": int(copy_after_ms), "GRANT_MS": DEVICE_GRANT_DAYS * 86400 * 1000,
            "PART": upload_parts.PART}


def page_messages(with_categories: bool = False, category_filter=()):
    """The messages a page shows once (Flask's flash), except in the worker's copy of a page for offline
    use: nobody sees that page now, and the copy is kept. Taken there, a message a person was about to
    read ("C'est fait" done) vanished from the page they opened. Any value of the header will do: it
    only keeps the messages for the next page."""
    if request.headers.get(COPY_TOKEN) is not None:
        return []
    return get_flashed_messages(with_categories, category_filter)


def background_copy(doc_id: int | None = None) -> bool:
    """This request is the worker's copy for offline use, proven by the copy token its sync was given
    (services/offline_copies.py): for a document's page or file, a token naming that document; for a
    card or an agenda page, any token given to this account on this device. The view then logs a copy,
    or nothing more for a document (its copy was logged when announced), not an opening."""
    token = request.headers.get(COPY_TOKEN, "")
    if doc_id is None:
        return is_sync(token, current_user, device_id())
    return is_copy(token, current_user, device_id(), doc_id)


def keep_offline(response):
    """Let the service worker keep a copy of this page for the signed-in account (never on a
    shared computer: the worker checks X-Shared-Device)."""
    response.headers[OFFLINE_CACHE] = "1"
    return response


def page_profiles(response, profile_ids):
    """Name the profiles whose agenda this page shows, so a saved copy goes with the last access."""
    response.headers[PAGE_PROFILES] = " ".join(str(pid) for pid in profile_ids) or "-"
    return response


def wipe_headers(response, *, everything: bool):
    """Tell the browser to forget this account: the worker drops its caches on X-Companion-Wipe;
    Clear-Site-Data also clears the HTTP cache (and, on a shared computer, all storage). There, the
    cookies that name her account to the login form and make the computer a known device (which would
    spare the next person's tries the login limit and her the "new device" e-mail) are removed by name:
    "cookies" in Clear-Site-Data would take the whole site's, the computer's language with them, and
    those of sibling sites of the same domain."""
    response.headers["Clear-Site-Data"] = '"cache", "storage"' if everything else '"cache"'
    response.headers[WIPE] = "all" if everything else "account"
    if everything:
        for name in (device_cookie.NAME, devices.DEVICE_COOKIE):
            cookies.remove(response, name)
    return response


def wipe_others(response):
    """A new account on this browser: drop whatever another account left in the worker's caches."""
    response.headers[WIPE] = "others"
    return response


def account_headers(response):
    """After every request: for a signed-in account its key, the shared-computer mark and (on pages)
    which profiles it reaches; for a request without a valid session, the signed-out mark, so the
    worker wipes what it kept before it serves anything else. A sessionless route says nothing."""
    if sessionless():
        return response
    if not getattr(current_user, "is_authenticated", False):
        response.headers[SIGNED_OUT] = "1"
        if g.get("wipe_all"):  # this device was signed out from another one: it forgets everything
            response.headers[WIPE] = "all"
        return response
    response.headers[ACCOUNT_KEY] = account_key(current_user)
    sess = getattr(current_user, "current_session", None)
    if sess is not None and sess.shared_device:
        response.headers[SHARED_DEVICE] = "1"
    if response.mimetype == "text/html":
        response.headers[PROFILE_ACCESS] = profile_access_header(current_user)
    return response


def account_key(user: User) -> str:
    """An opaque key per account: the worker keeps each account's copies apart under it."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"acct:{user.id}".encode(), "sha256").hexdigest()[:20]


def profile_access_header(user: User) -> str:
    """Which profiles this account reaches, with which scopes ("5=agenda documents:read;7=profile"):
    the worker drops saved copies of anything no longer reachable, e.g. after a delegation ends."""
    return ";".join(f"{a.profile.id}={' '.join(sorted(a.scopes))}" for a in reachable_profiles(user)) or "-"
