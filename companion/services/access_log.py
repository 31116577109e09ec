"""Reading the access log (filters, keyset pages, a streamed CSV over the whole retained history) and
pruning it past the retention period.

Pruning removes the oldest entries of each chain only, and signs where each chain now starts,
so `audit verify` still checks everything that remains."""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask_babel import format_decimal
from sqlalchemy import Integer, bindparam, delete, func, select, text, union
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models.audit import AccessEvent, AuditChain, RefusalCount
from ..models.types import utcnow
from ..texts import gettext as _
from ..texts import lazy_gettext as _l
from ..texts import ngettext
from . import audit_checkpoints, dates, log_labels, refusals
from .audit_actions import phrase_for

MAX_RETENTION_MONTHS = 36
# Filter dates are clamped to this range: 9999-12-31 plus one day, or year 1 shifted to UTC, overflow.
EARLIEST, LATEST = date(1900, 1, 1), date(9000, 1, 1)


@dataclass(frozen=True)
class Filters:
    profile_ids: tuple[int, ...]
    account_id: int | None = None  # also the account's own security events
    actor_id: int | None = None
    since: date | None = None
    until: date | None = None
    tz: str = "Europe/Paris"


def _local_midnight(day: date, tz: str) -> datetime:
    day = min(max(day, EARLIEST), LATEST)
    return datetime.combine(day, time(0, 0), ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))


def _logs(profiles: int, account: bool) -> list[tuple[str, str]]:
    """Each log read on its own: (its column, the name its value is bound by, in _values)."""
    logs = [("profile_id", f"p{i}") for i in range(profiles)]
    return logs + ([("account_id", "account")] if account else [])


def _values(f: Filters) -> dict:
    """The filters' values, by the names _range_statement binds: each profile, the account, who, and
    the first and past-the-last instant of the days asked (midnight in the person's time zone)."""
    values: dict = {f"p{i}": pid for i, pid in enumerate(f.profile_ids)}
    if f.account_id is not None:
        values["account"] = f.account_id
    if f.actor_id is not None:
        values["actor"] = f.actor_id
    if f.since:
        values["since"] = _local_midnight(f.since, f.tz)
    if f.until:
        values["until"] = _local_midnight(min(f.until, LATEST) + timedelta(days=1), f.tz)
    return values


@lru_cache(maxsize=64)
def _range_statement(shape: tuple[int, bool, bool, bool, bool], newest_first: bool, marked: bool):
    """Up to `size` entries past `mark`, read as one range of an index per log (each profile's, the
    account's), merged: an entry of the account about this profile is in both and counted once. Asked
    as one OR, PostgreSQL walked the whole log's ids backwards to find a page of one profile's: 400 ms
    on a log of 2 million entries whose newest of this profile were old. Built once per shape (how
    many profiles; account, who, since, until or not), the values bound (_values)."""
    profiles, account, actor, since, until = shape
    keys = [getattr(AccessEvent, column) == bindparam(name, type_=Integer)
            for column, name in _logs(profiles, account)]
    where = [AccessEvent.actor_id == bindparam("actor", type_=Integer)] if actor else []
    if since:
        where.append(AccessEvent.at >= bindparam("since", type_=AccessEvent.at.type))
    if until:
        where.append(AccessEvent.at < bindparam("until", type_=AccessEvent.at.type))
    if marked:
        mark = bindparam("mark", type_=Integer)
        where.append(AccessEvent.id < mark if newest_first else AccessEvent.id > mark)
    size = bindparam("size", type_=Integer)

    def order(event):
        return event.id.desc() if newest_first else event.id.asc()

    ranges = [select(AccessEvent).where(key, *where).order_by(order(AccessEvent)).limit(size).subquery()
              for key in keys]
    # The merge sorts only what the ranges read, never goes back to the whole log.
    merged = aliased(AccessEvent, union(*(select(r) for r in ranges)).subquery())
    return select(merged).order_by(order(merged)).limit(size)


@dataclass(frozen=True)
class Page:
    events: list[AccessEvent]
    older: int | None = None  # pass as `before=` for the next page back in time
    newer: int | None = None  # pass as `after=` for the page just newer than this one


