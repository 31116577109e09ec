"""A refusal on a profile that exists does exactly the work of a refusal on one that does not: the same
SQL statements, in the same order. Otherwise the answer's timing tells which profile ids exist (it took
1.6-1.75 times as long). Statements are compared, never times: times are for bench/refusal_timing.py."""

import re

from sqlalchemy import event, select

from companion.extensions import db
from companion.models.audit import AccessEvent
from companion.models.profile import Profile


def _statements(app, client, url: str) -> tuple[int, list[str]]:
    seen: list[str] = []

    def note(_conn, _cursor, statement, _params, _context, _many):
        seen.append(re.sub(r"\s+", " ", statement))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        status = client.get(url).status_code
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return status, seen


def test_refused_existing_and_missing_profiles_run_the_same_statements(app, web, client, ctx):
    web.register(email="owner@example.fr", name="Louis Bernard")
    with ctx():
        louis = db.session.scalar(select(Profile.id).where(Profile.first_name == "Louis"))
        missing = db.session.scalar(select(Profile.id).order_by(Profile.id.desc())) + 1000
    web.logout()
    web.register(email="stranger@example.fr", name="Eve Martin")
    for path in ("documents", "agenda", "edit"):
        # Warm-up: caches, first-use compilations, and the hour's first refusal of each (which also writes
        # the chained entry: refusals are counted once per person, profile and hour).
        client.get(f"/p/{missing}/{path}")
        client.get(f"/p/{louis}/{path}")
        existing = _statements(app, client, f"/p/{louis}/{path}")
        absent = _statements(app, client, f"/p/{missing}/{path}")
        assert existing[0] == absent[0] == 404
        assert len(existing[1]) == len(absent[1])
        assert existing[1] == absent[1]


def test_a_refusal_on_a_missing_profile_is_kept_without_a_profile(app, web, client, ctx):
    web.register(email="stranger@example.fr", name="Eve Martin")
    assert client.get("/p/987654/documents").status_code == 404
    with ctx():
        refused = db.session.scalars(select(AccessEvent).where(AccessEvent.action == "access.refused")).all()
        assert [(e.profile_id, e.object_id) for e in refused] == [(None, "documents:read")]
