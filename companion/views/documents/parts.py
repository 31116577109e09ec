"""A file sent in parts (services/upload_parts.py): how much arrived, and the next part. JSON only, for
the page scripts; the upload form's view takes the parts when the form follows."""

from flask import current_app, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...extensions import db
from ...services import ServiceError, upload_parts
from ...web.routes import account_route
from . import bp


@bp.route("/uploads/<key>", methods=["GET"])
@account_route
def upload_received(key: str):
    resp = jsonify(received=upload_parts.received(current_user, key),
                   done=upload_parts.done(current_user, key), part=upload_parts.PART)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/uploads/<key>", methods=["PUT"])
@account_route
def upload_part(key: str):
    start = request.headers.get("Upload-Offset", "")
    length = request.content_length
    if not start.isdigit() or length is None or length > upload_parts.PART:
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
