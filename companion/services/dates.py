"""One format per kind of date, in the reader's language and time zone, so a page never mixes
"12/03/2026", "12 mars 2026" and "12 mars 2026 14:30:00":

- a day: "12 mars 2026" / "March 12, 2026";
- a moment: "12 mars 2026 à 14:30" / "March 12, 2026 at 2:30 PM";
- the day under a chart's bar, where room is short: "12/03" / "3/12".
"""

from datetime import date, datetime, tzinfo

from babel.dates import format_date as babel_date
from babel.dates import format_skeleton
from babel.dates import format_time as babel_time
from flask_babel import format_date, format_time, get_locale, get_timezone
from flask_babel import gettext as _


def day(when: date | datetime | None) -> str:
    return format_date(when, "long") if when else ""


def moment(when: datetime | None, tz: tzinfo | None = None) -> str:
    """`tz`: a given time zone instead of the reader's (the queue builds an archive with no request)."""
    if not when:
        return ""
    if tz is None:
        day_text, time_text = format_date(when, "long"), format_time(when, "short")
    else:
        local, lang = when.astimezone(tz), get_locale()
        day_text = babel_date(local.date(), "long", locale=lang)
        time_text = babel_time(local, "short", tzinfo=tz, locale=lang)
    return _("%(day)s at %(time)s", day=day_text, time=time_text)


def chart_day(when: date | None) -> str:
    return format_skeleton("dM", when, locale=get_locale(), tzinfo=get_timezone()) if when else ""
