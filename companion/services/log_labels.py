"""How a logged object label is shown. Labels are written once, in no one's language, and are part of
the hashed chain, so dates are kept machine-neutral (an ISO day, or a UTC minute) and choices as codes;
here they become the reader's words and the one date format of `dates`."""

import re
from datetime import UTC, date, datetime

from ..texts import lazy_gettext as _l
from . import dates

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_UTC_MINUTE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")
_PARENT_VIEW = re.compile(r"(?P<scopes>[^;]*); (?P<after>keep|end) at 18")  # services/teen_codes.py
_SCOPES = {"agenda": _l("the agenda"), "documents:read": _l("the documents")}
_AFTER_18 = {"keep": _l("they keep it after 18"), "end": _l("it ends at 18")}


def shown(label: str | None, when=dates.moment) -> str:
    """The label as the reader sees it; `when` formats a moment (the page's or the export's zone)."""
    text = label or ""
    if _DAY.fullmatch(text):
        return dates.day(date.fromisoformat(text))
    if _UTC_MINUTE.fullmatch(text):
        return when(datetime.strptime(text, "%Y-%m-%d %H:%M UTC").replace(tzinfo=UTC))
    view = _PARENT_VIEW.fullmatch(text)
    if view:
        scopes = [str(_SCOPES[s]) for s in view["scopes"].split() if s in _SCOPES]
        return ", ".join(scopes or [str(_l("nothing"))]) + " (" + str(_AFTER_18[view["after"]]) + ")"
    return text