def _next(f: Filters, mark: int | None, newest_first: bool, size: int) -> list[AccessEvent]:
    """Up to `size` matching entries past `mark` (None: from the newest), in the order asked."""
    if not f.profile_ids and f.account_id is None:
        return []
    shape = (len(f.profile_ids), f.account_id is not None, f.actor_id is not None, bool(f.since),
             bool(f.until))
    statement = _range_statement(shape, newest_first, mark is not None)
    return list(db.session.scalars(statement, {**_values(f), "mark": mark, "size": size}))


def page(f: Filters, *, before: int | None = None, after: int | None = None, size: int = 50) -> Page:
    """One page of the whole retained history, newest first, by keyset on the id (no offset, no cap):
    `before` gives the entries just older than that id, `after` those just newer."""
    # One entry more than the page tells whether there is more that way; the other way is asked only
    # when the page did not start from the newest entry.
    if after is not None:
        rows = _next(f, after, False, size + 1)
        newer, rows = len(rows) > size, rows[:size][::-1]
        older = bool(rows) and bool(_next(f, rows[-1].id, True, 1))
    else:
        rows = _next(f, before, True, size + 1)
        older, rows = len(rows) > size, rows[:size]
        newer = before is not None and bool(rows) and bool(_next(f, rows[0].id, False, 1))
    if not rows:
        return Page([])
    return Page(rows, rows[-1].id if older else None, rows[0].id if newer else None)


def every_event(f: Filters, batch: int = 500):
    """All matching entries, newest first, read a batch at a time (for the streamed CSV)."""
    before = None
    while True:
        found = _next(f, before, True, batch)
        yield found
        if len(found) < batch:
            return
        before = found[-1].id


@lru_cache(maxsize=16)
def _actors_statement(profiles: int, account: bool):
    """Per log, its actors one index step each (the next actor after the last one found, on
    ix_access_events_*_actor), each with the newest entry that names them (its name is theirs now).
    Grouping the whole history instead read every entry of the profile on each view of the page:
    60 ms at 200,000 entries."""
    steps, picks = [], []
    for n, (column, name) in enumerate(_logs(profiles, account)):
        key, near = f"e.{column} = :{name}", f"x.{column} = :{name}"
        steps.append(f"""a{n}(actor_id) AS (
            SELECT min(e.actor_id) FROM access_events e WHERE {key} AND e.actor_id IS NOT NULL
            UNION ALL
            SELECT (SELECT min(x.actor_id) FROM access_events x WHERE {near} AND x.actor_id > a{n}.actor_id)
            FROM a{n} WHERE a{n}.actor_id IS NOT NULL)""")
        picks.append(f"""SELECT a{n}.actor_id, e.id, e.actor_name FROM a{n} JOIN access_events e ON e.id = (
            SELECT max(x.id) FROM access_events x WHERE {near} AND x.actor_id = a{n}.actor_id)""")
    return text("WITH RECURSIVE " + ", ".join(steps) + " " + " UNION ALL ".join(picks))


def actors(f: Filters) -> list[tuple[int, str]]:
    """The people who appear in these logs, for the "who" filter, by the name they now bear."""
    if not f.profile_ids and f.account_id is None:
        return []
    newest: dict[int, tuple[int, str]] = {}
    statement = _actors_statement(len(f.profile_ids), f.account_id is not None)
    for actor_id, entry_id, name in db.session.execute(statement, _values(f)):
        if actor_id not in newest or entry_id > newest[actor_id][0]:
            newest[actor_id] = (entry_id, name)
    return sorted(((a, name or "?") for a, (_, name) in newest.items()), key=lambda r: r[1].lower())


ROLES = {
    "caregiver": _l("caregiver"), "owner": _l("owner"), "mediator": _l("mediator"),
    "stranger": _l("no access"), "invitee": _l("invited person"), "system": _l("automatic"),
    "clinician": _l("no account"),
}


def _who(event, viewer_id: int | None) -> str:
    if event.actor_role == "system":
        return "Companion"
    if event.actor_role == "clinician":  # whoever holds the link of a share: no account, no name
        return _("The person you shared with")
    if viewer_id is not None and event.actor_id == viewer_id:
        return _("%(name)s (you)", name=event.actor_name)
    return event.actor_name or _("A deleted account")


