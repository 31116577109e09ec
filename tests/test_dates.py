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
        assert dates.moment(before) == "29 mars 2026 à 01:30"
        assert dates.moment(after) == "29 mars 2026 à 03:30"
        autumn = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 2:30 summer time, then 2:30 again at 1:30 UTC
        assert dates.moment(autumn) == dates.moment(datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
        assert dates.moment(autumn.replace(tzinfo=None)) == dates.moment(autumn)  # stored naive: UTC
        assert dates.moment(after, PARIS) == dates.moment(after)
        assert dates.moment(after, ZoneInfo("America/Cayenne")) == "28 mars 2026 à 22:30"
        assert dates.moment(None) == ""


def test_a_moment_in_english(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert dates.moment(datetime(2026, 7, 14, 12, 5, tzinfo=UTC)) == "July 14, 2026 at 2:05\u202fPM"


def test_a_day_is_the_readers_day(app):
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already the new year in Paris
        assert dates.day(late) == "1 janvier 2027"
        assert dates.day(late.replace(tzinfo=None)) == "1 janvier 2027"
        assert dates.day(late.date()) == "31 décembre 2026"  # a care date has no hour, nor zone
        assert dates.day(None) == ""
