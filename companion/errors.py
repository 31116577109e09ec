"""Translated error pages that keep the layout, and JSON bodies for JSON routes."""

import logging

from flask import current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db
from .services import ServiceError
from .services.access import AccessDenied, ended_for, log_refusal
from .texts import lazy_gettext as _l
from .web.client import wants_json
from .web.throttle import refused_too_often

log = logging.getLogger("companion.errors")

MESSAGES = {
    400: (_l("Something in the request was wrong"), _l("Please go back and try again.")),
    403: (_l("You cannot do this"), _l("Your account does not allow this action.")),
    404: (_l("Page not found"), _l("This page does not exist or is not yours to see.")),
    405: (_l("This action is not possible here"), _l("Please go back and use the buttons on the page.")),
    413: (_l("The file is too big"), _l("Choose a smaller file and try again.")),
    429: (_l("Too many attempts"), _l("For your safety, please wait a few minutes before trying again.")),
    500: (_l("Something went wrong on our side"), _l("Nothing was lost. Please try again in a moment.")),
}


def render_error(code: int, detail=None, **extra):
    """`extra` goes into the JSON answer only: e.g. `kind` ("access" ended, target "gone") and what a
    conflict needs, so the offline outbox can say what happened in plain words."""
    title, hint = MESSAGES.get(code, MESSAGES[500])
    if wants_json():
        return jsonify(ok=False, error=code, message=str(detail or title), **extra), code
    return render_template("errors/error.html", code=code, title=title, hint=detail or hint), code


def register(app):
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        log.info("csrf refused path=%s reason=%s", request.path, exc.description)
        return render_error(400, _l("This form has expired. Please go back, reload the page and try again."))

    @app.errorhandler(ServiceError)
    def service_error(exc):
        db.session.rollback()
        if isinstance(exc, AccessDenied):
            log_refusal(exc)
            db.session.commit()
            if refused_too_often(getattr(exc.actor, "id", None)):
                return render_error(429)
        if isinstance(exc, AccessDenied) and exc.role == "stranger" and not wants_json():
            ended = ended_for(exc.actor, exc.profile_id) if exc.profile_id else None
            if ended is not None:  # a former caregiver's saved link: say so, to her only
                return render_template("errors/access_ended.html", name=ended[0], ended_at=ended[1]), 404
        kind = "access" if isinstance(exc, AccessDenied) else "gone" if exc.status in (404, 410) else None
        extra = {"kind": kind} if kind else {}
        extra.update(getattr(exc, "details", None) or {})
        return render_error(exc.status, exc.message if exc.status != 404 else None, **extra)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if exc.code == 413:  # refused before any view (a form too big to read): still say the limit
            mb = current_app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024)
            return render_error(413, _l("This file is too big: the limit is %(mb)s MB.", mb=mb))
        return render_error(exc.code or 500)

    @app.errorhandler(Exception)
    def crash(exc):
        db.session.rollback()
        log.exception("unhandled error path=%s", request.path)
        return render_error(500)