def _what(event, times: dict[int, int]) -> str:
    what = str(phrase_for(event.action))
    count = times.get(event.id, 1)
    if count > 1:  # refusals are one entry per person, profile and hour, with how many there were
        what += " " + ngettext("(%(count)s time in that hour)", "(%(count)s times in that hour)", count,
                               count=format_decimal(count))
    return what


def rows(events, viewer_id: int | None, when=None) -> list[dict]:
    """The entries in plain words, as the page and the CSV copy show them to `viewer_id`. `when` formats
    a time (the page's: in the viewer's time zone; an export passes the person's own)."""
    when = when or dates.moment
    times = refusals.counts([e.id for e in events if e.action == "access.refused"])
    return [{
        "when": when(e.at), "at": e.at, "who": _who(e, viewer_id),
        "role": str(ROLES.get(e.actor_role, e.actor_role)), "what": _what(e, times),
        "object": log_labels.shown(e.object_label, when), "refused": e.action == "access.refused",
        "mine": viewer_id is not None and e.actor_id == viewer_id,
    } for e in events]


def csv_header() -> list[str]:
    return [_("When"), _("Who"), _("Role"), _("What"), _("About")]


def _cell(value) -> str:
    text = str(value or "")
    # A spreadsheet would run a cell starting with these as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(rows: list[dict], header: list[str] | None = None) -> str:
    """CSV lines for these rows; with a header, the file's start (the BOM lets spreadsheet software read
    the accents right)."""
    out = io.StringIO()
    writer = csv.writer(out)
    if header is not None:
        out.write("\ufeff")
        writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(key)) for key in ("when", "who", "role", "what", "object")])
    return out.getvalue()


def retention_months(configured: int) -> int:
    return max(1, min(int(configured), MAX_RETENTION_MONTHS))


def cutoff(now: datetime, months: int) -> datetime:
    months = retention_months(months)
    year, month = divmod(now.month - 1 - months, 12)
    return now.replace(year=now.year + year, month=month + 1, day=min(now.day, 28))


def _anchor(chain: str, limit: datetime) -> tuple[int, str] | None:
    """Where the chain will start once its entries older than `limit` are gone; None if nothing to remove.
    The head is locked first, so an append cannot slip in between the look and the delete."""
    head = db.session.execute(select(AuditChain.seq, AuditChain.last_hash)
                              .where(AuditChain.chain == chain).with_for_update()).first()
    first_kept = db.session.scalar(select(func.min(AccessEvent.seq))
                                   .where(AccessEvent.chain == chain, AccessEvent.at >= limit))
    if first_kept is None:
        return (head.seq, head.last_hash) if head is not None else None
    before = db.session.execute(select(AccessEvent.seq, AccessEvent.hash)
                                .where(AccessEvent.chain == chain, AccessEvent.seq == first_kept - 1)).first()
    return (before.seq, before.hash) if before is not None else None


def prune(months: int, now: datetime | None = None) -> int:
    """Delete the entries older than the retention period, chain by chain, and sign where each chain now
    starts (a "prune" checkpoint): legitimate pruning verifies, a truncation without the key does not."""
    limit = cutoff(now or utcnow(), months)
    # Written first: on SQLite this takes the write lock, so no append moves a head while we prune.
    db.session.execute(delete(RefusalCount).where(RefusalCount.hour < limit - timedelta(hours=1)))
    chains = db.session.scalars(select(AccessEvent.chain).where(AccessEvent.at < limit).distinct()).all()
    removed, anchors = 0, {}
    for chain in sorted(chains):
        anchor = _anchor(chain, limit)
        if anchor is None:
            continue
        result = db.session.execute(
            delete(AccessEvent).where(AccessEvent.chain == chain, AccessEvent.seq <= anchor[0]),
            execution_options={"audit_prune": True, "synchronize_session": False})
        removed += result.rowcount or 0  # type: ignore[attr-defined]  # an UPDATE/DELETE gives a CursorResult, typed as Result
        anchors[chain] = list(anchor)
    if anchors:
        audit_checkpoints.write("prune", anchors=anchors)
    db.session.flush()
    return removed
