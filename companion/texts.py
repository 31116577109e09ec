"""`gettext`, `ngettext` and `lazy_gettext` as Flask-Babel's, with the catalog looked up once per request
and language.

Flask-Babel looks the language and its catalog up again for every string, through several
context-local lookups: about 14 microseconds a string, a tenth of an access-log page (each entry's
action and role are translated). Here the catalog is kept on the request's `g`, with the locale it was
found for: a language forced for one mail (`force_locale`) is another locale, and is looked up."""

from flask import g, has_app_context
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString


def catalog():
    """This request's catalog (outside a request: Flask-Babel's, untranslated)."""
    if not has_app_context():
        return get_translations()
    locale = get_locale()
    held = g.get("_companion_catalog")
    if held is None or held[0] is not locale:
        held = g._companion_catalog = (locale, get_translations())
    return held[1]


def gettext(string: str, **variables) -> str:
    text = catalog().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return catalog().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables) -> LazyString:
    return LazyString(gettext, string, **variables)
