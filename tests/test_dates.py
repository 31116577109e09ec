"""A moment reads the same whichever way it is asked for: in the reader's zone (a page), in a given one
(the archive built by the queue), stored naive (UTC) or aware; on both sides of the night the clocks
move, the hour is the local one."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from companion.services import dates

PARIS = ZoneInfo("Europe/Paris")


def test_a_moment_is_written_in_the_readers_zone_across_the_change_of_hour(app):
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        before = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 1:30 in Paris, still winter time
        after = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 3:30 in Paris: the clocks went forward at 2:00
        assert dates.moment(before) == "29\u00a0mars\u00a02026 à 01:30"
        assert dates.moment(after) == "29\u00a0mars\u00a02026 à 03:30"
        autumn = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 2:30 summer time, then 2:30 again at 1:30 UTC
        assert dates.moment(autumn) == dates.moment(datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
        assert dates.moment(autumn.replace(tzinfo=None)) == dates.moment(autumn)  # stored naive: UTC
        assert dates.moment(after, PARIS) == dates.moment(after)
        assert dates.moment(after, ZoneInfo("America/Cayenne")) == "28\u00a0mars\u00a02026 à 22:30"
        assert dates.moment(None) == ""


def test_a_moment_in_english(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        when = datetime(2026, 7, 14, 12, 5, tzinfo=UTC)
        assert dates.moment(when) == "July\u00a014,\u00a02026 at 2:05\u202fPM"


def test_a_day_is_the_readers_day(app):
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already the new year in Paris
        assert dates.day(late) == "1\u00a0janvier\u00a02027"
        assert dates.day(late.replace(tzinfo=None)) == "1\u00a0janvier\u00a02027"
        assert dates.day(late.date()) == "31\u00a0décembre\u00a02026"  # a care date has no hour, nor zone
        assert dates.day(None) == ""


def test_the_same_moment_asked_in_two_languages_reads_in_each(app):
    """Dates are kept once written (a page of log entries writes the same day many times): the language
    is part of what is kept, a language forced for one mail included."""
    from flask_babel import force_locale

    when = datetime(2026, 7, 14, 12, 5, tzinfo=UTC)
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert dates.moment(when) == "14\u00a0juillet\u00a02026 à 14:05"
        with force_locale("en"):
            assert dates.moment(when) == "July\u00a014,\u00a02026 at 2:05\u202fPM"
            assert dates.day(when) == "July\u00a014,\u00a02026"
        assert dates.moment(when) == "14\u00a0juillet\u00a02026 à 14:05"
        assert dates.day(when) == "14\u00a0juillet\u00a02026"
        assert dates.moment(when, ZoneInfo("Pacific/Noumea")) == "14\u00a0juillet\u00a02026 à 23:05"
