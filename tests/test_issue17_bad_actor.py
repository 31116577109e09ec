"""Issue 17's features played by a bad actor: a stolen or stale session (a parent's phone left
unlocked, a shared computer) must not take a child's profile with a teen code nor read a whole archive
by asking for it from its second byte; the holes found in review, each shut."""

import re
from datetime import date, timedelta

from sqlalchemy import select

from companion.commands import family as family_job
from companion.extensions import db
from companion.models.account import UserSession
from companion.models.family import TeenCode
from companion.models.types import utcnow

from .cast import signed_in
from .documents_support import _empty_document_store  # noqa: F401  (each test starts with no blob)
from .export_support import _export_queue, build_export, fill_profile  # noqa: F401
from .test_family_stages import _child, at

CLAIRE = "claire@example.fr"


def _age_sessions(app, minutes: int) -> None:
    with app.app_context():
        for sess in db.session.scalars(select(UserSession)):
            sess.authenticated_at = utcnow() - timedelta(minutes=minutes)
        db.session.commit()


def test_a_stale_session_cannot_make_the_teen_code_that_hands_the_profile_over(app, ctx):
    claire, lea = _child(ctx)
    family_job.job(app, at(date(2026, 3, 10)))  # the teen notice: a code may be made
    parent = signed_in(app.test_client(), claire)
    page = f"/p/{lea}/growing-up"
    parent.get(page)
    _age_sessions(app, 60)
    resp = parent.post(f"{page}/code", {}, from_url=page)
    assert resp.status_code == 302 and "/reauth" in resp.headers["Location"]
    with ctx():
        assert db.session.scalar(select(TeenCode)) is None
    assert not re.search(r'class="code">[A-Z0-9-]+<', parent.get(page).get_data(as_text=True))


def test_a_stale_session_cannot_read_the_archive_by_skipping_its_first_byte(app, web, claire):
    fill_profile(app, claire, CLAIRE)
    link = build_export(web, app, claire)
    _age_sessions(app, 60)
    # A ZIP always begins with "P": from the second byte on is the whole archive, less one known byte.
    for asked in ("bytes=1-", "bytes=100-"):
        resp = web.get(link, headers={"Range": asked})
        assert resp.status_code == 302 and "/reauth" in resp.headers["Location"], asked
        assert b"PK" not in resp.data
