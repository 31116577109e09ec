"""One format per kind of date, in the reader's language and time zone, so a page never mixes
"12/03/2026", "12 mars 2026" and "12 mars 2026 14:30:00":

- a day: "12 mars 2026" / "March 12, 2026";
- a moment: "12 mars 2026 à 14:30" / "March 12, 2026 at 2:30 PM";
- the day under a chart's bar, where room is short: "12/03" / "3/12".
"""

from datetime import date, datetime

from babel.dates import format_skeleton
from flask_babel import format_date, format_time, get_locale, get_timezone
from flask_babel import gettext as _


def day(when: date | datetime | None) -> str:
    return format_date(when, "long") if when else ""


def moment(when: datetime | None) -> str:
    if not when:
        return ""
    return _("%(day)s at %(time)s", day=format_date(when, "long"), time=format_time(when, "short"))


def chart_day(when: date | None) -> str:
    return format_skeleton("dM", when, locale=get_locale(), tzinfo=get_timezone()) if when else ""
