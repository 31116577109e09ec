"""One format per kind of date, in the reader's language and time zone, so a page never mixes
"12/03/2026", "12 mars 2026" and "12 mars 2026 14:30:00":

- a day: "12 mars 2026" / "March 12, 2026", never split over two lines (its spaces are no-break ones:
  "12 / mars 2026" on a narrow phone reads as two things);
- a moment: "12 mars 2026 à 14:30" / "March 12, 2026 at 2:30 PM";
- the day under a chart's bar, where room is short: "12/03" / "3/12".
"""

from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_skeleton
from babel.dates import format_time as babel_time
from flask_babel import get_locale, get_timezone
from flask_login import current_user

from ..models.types import utcnow
from ..texts import gettext as _
from .agenda_store import zone


def _local(when: datetime, tz: tzinfo) -> datetime:
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(tz)  # naive: UTC, as stored


def day(when: date | datetime | None, tz: tzinfo | None = None) -> str:
    """`tz`: the zone the day is read in, when not the reader's own (a message to another person)."""
    if not when:
        return ""
    if isinstance(when, datetime):
        when = _local(when, tz or get_timezone()).date()
    return _day_text(when, get_locale())


def local_today(person: Any = None, now: datetime | None = None) -> date:
    """The date it is for a person: the day in their account's time zone (the server's clock is UTC, and
    from midnight to 02:00 in Paris the UTC day is still yesterday). `person`: an account (an uploader);
    by default whoever is signed in; nobody (a share link, a job), or an unknown zone: Europe/Paris."""
    if person is None:
        person = current_user
    return _local(now or utcnow(), zone(getattr(person, "timezone", None) or "")).date()


def moment(when: datetime | None, tz: tzinfo | None = None) -> str:
    """`tz`: a given time zone instead of the reader's (the queue builds an archive with no request)."""
    if not when:
        return ""
    local = _local(when, tz or get_timezone())
    return _moment_text(local.replace(tzinfo=None, second=0, microsecond=0), get_locale())


# Babel and Flask-Babel take 40 to 90 microseconds a date: an access-log page of 50 entries spent a
# fifth of its time writing dates, most of them the same day. The text depends only on the local day
# or minute and the language (a Babel locale compares by its name: a forced language is a key of its own).
@lru_cache(maxsize=4096)
def _day_text(when: date, lang: Locale | None) -> str:
    return babel_date(when, "long", locale=lang).replace(" ", "\u00a0")


@lru_cache(maxsize=4096)
def _moment_text(local: datetime, lang: Locale | None) -> str:
    """`local`: naive, already in the reader's zone (Babel adds no zone to a short time). `lang` None:
    outside a request, Babel's default."""
    time_text = babel_time(local, "short", locale=lang)
    return _("%(day)s at %(time)s", day=_day_text(local.date(), lang), time=time_text)


def chart_day(when: date | None) -> str:
    return format_skeleton("dM", when, locale=get_locale(), tzinfo=get_timezone()) if when else ""
