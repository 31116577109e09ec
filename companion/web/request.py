"""The app's request class: Flask's, plus the form library's catalog read once per language.

Flask-WTF looks for `request.wtforms_translations` and, missing it, reads WTForms' message catalog from
disk on every request that builds a form (about a third of a millisecond, a sixth of the login page's
time). Here the attribute is computed on first use from a catalog kept per language for the life of the
worker; pages without a form never compute it."""

from functools import cached_property, lru_cache
from gettext import NullTranslations

from babel import support
from flask import Request as FlaskRequest
from flask_babel import get_locale
from wtforms.i18n import messages_path


@lru_cache(maxsize=8)
def _wtforms_catalog(locale: str) -> NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Request(FlaskRequest):
    @cached_property
    def wtforms_translations(self) -> NullTranslations:
        return _wtforms_catalog(str(get_locale()))
