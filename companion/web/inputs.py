"""One input layer, before any view: hostile characters, ids too large for the database and deeply
nested JSON are refused with a clear 400 (or 404 for a path), so no view or service meets them.

Why here and not per view: a NUL byte reaches PostgreSQL as a DataError (a 500) from any free-text
field, an id above 2^63 overflows a BIGINT, and json.loads recurses until RecursionError. One check
covers every current and future route."""

import json
import re

from flask import request
from werkzeug.routing import BaseConverter, IntegerConverter, ValidationError

from ..services import ServiceError
from ..texts import lazy_gettext as _l

# C0 controls but tab, line feed and carriage return; DEL; bidi embeddings, overrides and isolates
# (they make a name or a title display as something else: "Trojan source" spoofing).
HOSTILE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
LINE_BREAK = re.compile("[\r\n]")
# Form fields that hold several lines; every other field is one line (names, titles, codes).
MULTILINE_FIELDS = frozenset({"notes", "allergies", "treatments", "conditions", "devices", "contacts",
                              "directives"})  # the last six: the emergency card, one item a line
MAX_ID = 2**63 - 1  # a signed BIGINT, the widest integer column on PostgreSQL
MAX_JSON_DEPTH = 32
DIGITS = re.compile(r"\d{19,}")


class BoundedInt(IntegerConverter):
    """`<int:...>` in URLs, capped at what the database stores: a larger id is a 404, not a 500."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def refused() -> ServiceError:
    return ServiceError(_l("Something in what was sent cannot be read: a hidden or special character, "
                           "or a number that is too large. Please check and try again."), status=400)


def _too_large(text: str) -> bool:
    # Length first: int() refuses over 4,300 digits with a ValueError of its own.
    return bool(DIGITS.fullmatch(text)) and (len(text) > 19 or int(text) > MAX_ID)


def as_db_int(value: str | None) -> int | None:
    """A non-negative id the database can hold, or None (for values read from a GET form)."""
    try:
        return db_int(value or "")
    except ValueError:
        return None


def db_int(value: str) -> int:
    """`request.args.get(name, type=db_int)`: an id the database can hold, else the argument is absent
    (werkzeug turns the ValueError into the default). Filters that explain a bad value read it as text."""
    if _too_large(value.strip().lstrip("+-")):
        raise ValueError(value)
    number = int(value)
    if not 0 <= number <= MAX_ID:
        raise ValueError(value)
    return number


def _check_text(name: str, value: str, *, numbers: bool) -> None:
    if HOSTILE.search(name) or HOSTILE.search(value):
        raise refused()
    if name not in MULTILINE_FIELDS and LINE_BREAK.search(value):
        raise refused()
    if numbers and _too_large(value.strip()):
        raise refused()


def _json_depth(raw: bytes) -> int:
    """How deep the arrays and objects nest, reading the bytes (strings skipped) without recursion."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return 0
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            escaped = not escaped and byte == 0x5C  # backslash
            in_string = escaped or byte != 0x22  # quote
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _walk(value, key: str = "") -> None:
    """Every string and number of a parsed JSON body, iteratively (depth is already bounded)."""
    stack = [(key, value)]
    while stack:
        name, item = stack.pop()
        if isinstance(item, dict):
            for k, v in item.items():
                if HOSTILE.search(k):
                    raise refused()
                stack.append((k, v))
        elif isinstance(item, list):
            stack.extend((name, v) for v in item)
        elif isinstance(item, str):
            if HOSTILE.search(item):
                raise refused()
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > MAX_ID:
            raise refused()


def _check_json() -> None:
    raw = request.get_data(cache=True)
    if not raw:
        return
    if _json_depth(raw) > MAX_JSON_DEPTH:
        raise refused()
    try:
        body = json.loads(raw)
    except ValueError:  # broken JSON, or a number too long to read: the view says what it expects
        return
    _walk(body)


def check_json_file(raw: bytes) -> None:
    """An uploaded JSON file (a health summary) meets the rules of a JSON body: bounded depth, no hidden
    characters, no number past a BIGINT. What it must hold is the reading service's business."""
    if _json_depth(raw) > MAX_JSON_DEPTH:
        raise ServiceError(_l("This file nests its content too deeply to be read safely. Nothing was added."),
                           status=400, field="file")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return
    _walk(body)


def check_request() -> None:
    if HOSTILE.search(request.path):
        raise ServiceError(_l("This page does not exist or is not yours to see."), status=404)
    for name, value in request.args.items(multi=True):
        _check_text(name, value, numbers=False)  # a query's ids are read with db_int
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.is_json:
            _check_json()
        else:
            for name, value in request.form.items(multi=True):
                _check_text(name, value, numbers=True)


class AgendaRule(BaseConverter):
    """`<agenda_rule:rule_id>`: the view gets the rule's id, the URL shows its opaque code
    (services/agenda_refs.py); an unknown one is a 404."""

    def to_python(self, value: str) -> str:
        from ..services import agenda_refs

        found = agenda_refs.rule_id(value)
        if found is None:
            raise ValidationError()
        return found

    def to_url(self, value: str) -> str:
        from ..services import agenda_refs

        return agenda_refs.ref(value)


def register(app) -> None:
    app.url_map.converters["int"] = BoundedInt
    app.url_map.converters["agenda_rule"] = AgendaRule
    app.before_request(check_request)
