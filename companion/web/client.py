"""What this request's client wants and is: JSON or a page, its language, a shared computer.
One definition each, so every view and error handler answers the same client the same way."""

from flask import request
from flask_babel import get_locale
from flask_login import current_user


def wants_json() -> bool:
    """A JSON answer for the API paths and a file's parts (the worker's sync sends them as they are), a
    JSON body (the offline queue), or a client that prefers JSON (the page scripts send `Accept:
    application/json`); a page for everything else."""
    return (request.path.startswith(("/api/", "/uploads/")) or request.is_json
            or request.accept_mimetypes.best == "application/json")


def locale() -> str:
    """The language this request is answered in ("fr" or "en")."""
    return str(get_locale() or "fr")


RTL_LANGUAGES = ("ar", "fa", "he", "ur")


def text_direction(lang: str) -> str:
    """`dir` for a page in this language: right to left for Arabic, Persian, Hebrew and Urdu."""
    return "rtl" if lang[:2] in RTL_LANGUAGES else "ltr"


def shared_device() -> bool:
    """Whether this browser's session was marked as a shared computer (at login or by onboarding):
    nothing private may be kept there."""
    return bool(getattr(getattr(current_user, "current_session", None), "shared_device", False))
