"""One decorator for every write the offline outbox may send again: `@idempotent`.

A request with an `Idempotency-Key` header is applied once per (account, key). The receipt keeps a
hash of the request (method, path, fields, files; not the CSRF token, which changes with the session)
and the answer: the same key with the same request gets that answer again without a second effect;
the same key with another request gets 409. A refused or failed write leaves the key free.

Asked for JSON (`Accept: application/json`), every write answers JSON: a redirect becomes
{ok: true, message, url} (the message is the one flashed, which still shows on the next page), an
HTML refusal becomes {ok: false, error, message}. Requests without a key behave as before."""

import hashlib
import json
import re
from functools import wraps

from flask import current_app, jsonify, request, session
from flask_login import current_user

from ..errors import MESSAGES
from ..extensions import db
from ..services import ServiceError, receipts
from ..texts import lazy_gettext as _l
from .client import wants_json

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
REFUSED = _l("This change was not accepted. Open the page again and check it.")
MISMATCH = _l("This change was already sent once with other content: it was not applied again.")
IN_FLIGHT = _l("This change is being saved. It will be confirmed in a moment.")
APPLIED = _l("This change was already saved.")


def request_hash() -> str:
    """What makes two requests "the same": method, path, and the fields and files sent."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.is_json:
        data = request.get_json(silent=True)
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if k != "csrf_token"}
        digest.update(json.dumps(data, sort_keys=True, default=str).encode())
        return digest.hexdigest()
    fields = sorted((k, v) for k, values in request.form.lists() for v in values if k != "csrf_token")
    digest.update(json.dumps(fields).encode())
    for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
        content = upload.stream.read()
        upload.stream.seek(0)
        digest.update(f"\n{name}:{upload.filename}:{hashlib.sha256(content).hexdigest()}".encode())
    return digest.hexdigest()


def _flashed() -> str:
    """The last message the view flashed. It stays in the session: the next page shows it too."""
    flashed = [str(text) for _, text in session.get("_flashes", [])]
    return flashed[-1] if flashed else ""


def as_json(resp):
    """The outbox reads JSON: turn a redirect or an HTML page into a short JSON answer."""
    if resp.mimetype == "application/json":
        return resp
    if resp.status_code < 400:
        extra = {"url": resp.location} if 300 <= resp.status_code < 400 else {}
        return jsonify(ok=True, message=_flashed(), **extra)
    title = MESSAGES.get(resp.status_code, (None,))[0] if resp.status_code in (403, 413, 429) else None
    return _json(resp.status_code, _flashed() or title or REFUSED)


def _json(status: int, message, **extra):
    resp = jsonify(ok=status < 400, error=status if status >= 400 else None, message=str(message), **extra)
    resp.status_code = status
    return resp


def _replay(stored: receipts.Stored):
    if stored.outcome == "mismatch":
        return _json(409, MISMATCH, kind="key_reused")
    if stored.outcome == "in_flight":
        resp = _json(503, IN_FLIGHT, kind="in_flight")
        resp.headers["Retry-After"] = "2"
        return resp
    if stored.outcome == "applied":
        return _json(200, APPLIED)
    if stored.content_type == "redirect":
        resp = current_app.response_class(status=stored.status)
        resp.headers["Location"] = stored.body
        return resp
    return current_app.response_class(stored.body, status=stored.status, content_type=stored.content_type)


def _record(key: str, resp) -> None:
    if 300 <= resp.status_code < 400:
        content_type, body = "redirect", resp.location or ""
    else:
        content_type, body = resp.content_type or "", resp.get_data(as_text=True)
    receipts.settle(current_user.id, key, resp.status_code, content_type, body)


def idempotent(view):
    """Apply a keyed write once. Put it under the access check (@profile_route), so a refused access
    never claims the key."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key", "")
        if request.method != "POST" or not getattr(current_user, "is_authenticated", False):
            return view(*args, **kwargs)
        if not key:
            resp = current_app.make_response(view(*args, **kwargs))
            return as_json(resp) if wants_json() else resp
        if not KEY_RE.match(key):
            raise ServiceError(_l("Something in the request was wrong"), status=400)
        user_id = current_user.id
        stored = receipts.claim(user_id, key, request_hash(), request.endpoint or "")
        if stored is not None:
            return _replay(stored)
        try:
            resp = current_app.make_response(view(*args, **kwargs))
        except Exception:
            db.session.rollback()  # the claim goes with the failed write, unless the view committed
            if receipts.lookup(user_id, key) is not None:
                receipts.settle(user_id, key, 500, "application/json", '{"ok": false}')
                db.session.commit()
            raise
        if wants_json():
            resp = as_json(resp)
        if resp.status_code >= 400:
            db.session.rollback()  # refused: the key stays free for a corrected replay
            if receipts.lookup(user_id, key) is None:
                return resp
        _record(key, resp)
        db.session.commit()
        return resp

    return wrapper
