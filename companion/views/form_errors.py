"""Showing a service's refusal on the form that caused it. Not a blueprint."""

from flask import flash

from ..extensions import db
from ..services import ServiceError


def show_refusal(form, exc: ServiceError) -> None:
    """Undo the request's changes, then put the message on its field, or on the page."""
    db.session.rollback()
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "error")
