"""Refused attempts cannot bury reads: 1,000 refusals after a caregiver's reads leave those reads on the
owner's first page, in the "who" and date filters and in the CSV; the page walks the whole history."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from companion.extensions import db
from companion.models.account import User
from companion.models.audit import AccessEvent, RefusalCount
from companion.models.types import utcnow
from companion.services import audit

from .cast import delegate, sign_up
from .conftest import Browser
from .documents_support import PDF, upload

REFUSALS = 1000
OLDER = re.compile(r'href="([^"]+)" rel="next"')
NEWER = re.compile(r'href="([^"]+)" rel="prev"')


def _family(app, ctx):
    louis = Browser(app.test_client())
    pid = sign_up(louis, ctx, "louis")
    sophie = Browser(app.test_client())
    sign_up(sophie, ctx, "sophie")
    delegate(ctx, pid, "sophie", "documents:read")
    doc_url = upload(louis, pid, PDF, title="Bilan de mars").headers["Location"]
    with ctx():
        sophie_id = db.session.scalar(select(User.id).where(User.email == "sophie@example.fr"))
    return louis, sophie, pid, doc_url, sophie_id


def _reads_shown(html: str) -> bool:
    return "Sophie Bernard (aidant) a ouvert un document «\u00a0Bilan de mars\u00a0»" in html and \
        "Sophie Bernard (aidant) a téléchargé un document «\u00a0Bilan de mars\u00a0»" in html


def test_a_thousand_refusals_do_not_push_a_caregivers_reads_out_of_sight(app, ctx):
    louis, sophie, pid, doc_url, sophie_id = _family(app, ctx)
    assert sophie.get(doc_url + "/file").status_code == 200
    assert sophie.get(doc_url + "/download").status_code == 200
    statuses = {sophie.get(f"/p/{pid}/edit").status_code for _ in range(REFUSALS)}
    assert statuses == {404, 429}  # refused, then throttled once past the limit
    with ctx():
        # One chained entry per hour (two if the run crossed an hour), counting every refusal.
        refused = db.session.scalar(select(func.count()).where(AccessEvent.action == "access.refused"))
        assert refused in (1, 2)
        assert db.session.scalar(select(func.sum(RefusalCount.count))) == REFUSALS
        assert audit.verify().ok
    page = louis.get(f"/p/{pid}/access-log").get_data(as_text=True)
    assert _reads_shown(page)
    if refused == 1:  # the count is shown with the refusal, in the owner's language
        assert re.search(r"et a été refusé \(1\W?000 fois dans cette heure-là\)", page)
    who = louis.get(f"/p/{pid}/access-log?who={sophie_id}").get_data(as_text=True)
    assert _reads_shown(who)
    today = utcnow().date()
    period = f"since={today - timedelta(days=1)}&until={today + timedelta(days=1)}"
    assert _reads_shown(louis.get(f"/p/{pid}/access-log?{period}").get_data(as_text=True))
    for query in ("", f"?who={sophie_id}", f"?{period}"):
        body = louis.get(f"/p/{pid}/access-log.csv{query}").get_data(as_text=True)
        rows = list(csv.reader(io.StringIO(body)))
        whats = {(r[1], r[3], r[4]) for r in rows[1:]}
        assert ("Sophie Bernard", "a ouvert un document", "Bilan de mars") in whats, query
        assert ("Sophie Bernard", "a téléchargé un document", "Bilan de mars") in whats, query


def _ids_on(html: str) -> list[str]:
    return re.findall(r"entrée n°(\d+)", html)


def test_the_page_walks_the_whole_history_without_duplicates_or_gaps(app, ctx):
    louis = Browser(app.test_client())
    pid = sign_up(louis, ctx, "louis")
    start = utcnow() - timedelta(days=3)
    with ctx():
        for n in range(1, 131):
            audit.record(actor=None, actor_role="system", action="profile.view", profile_id=pid,
                         object_label=f"entrée n°{n}", at=start + timedelta(minutes=n))
        db.session.commit()
    seen, url, pages = [], f"/p/{pid}/access-log", 0
    while url:
        html = louis.get(url.replace("&amp;", "&")).get_data(as_text=True)
        seen += _ids_on(html)
        found = OLDER.search(html)
        url, pages = found and found.group(1), pages + 1
    assert seen == [str(n) for n in range(130, 0, -1)] and pages == 3  # 50 + 50 + 30 (+ the account's own)
    back, url = [], NEWER.search(html).group(1)
    while url:
        html = louis.get(url.replace("&amp;", "&")).get_data(as_text=True)
        back = _ids_on(html) + back
        found = NEWER.search(html)
        url = found and found.group(1)
    assert back == [str(n) for n in range(130, 30, -1)]  # the two newer pages, in order, each once


def test_paging_keeps_the_filters(app, ctx):
    louis = Browser(app.test_client())
    pid = sign_up(louis, ctx, "louis")
    # The filter's days are the person's (Europe/Paris): noon there, 10 days ago, whatever the UTC hour
    # the test runs at (between 23:00 and 00:00 UTC the two calendars disagree on the date).
    paris = datetime.now(ZoneInfo("Europe/Paris"))
    local_start = paris.replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=10)
    start = local_start.astimezone(UTC)
    with ctx():
        for n in range(1, 61):  # 60 on day 10 ago, 60 today
            for at in (start, utcnow() - timedelta(minutes=61 - n)):
                audit.record(actor=None, actor_role="system", action="profile.view", profile_id=pid,
                             object_label=f"entrée n°{n}", at=at + timedelta(seconds=n))
        db.session.commit()
    day = local_start.date().isoformat()
    html = louis.get(f"/p/{pid}/access-log?since={day}&until={day}").get_data(as_text=True)
    older = OLDER.search(html).group(1).replace("&amp;", "&")
    assert f"since={day}" in older and f"until={day}" in older
    rest = louis.get(older).get_data(as_text=True)
    assert len(_ids_on(html)) == 50 and len(_ids_on(rest)) == 10 and not OLDER.search(rest)
