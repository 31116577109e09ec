"""iCalendar (RFC 5545) files for an agenda item or a personal reminder, so a person can put it in
the phone's own calendar.

Timed events are written in local time with TZID and a VTIMEZONE, not in UTC: a daily medicine at
08:00 written as 07:00Z with an RRULE would show 09:00 after the summer-time change, while the app
pushes at 08:00. All-day events have no time zone (a date is the same everywhere); their alarm rings
at a time of day after the start (the person's reminder hour), not at midnight."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PRODID = "-//Companion//Agenda//FR"
REPEAT_RULE = {"daily": "FREQ=DAILY", "weekly": "FREQ=WEEKLY", "monthly": "FREQ=MONTHLY"}
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# How many years of a zone's rule are checked (and, for a zone with no yearly rule, written out).
ZONE_YEARS = 12


@dataclass(frozen=True)
class Event:
    uid: str
    summary: str
    start: date | datetime  # a date = an all-day event; an aware datetime otherwise
    duration_minutes: int = 60
    description: str = ""
    url: str = ""
    repeat: str = ""
    until: date | None = None
    alarm_minutes: int | None = None  # timed events: minutes before the start
    # What the phone shows on the lock screen when the alarm rings: neutral, never the title or a name.
    alarm_text: str = "Companion"
    tz: str = ""  # IANA zone of a timed event; empty: written in UTC (no repeat then)
    alarm_at: time | None = None  # all-day events: the local time of day the alarm rings


def escape(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11); any line break, a lone CR too, becomes \\n, so a title cannot
    start a property of its own."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n"))


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    out: list[str] = []
    current = b""
    for ch in line:
        enc = ch.encode()
        if len(current) + len(enc) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += enc
    out.append(current.decode())
    return "\r\n ".join(out)


def _stamp(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(dt: datetime) -> str:
    return dt.strftime("%Y%m%dT%H%M%S")


def _offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _utcoffset(at: datetime, tz: ZoneInfo) -> timedelta:
    offset = at.astimezone(tz).utcoffset()
    assert offset is not None, "an aware time in a ZoneInfo always has an offset"
    return offset


def transitions(tz: ZoneInfo, year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """(UTC instant, offset before, offset after) of each change of the zone's offset in `year`."""
    found: list[tuple[datetime, timedelta, timedelta]] = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    before = _utcoffset(day, tz)
    for _ in range(366 if year % 4 == 0 else 365):
        nxt = day + timedelta(days=1)
        after = _utcoffset(nxt, tz)
        if after != before:
            lo, hi = 0, 24 * 60  # minutes into the day: the change is on a whole minute
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if (day + timedelta(minutes=mid)).astimezone(tz).utcoffset() == before:
                    lo = mid
                else:
                    hi = mid
            found.append((day + timedelta(minutes=hi), before, after))
            before = after
        day = nxt
    return found


def _byday(local: datetime) -> str:
    """`-1SU` for the last Sunday of the month, `2SU` for the second, as the zone's rule writes it."""
    last = (local + timedelta(days=7)).month != local.month
    return f"{-1 if last else (local.day - 1) // 7 + 1}{DAYS[local.weekday()]}"


def _observance(tz: ZoneInfo, at: datetime, before: timedelta, after: timedelta, rrule: bool) -> list[str]:
    kind = "DAYLIGHT" if at.astimezone(tz).dst() else "STANDARD"
    onset = (at + before).replace(tzinfo=None)  # DTSTART is the local time before the change
    lines = [f"BEGIN:{kind}", f"DTSTART:{_local(onset)}"]
    if rrule:
        lines.append(f"RRULE:FREQ=YEARLY;BYMONTH={onset.month};BYDAY={_byday(onset)}")
    name = at.astimezone(tz).tzname() or ""
    lines += [f"TZOFFSETFROM:{_offset(before)}", f"TZOFFSETTO:{_offset(after)}"]
    return lines + ([f"TZNAME:{escape(name)}"] if name else []) + [f"END:{kind}"]


def _rule_key(change) -> tuple:
    at, before, after = change
    onset = at + before
    return onset.month, _byday(onset), onset.time(), before, after


