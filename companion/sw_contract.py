"""The service-worker contract: every response header the server sets to steer the worker, and the
timing constants the worker is built with, named once here. The worker's source (static/sw/*.js)
reads these same header names; tests import them from here.

- ACCOUNT_KEY: on every answer to a signed-in request, an opaque key per account; the worker keeps
  each account's copies apart and counts the answer as "confirmed online" for the device grant.
- SIGNED_OUT: on every answer to a request that carries no valid session (the login page, the redirect
  to it, a 401): the worker wipes all saved accounts before it serves anything else.
- WIPE: "all" / "account" at logout, "others" at a sign-in (drop what another account left).
- SHARED_DEVICE: a shared computer: nothing is kept.
- PROFILE_ACCESS: which profiles the account reaches, with which scopes (saved copies of the others go).
- OFFLINE_CACHE: this page may be kept for the account.
- COPY_TOKEN: sent by the worker's sync with each document file it copies (see services/offline_copies).
- DOCUMENT_SHA256: the file's sha256, checked before a saved file is stored and before it is served.
"""

ACCOUNT_KEY = "X-Account-Key"
SIGNED_OUT = "X-Signed-Out"
WIPE = "X-Companion-Wipe"
SHARED_DEVICE = "X-Shared-Device"
PROFILE_ACCESS = "X-Profile-Access"
OFFLINE_CACHE = "X-Offline-Cache"
COPY_TOKEN = "X-Companion-Copy"
DOCUMENT_SHA256 = "X-Document-Sha256"

# A saved page is shown when the network has not answered within this delay (config OFFLINE_COPY_AFTER_MS).
COPY_AFTER_MS = 1000
# Offline, saved documents open for this long after the last answer that confirmed the sign-in.
DEVICE_GRANT_DAYS = 30


def worker_constants(copy_after_ms: int) -> dict[str, int]:
    """The numbers written into the worker's source."""
    return {"COPY_AFTER_MS": int(copy_after_ms), "GRANT_MS": DEVICE_GRANT_DAYS * 86400 * 1000}
