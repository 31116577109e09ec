"""Language choice, date formatting helpers, and the catalog workflow (compiled by `make`, not at start)."""

import fcntl
import json
import re
from contextlib import contextmanager
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from flask import current_app, has_request_context, request
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

from . import texts
from .config import PROJECT_ROOT
from .web import cookies

TRANSLATIONS = PROJECT_ROOT / "translations"
LANG_COOKIE = "lang"


def select_locale() -> str:
    if not has_request_context():  # a command or a queue job: a refusal's message is still readable
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    langs = current_app.config["LANGUAGES"]
    signed_in = getattr(current_user, "is_authenticated", False)
    user_locale = getattr(current_user, "locale", None) if signed_in else None
    if user_locale is not None and user_locale in langs:
        return user_locale
    cookie = cookies.get(LANG_COOKIE)
    if cookie is not None and cookie in langs:
        return cookie
    return request.accept_languages.best_match(langs) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    if getattr(current_user, "is_authenticated", False):
        return current_user.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


@contextmanager
def catalog_lock():
    """Several people (and helpers) update catalogs at once; one at a time keeps every translation."""
    TRANSLATIONS.mkdir(exist_ok=True)
    with open(TRANSLATIONS / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# Set when a catalog is compiled, so every string gets it, those written later too (a no-break space
# in a .po file is invisible to whoever edits it): on a narrow screen a number never ends a line whose
# next one starts with its unit ("10" / "Mo", "7" / "jours"), and in French : ; ? ! and » never start
# a line, nor does a line end on «.
_BEFORE_UNIT = re.compile(r"(?:(?<=\d)|(?<=\)[sd])) "
                          r"(?=(?:[KMG]B|[KMG]o|days?|months?|years?|jours?|mois|ans?)\b)")
_FRENCH_PUNCTUATION = re.compile(r" (?=[:;?!»])|(?<=«) ")


def typeset(text: str, lang: str) -> str:
    """A translated string with no-break spaces where a line must not break."""
    text = _BEFORE_UNIT.sub("\u00a0", text)
    return _FRENCH_PUNCTUATION.sub("\u00a0", text) if lang == "fr" else text


def compile_catalogs(force: bool = False) -> list[str]:
    """Compile each .po into .mo when the .mo is missing or older (every one when forced). Fuzzy entries
    are not used. A .mo is built, not committed: `make` runs this (flask translate compile) and so does
    the test session; the app only reads translations/, so starting it never writes into the tree."""
    done = []
    with catalog_lock():
        for po_path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
            mo_path = po_path.with_suffix(".mo")
            newest_input = max(po_path.stat().st_mtime, Path(__file__).stat().st_mtime)  # the typesetting too
            if not force and mo_path.exists() and mo_path.stat().st_mtime >= newest_input:
                continue
            lang = po_path.parent.parent.name
            with po_path.open("rb") as fh:
                catalog = read_po(fh)
            for msg in catalog:
                if not msg.id:  # the catalog's header
                    continue
                if isinstance(msg.string, str):
                    msg.string = typeset(msg.string, lang)
                elif msg.string:  # a plural's forms
                    msg.string = tuple(typeset(form, lang) for form in msg.string)
            with mo_path.open("wb") as fh:
                write_mo(fh, catalog, use_fuzzy=False)
            done.append(str(po_path.relative_to(PROJECT_ROOT)))
    return done


def _set_strings(locale: str, string_for) -> int:
    """Rewrite one catalog: string_for(msg, catalog) gives an entry's new msgstr, or None to keep it.
    Entries set lose their fuzzy flag. Returns how many were set."""
    po_path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    with catalog_lock():
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        count = 0
        for msg in catalog:
            value = string_for(msg, catalog) if msg.id else None
            if value is not None:
                msg.string = value
                msg.flags.discard("fuzzy")
                count += 1
        with po_path.open("wb") as fh:
            write_po(fh, catalog, width=100)
    return count


def fill_source_catalog(locale: str = "en") -> int:
    """The strings are written in English: the English catalog says so entry by entry (msgstr =
    msgid), so an empty entry always means something left to do, in either language."""
    def source(msg, catalog):
        plural = isinstance(msg.id, tuple)
        if not msg.fuzzy and all(msg.string if plural else (msg.string,)):
            return None
        return (msg.id[0],) + (msg.id[1],) * (catalog.num_plurals - 1) if plural else msg.id

    return _set_strings(locale, source)


def fill_catalog(locale: str, mapping_file: Path) -> int:
    """Set msgstr for msgids from a JSON object {msgid: msgstr}; clears the fuzzy flag on them."""
    mapping = json.loads(Path(mapping_file).read_text())

    def mapped(msg, _catalog):
        value = mapping.get(msg.id if isinstance(msg.id, str) else msg.id[0])
        return tuple(value) if value is not None and isinstance(msg.id, tuple) else value

    return _set_strings(locale, mapped)


def page_gettext() -> dict:
    """`gettext` and `ngettext` for one page's templates, bound once to this request's catalog.

    Flask-Babel's template functions look the catalog up again for every string (several context-local
    lookups each: about a millisecond for a page's 60 strings). Put in the template context, these
    shadow them with the same behaviour as Jinja's "new style" gettext: the translation is escaped
    as markup when autoescaping, then always formatted with the keyword arguments (`num` added)."""
    catalog = texts.catalog()

    @pass_context
    def gettext(context, string: str, **variables):
        text = catalog.ugettext(string)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables

    @pass_context
    def ngettext(context, singular: str, plural: str, num: int, **variables):
        variables.setdefault("num", num)
        text = catalog.ungettext(singular, plural, num)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables

    return {"gettext": gettext, "ngettext": ngettext}