def vtimezone(name: str, year: int) -> list[str]:
    """The VTIMEZONE of an IANA zone from `year` on: a yearly rule when every year of the next
    ZONE_YEARS follows it (Europe, North America), else each change written out for those years."""
    tz = ZoneInfo(name)
    years = [transitions(tz, y) for y in range(year, year + ZONE_YEARS)]
    lines = ["BEGIN:VTIMEZONE", f"TZID:{name}"]
    if not years[0]:  # no change this year (no summer time, or abolished): one fixed offset
        offset = _utcoffset(datetime(year, 1, 1, tzinfo=UTC), tz)
        lines += ["BEGIN:STANDARD", "DTSTART:19700101T000000", f"TZOFFSETFROM:{_offset(offset)}",
                  f"TZOFFSETTO:{_offset(offset)}", "END:STANDARD"]
    elif all(list(map(_rule_key, changes)) == list(map(_rule_key, years[0])) for changes in years):
        for change in years[0]:
            lines += _observance(tz, *change, rrule=True)
    else:
        for change in (c for changes in years for c in changes):
            lines += _observance(tz, *change, rrule=False)
    return lines + ["END:VTIMEZONE"]


def _when_lines(ev: Event) -> list[str]:
    if not isinstance(ev.start, datetime):
        return [f"DTSTART;VALUE=DATE:{ev.start:%Y%m%d}",
                f"DTEND;VALUE=DATE:{ev.start + timedelta(days=1):%Y%m%d}"]
    end = ev.start + timedelta(minutes=ev.duration_minutes)
    if not ev.tz:
        return [f"DTSTART:{_stamp(ev.start)}", f"DTEND:{_stamp(end)}"]
    tz = ZoneInfo(ev.tz)
    start, end = ev.start.astimezone(tz), end.astimezone(tz)
    return [f"DTSTART;TZID={ev.tz}:{_local(start)}", f"DTEND;TZID={ev.tz}:{_local(end)}"]


def _repeat_line(ev: Event) -> list[str]:
    if ev.repeat not in REPEAT_RULE:
        return []
    until = ""
    if ev.until and isinstance(ev.start, datetime) and ev.tz:
        # UNTIL is in UTC when DTSTART has a TZID (RFC 5545 3.3.10): the end of that local day.
        last = datetime.combine(ev.until, time(23, 59, 59), tzinfo=ZoneInfo(ev.tz))
        until = f";UNTIL={_stamp(last)}"
    elif ev.until:
        until = f";UNTIL={ev.until:%Y%m%d}" if not isinstance(ev.start, datetime) else \
            f";UNTIL={ev.until:%Y%m%d}T235959Z"
    return [f"RRULE:{REPEAT_RULE[ev.repeat]}{until}"]


def _alarm_lines(ev: Event) -> list[str]:
    if isinstance(ev.start, datetime):
        if ev.alarm_minutes is None:
            return []
        trigger = f"-PT{ev.alarm_minutes}M"
    else:
        if ev.alarm_at is None and ev.alarm_minutes is None:
            return []
        at = ev.alarm_at or time(0, 0)
        # An all-day event starts at local midnight: a positive trigger rings later that day.
        trigger = f"PT{at.hour}H{at.minute}M"
    return ["BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:{escape(ev.alarm_text)}",
            f"TRIGGER:{trigger}", "END:VALARM"]


def _event_lines(ev: Event, now: datetime) -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{ev.uid}", f"DTSTAMP:{_stamp(now)}", f"SUMMARY:{escape(ev.summary)}"]
    lines += _when_lines(ev) + _repeat_line(ev)
    if ev.description:
        lines.append(f"DESCRIPTION:{escape(ev.description)}")
    if ev.url:
        lines.append(f"URL:{ev.url}")
    return lines + _alarm_lines(ev) + ["END:VEVENT"]


def calendar(events: list[Event], now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    zones: dict[str, int] = {}
    for ev in events:
        if ev.tz and isinstance(ev.start, datetime):
            zones[ev.tz] = min(zones.get(ev.tz, ev.start.year), ev.start.year)
    for name, year in zones.items():
        lines += vtimezone(name, year - 1)  # the observances must begin before the event's first date
    for ev in events:
        lines += _event_lines(ev, now)
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
