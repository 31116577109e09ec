"""A file sent resumably (services/upload_parts.py): how much arrived, the rest (what arrives of it before a
cut is kept), and forgetting it (a change the person discarded). JSON only, for the page scripts and the
worker; the upload form's view takes the parts when the form follows."""

import re
from functools import wraps

from flask import current_app, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import ClientDisconnected

from ...extensions import db
from ...services import ServiceError, upload_parts
from ...texts import lazy_gettext as _l
from . import bp

OFFSET = re.compile(r"^[0-9]{1,10}$")


def _signed_in(view):
    """An account route whose refusal, signed out, is a 401: a redirect would make the browser send the
    256 KB part again, to the login page, before failing."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return jsonify(error=401, message=str(_l("Please sign in again."))), 401
        return view(*args, **kwargs)

    wrapped.route_kind = "account"
    return wrapped


@bp.route("/uploads/<key>", methods=["GET"])
@_signed_in
def upload_received(key: str):
    resp = jsonify(received=upload_parts.received(current_user, key),
                   done=upload_parts.done(current_user, key), part=upload_parts.PART)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/uploads/<key>", methods=["PUT"])
@_signed_in
def upload_part(key: str):
    start = request.headers.get("Upload-Offset", "")
    if not OFFSET.match(start) or request.content_length is None:
        raise ServiceError(_l("This file could not be sent. Please try again."), 400)
    got, whole = upload_parts.receive(current_user, key, int(start), request.content_length, _read_until_cut)
    db.session.commit()
    if not whole:  # nobody is there to read the answer; the next try asks how much arrived
        current_app.logger.info("upload cut by the line: %s of %s bytes kept", got - int(start),
                                request.content_length)
        return jsonify(error=400, received=got), 400
    return jsonify(received=got)


def _read_until_cut(length: int) -> tuple[bytes, bool]:
    """The request's body, or what arrived of it when the line dropped (werkzeug raises on a body shorter
    than its Content-Length), and whether it came whole."""
    chunks, got = [], 0
    try:
        while got < length:
            chunk = request.stream.read(min(64 * 1024, length - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    except (ClientDisconnected, OSError):
        pass
    return b"".join(chunks), got == length


@bp.route("/uploads/<key>", methods=["DELETE"])
@_signed_in
def upload_forget(key: str):
    upload_parts.forget(current_user, key)
    db.session.commit()
    return "", 204
