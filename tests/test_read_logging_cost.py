"""A caregiver's page view writes the profile's access log without holding its chain while the page is
made (issue 15, "no global lock on a read"): the append comes after the rendering, just before the
commit, so other views of the same profile do not queue behind a whole page. And what the cheaper
request path must keep: the entry is still written and committed, one access a profile however many
delegations reach it (the one that ends last), on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from flask import before_render_template
from sqlalchemy import create_engine, select, text

from companion.extensions import db
from companion.models.account import User
from companion.models.audit import AccessEvent
from companion.models.types import utcnow
from companion.services.access import accessible_profiles, find_access

from .cast import delegate, email_of, make_delegation, own_profile_id, registered
from .documents_support import PDF, doc_id, upload


@pytest.fixture
def caregiver(app, ctx):
    louis = registered(app, "louis")
    sophie = registered(app, "sophie")
    pid = own_profile_id(ctx, "louis")
    delegate(ctx, pid, "sophie", "documents:read agenda")
    return louis, sophie, pid


def _chain_is_free(app, chain: str) -> bool:
    """Whether another connection could move this chain's head right now, without waiting."""
    with app.app_context():
        url = db.engine.url
    other = create_engine(url, connect_args={"timeout": 0} if url.get_backend_name() == "sqlite" else {})
    try:
        with other.connect() as conn:
            if url.get_backend_name() == "sqlite":  # the request's writes hold the database's write lock
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.execute(text("SET lock_timeout = '50ms'"))
                conn.execute(text("SELECT seq FROM audit_chains WHERE chain = :c FOR UPDATE"), {"c": chain})
            conn.rollback()
        return True
    except Exception:  # locked: the rendering request holds it
        return False
    finally:
        other.dispose()


@pytest.mark.parametrize("page", ["documents", "agenda"])
def test_a_caregivers_view_holds_no_chain_while_its_page_is_made(app, ctx, caregiver, page):
    _louis, sophie, pid = caregiver
    sophie.get(f"/p/{pid}/{page}")  # the chain exists: its head row is what an append locks
    free = []

    def check(sender, template, context, **extra):
        free.append(_chain_is_free(app, f"p:{pid}"))

    before_render_template.connect(check, app)
    try:
        assert sophie.get(f"/p/{pid}/{page}").status_code == 200
    finally:
        before_render_template.disconnect(check, app)
    assert free and all(free)
    with ctx():
        logged = db.session.scalars(select(AccessEvent.action).where(AccessEvent.profile_id == pid)).all()
    assert len([a for a in logged if a.startswith(("document.list", "agenda"))]) == 2  # still both logged


def test_a_caregivers_document_page_is_logged_after_it_is_made(app, ctx, caregiver):
    louis, sophie, pid = caregiver
    doc = doc_id(upload(louis, pid, PDF, title="Bilan"))
    free = []

    def check(sender, template, context, **extra):
        free.append(_chain_is_free(app, f"p:{pid}"))

    sophie.get(f"/p/{pid}/documents")  # the chain exists
    before_render_template.connect(check, app)
    try:
        assert sophie.get(f"/p/{pid}/documents/{doc}").status_code == 200
    finally:
        before_render_template.disconnect(check, app)
    assert free and all(free)
    with ctx():
        assert db.session.scalar(select(AccessEvent.object_label).where(
            AccessEvent.action == "document.view")) == "Bilan"


def test_one_access_a_profile_the_delegation_that_ends_last(app, ctx, caregiver):
    _louis, _sophie, pid = caregiver
    with ctx():
        sophie = db.session.scalar(select(User).where(User.email == email_of("sophie")))
        make_delegation(pid, sophie, "documents:read documents:write agenda",
                        expires_at=utcnow() + timedelta(days=300))
        db.session.commit()
        reached = accessible_profiles(sophie)
        assert [a.profile.id for a in reached].count(pid) == 1
        mine = next(a for a in reached if a.profile.id == pid)
        assert mine.allows("documents:write")  # the later-ending one, as find_access chooses it
        assert find_access(sophie, pid).delegation.id == find_access(sophie, pid, among=reached).delegation.id
