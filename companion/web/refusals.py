"""Showing a service's refusal to the person who caused it, the same way in every view.

One rule: the request's changes are undone; the message goes on the form field it names (or the
view's default field), else it is flashed on the page; the status is the one the service chose
(a refusal of what was typed is 400 or 422, of a state 409, of a right 403...)."""

from flask import flash, jsonify, render_template

from ..extensions import db
from ..services import ServiceError
from .client import wants_json


def show_refusal(form, exc: ServiceError, default_field: str | None = None) -> None:
    """Undo the request's changes, then put the message on its field, or on the page."""
    db.session.rollback()
    name = exc.field or default_field
    field = getattr(form, name, None) if name and form is not None else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "error")


def refuse(form, exc: ServiceError, template: str, *, default_field: str | None = None, **context):
    """The answer to a refused form: JSON for a client that wants it, else the same page again with
    the message shown, both with the service's status."""
    show_refusal(form, exc, default_field)
    if wants_json():
        return jsonify(error=exc.status, message=str(exc.message)), exc.status
    return render_template(template, form=form, **context), exc.status
