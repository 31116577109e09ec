"""A file sent in parts (services/upload_parts.py): how much arrived, the next part, and forgetting them
(a change the person discarded). JSON only, for the page scripts and the worker; the upload form's view
takes the parts when the form follows."""

import re
from functools import wraps

from flask import current_app, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...extensions import db
from ...services import ServiceError, upload_parts
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
    length = request.content_length
    if not OFFSET.match(start) or length is None or length > upload_parts.PART:
        raise ServiceError(_l("This file could not be sent. Please try again."), 400)
    # A body cut short by the line is refused whole: werkzeug stops at the declared length, and a part
    # shorter than its own Content-Length is a cut, not a part.
    data = request.get_data(cache=False)
    if len(data) != length:
        current_app.logger.info("upload part cut short: %s of %s bytes", len(data), length)
        raise ServiceError(_l("This file could not be sent. Please try again."), 400)
    got = upload_parts.append(current_user, key, int(start), data)
    db.session.commit()
    return jsonify(received=got)


@bp.route("/uploads/<key>", methods=["DELETE"])
@_signed_in
def upload_forget(key: str):
    upload_parts.forget(current_user, key)
    db.session.commit()
    return "", 204
