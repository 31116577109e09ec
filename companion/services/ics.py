"""iCalendar (RFC 5545) files for an agenda item or a personal reminder, so a person can put it in
the phone's own calendar."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

PRODID = "-//Companion//Agenda//FR"
REPEAT_RULE = {"daily": "FREQ=DAILY", "weekly": "FREQ=WEEKLY", "monthly": "FREQ=MONTHLY"}


@dataclass(frozen=True)
class Event:
    uid: str
    summary: str
    start: date | datetime  # a date = an all-day event
    duration_minutes: int = 60
    description: str = ""
    url: str = ""
    repeat: str = ""
    until: date | None = None
    alarm_minutes: int | None = None
    # What the phone shows on the lock screen when the alarm rings: neutral, never the title or a name.
    alarm_text: str = "Companion"


def escape(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11); any line break, a lone CR too, becomes \\n, so a title cannot
    start a property of its own."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n"))


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    out, current = [], b""
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


def _event_lines(ev: Event, now: datetime) -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{ev.uid}", f"DTSTAMP:{_stamp(now)}", f"SUMMARY:{escape(ev.summary)}"]
    if isinstance(ev.start, datetime):
        lines += [f"DTSTART:{_stamp(ev.start)}",
                  f"DTEND:{_stamp(ev.start + timedelta(minutes=ev.duration_minutes))}"]
    else:
        lines += [f"DTSTART;VALUE=DATE:{ev.start:%Y%m%d}",
                  f"DTEND;VALUE=DATE:{ev.start + timedelta(days=1):%Y%m%d}"]
    if ev.repeat in REPEAT_RULE:
        until = f";UNTIL={ev.until:%Y%m%d}T235959Z" if ev.until else ""
        lines.append(f"RRULE:{REPEAT_RULE[ev.repeat]}{until}")
    if ev.description:
        lines.append(f"DESCRIPTION:{escape(ev.description)}")
    if ev.url:
        lines.append(f"URL:{ev.url}")
    if ev.alarm_minutes is not None:
        lines += ["BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:{escape(ev.alarm_text)}",
                  f"TRIGGER:-PT{ev.alarm_minutes}M", "END:VALARM"]
    return lines + ["END:VEVENT"]


def calendar(events: list[Event], now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    for ev in events:
        lines += _event_lines(ev, now)
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
