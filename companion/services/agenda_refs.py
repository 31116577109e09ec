"""The name a prevention item goes by in URLs and calendar files: an opaque code per rule, not its id.

A rule's id says what the item is (PREG_PERTUSSIS: a pregnancy; DO_COLORECTAL: an age band), and URLs end
up in server and proxy logs and in the browser's history, calendar files in shared calendars and in the
Downloads folder. The code is keyed with the app's secret, so hashing the known ids does not read it
back; it stays the same for as long as the secret does (a calendar event downloaded twice is one event)."""

import hmac
from functools import lru_cache

from flask import current_app

from ..prevention import load_rules


def ref(rule_id: str) -> str:
    return _codes(current_app.config["SECRET_KEY"])[0][rule_id]


def anchor(rule_id: str) -> str:
    """The item's place on the agenda page (its HTML id, and the #fragment a change returns to, kept in
    the browser's history): named by the code too."""
    return f"item-{ref(rule_id)}"


def rule_id(value: str) -> str | None:
    """The rule a code names; a bare rule id still names its rule (links and changes kept offline
    before codes were used), anything else none."""
    by_code = _codes(current_app.config["SECRET_KEY"])[1]
    return by_code.get(value) or (value if value in load_rules() else None)


@lru_cache(maxsize=2)
def _codes(secret: str) -> tuple[dict[str, str], dict[str, str]]:
    codes = {rid: hmac.new(secret.encode(), f"agenda-rule:{rid}".encode(), "sha256").hexdigest()[:12]
             for rid in load_rules()}
    return codes, {code: rid for rid, code in codes.items()}
