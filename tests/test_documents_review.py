"""Security review of the documents area: reads on write pages are logged, dedupe hides nothing,
bounded years, purge order, search terms out of URLs."""

import pytest
from sqlalchemy import select

from companion.demo.documents import make_pdf
from companion.extensions import db
from companion.models.audit import AccessEvent
from companion.models.document import Document

from .documents_support import (  # noqa: F401
    PDF,
    _empty_document_store,
    delegate,
    signed_in,
    upload,
)


@pytest.fixture
def owner(web, ctx):
    return signed_in(web, ctx)


def _doc_id(resp) -> int:
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def _as_caregiver(web, ctx, owner, scopes, see_hidden=False):
    web.logout()
    web.register(email="carer@example.fr", name="Carl Aidant")
    delegate(ctx, owner, "carer@example.fr", scopes, see_hidden=see_hidden)


def _logged(ctx, owner) -> set:
    with ctx():
        events = db.session.scalars(select(AccessEvent).where(AccessEvent.profile_id == owner))
        return {(e.action, e.object_label) for e in events}


def _views(ctx, owner) -> list:
    with ctx():
        return list(db.session.scalars(select(AccessEvent.object_label).where(
            AccessEvent.profile_id == owner, AccessEvent.action == "document.view")))


def test_a_caregivers_look_at_the_edit_delete_and_trash_pages_is_in_the_owners_log(web, ctx, owner):
    doc = _doc_id(upload(web, owner, make_pdf("a"), title="Bilan rénal"))
    gone = _doc_id(upload(web, owner, make_pdf("b"), title="Vieille ordonnance"))
    web.post(f"/p/{owner}/documents/{gone}/delete", {}, from_url=f"/p/{owner}/documents/{gone}/delete")
    _as_caregiver(web, ctx, owner, "documents:read documents:write")
    assert "Bilan rénal" in web.get(f"/p/{owner}/documents/{doc}/edit").get_data(as_text=True)
    assert _views(ctx, owner) == ["Bilan rénal"]
    assert "Bilan rénal" in web.get(f"/p/{owner}/documents/{doc}/delete").get_data(as_text=True)
    assert _views(ctx, owner) == ["Bilan rénal", "Bilan rénal"]
    assert "Vieille ordonnance" in web.get(f"/p/{owner}/documents/trash").get_data(as_text=True)
    assert ("document.trash_list", "") in _logged(ctx, owner)


def test_the_trash_list_has_a_plain_words_phrase(app):
    from companion.services.audit_actions import phrase_for  # noqa: PLC0415

    with app.test_request_context():
        assert "corbeille" in str(phrase_for("document.trash_list"))  # French by default


def _state(ctx, doc_id):
    with ctx():
        doc = db.session.get(Document, doc_id)
        return doc.hidden_at is not None, doc.deleted_at is not None


def test_uploading_the_same_bytes_never_reveals_a_hidden_document(web, ctx, owner):
    doc = _doc_id(upload(web, owner, PDF, title="Compte rendu privé"))
    web.post(f"/p/{owner}/documents/{doc}/hide", {"hidden": "1"}, from_url=f"/p/{owner}/documents/{doc}")
    _as_caregiver(web, ctx, owner, "documents:read documents:write")
    for as_json in (False, True):
        resp = upload(web, owner, PDF, json=as_json)
        body = resp.get_data(as_text=True)
        assert resp.status_code == 409 and "Location" not in resp.headers
        assert "Compte rendu privé" not in body and f"/documents/{doc}" not in body
    assert _state(ctx, doc) == (True, False)


def test_a_caregiver_cannot_bring_a_document_back_from_the_trash_by_uploading_it(web, ctx, owner):
    doc = _doc_id(upload(web, owner, PDF, title="Ordonnance supprimée"))
    web.post(f"/p/{owner}/documents/{doc}/delete", {}, from_url=f"/p/{owner}/documents/{doc}/delete")
    _as_caregiver(web, ctx, owner, "documents:read documents:write", see_hidden=True)
    resp = upload(web, owner, PDF, json=True)
    assert resp.status_code == 409 and "url" not in resp.get_json()
    assert "Ordonnance supprimée" not in resp.get_data(as_text=True)
    assert _state(ctx, doc) == (False, True)


def test_a_caregiver_uploading_a_file_they_can_see_is_sent_to_it(web, ctx, owner):
    doc = _doc_id(upload(web, owner, PDF, title="Bilan partagé"))
    _as_caregiver(web, ctx, owner, "documents:read documents:write")
    assert _doc_id(upload(web, owner, PDF)) == doc


@pytest.mark.parametrize("year", ["10000", "0", "1899", "2101", "99999999999999999999", "abc"])
def test_a_year_out_of_range_shows_all_documents_with_a_plain_message(web, owner, year):
    upload(web, owner, PDF, title="Bilan annuel", care_date="2025-03-02")
    resp = web.get(f"/p/{owner}/documents?year={year}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Bilan annuel" in page
    assert "1900" in page and "2100" in page


def test_a_year_in_range_still_filters(web, owner):
    upload(web, owner, PDF, title="Bilan annuel", care_date="2025-03-02")
    assert "Bilan annuel" not in web.get(f"/p/{owner}/documents?year=2024").get_data(as_text=True)
    assert "Bilan annuel" in web.get(f"/p/{owner}/documents?year=2025").get_data(as_text=True)


def test_the_service_ignores_a_year_it_cannot_turn_into_a_date(app, web, ctx, owner):
    from companion.models.account import User  # noqa: PLC0415
    from companion.services import documents  # noqa: PLC0415
    from companion.services.access import find_access  # noqa: PLC0415

    upload(web, owner, PDF)
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == "anna@example.fr"))
        listing = documents.search(find_access(user, owner), documents.Filters(year=10000))
        assert listing.total == 1


def _old_trashed_document(app, ctx, web, owner) -> int:
    import os  # noqa: PLC0415
    from datetime import timedelta  # noqa: PLC0415

    from companion.models.types import utcnow  # noqa: PLC0415
    from companion.services import documents  # noqa: PLC0415

    doc = _doc_id(upload(web, owner, PDF, title="Ancien bilan"))
    with ctx():
        row = db.session.get(Document, doc)
        row.deleted_at = utcnow() - timedelta(days=31)
        db.session.commit()
    with app.test_request_context():
        store = documents.storage()
        old = (utcnow() - timedelta(days=31)).timestamp()
        for key in store.keys():
            os.utime(store._path(key), (old, old))
    return doc


def _readable(app, doc) -> bool:
    from companion.services import documents  # noqa: PLC0415

    with app.test_request_context():
        row = db.session.get(Document, doc)
        return row is not None and documents.read_bytes(row) == PDF


def test_a_purge_whose_commit_fails_leaves_the_document_readable(app, ctx, web, owner, monkeypatch):
    from companion.services import documents  # noqa: PLC0415

    doc = _old_trashed_document(app, ctx, web, owner)
    with app.test_request_context():
        assert documents.purge_trash()[0] == 1
        db.session.rollback()  # the commit that never happened
    assert _readable(app, doc)

    def failing_commit():
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", failing_commit)
    result = app.test_cli_runner().invoke(args=["documents", "purge-trash"])
    monkeypatch.undo()
    assert result.exit_code != 0
    with ctx():
        db.session.rollback()
    assert _readable(app, doc)
    web.post(f"/p/{owner}/documents/{doc}/restore", {}, from_url=f"/p/{owner}/documents/trash")
    assert web.get(f"/p/{owner}/documents/{doc}/file").get_data() == PDF


def test_the_purge_command_removes_the_file_once_the_rows_are_gone(app, ctx, web, owner):
    from companion.services import documents  # noqa: PLC0415

    doc = _old_trashed_document(app, ctx, web, owner)
    result = app.test_cli_runner().invoke(args=["documents", "purge-trash"])
    assert result.exit_code == 0 and "1 documents purged, 1 orphan" in result.output
    with app.test_request_context():
        assert db.session.get(Document, doc) is None and documents.storage().keys() == []


def test_hourly_housekeeping_purges_rows_then_files_on_its_next_run(app, ctx, web, owner):
    from companion.commands.housekeeping import run_once  # noqa: PLC0415
    from companion.services import documents  # noqa: PLC0415

    doc = _old_trashed_document(app, ctx, web, owner)
    with app.app_context():
        assert run_once()["documents_purged"] == 1
        assert db.session.get(Document, doc) is None
    with app.test_request_context():
        assert len(documents.storage().keys()) == 1  # kept until the rows are surely gone
    with app.app_context():
        run_once()
    with app.test_request_context():
        assert documents.storage().keys() == []


def test_a_search_keeps_its_words_out_of_the_url_and_works_without_javascript(web, ctx, owner):
    from .conftest import csrf_from  # noqa: PLC0415

    upload(web, owner, make_pdf("a"), title="Sérologie VIH", source="Labo Loire")
    upload(web, owner, make_pdf("b"), title="Radio du genou")
    base = f"/p/{owner}/documents"
    listing = web.get(base).get_data(as_text=True)
    assert 'method="post"' in listing and f'action="{base}"' in listing  # the plain HTML form
    resp = web.client.post(base, data={"q": "VIH", "csrf_token": csrf_from(listing)})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Location" not in resp.headers  # rendered here, no redirect
    assert "Sérologie VIH" in page and "Radio du genou" not in page
    assert resp.request.url.endswith(base) and "VIH" not in resp.request.url
    assert "no-store" in resp.headers["Cache-Control"]
    # A search word in the URL is not a search: the URL never carries one.
    assert "Radio du genou" in web.get(base + "?q=VIH").get_data(as_text=True)
    assert "VIH" not in str(_logged(ctx, owner))


def test_a_search_without_its_token_is_refused(web, owner):
    upload(web, owner, make_pdf("a"), title="Sérologie VIH")
    resp = web.client.post(f"/p/{owner}/documents", data={"q": "VIH"})
    assert resp.status_code == 400 and "Sérologie VIH" not in resp.get_data(as_text=True)


def test_pages_of_a_search_stay_in_the_search_with_no_words_in_links(web, owner):
    for i in range(23):
        upload(web, owner, make_pdf(f"doc {i}"), title=f"Analyse {i:02d}")
    upload(web, owner, make_pdf("other"), title="Radio du genou")
    base = f"/p/{owner}/documents"
    page1 = web.post(base, {"q": "Analyse"}, from_url=base).get_data(as_text=True)
    assert "23 documents" in page1 and "Page 1 sur 2" in page1
    assert "q=" not in page1 and 'name="page" value="2"' in page1
    page2 = web.post(base, {"q": "Analyse", "page": "2"}, from_url=base).get_data(as_text=True)
    assert "Page 2 sur 2" in page2 and "Radio du genou" not in page2 and "Analyse" in page2


def test_a_caregivers_search_is_in_the_owners_log_without_the_words(web, ctx, owner):
    upload(web, owner, make_pdf("a"), title="Sérologie VIH")
    _as_caregiver(web, ctx, owner, "documents:read")
    base = f"/p/{owner}/documents"
    assert "Sérologie VIH" in web.post(base, {"q": "VIH"}, from_url=base).get_data(as_text=True)
    logged = _logged(ctx, owner)
    assert ("document.search", "") in logged and "VIH" not in str(logged)


def _imports(module: str) -> set:
    import ast  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    views = Path(__file__).resolve().parent.parent / "companion" / "views"
    tree = ast.parse((views / f"{module}.py").read_text())
    return {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and not node.module
        for alias in node.names}


def test_the_documents_views_do_not_import_each_other():
    assert "browse" not in _imports("documents/manage")
    assert "manage" not in _imports("documents/browse")


def test_the_ins_check_is_a_service_rule():
    from types import SimpleNamespace  # noqa: PLC0415

    from companion.services import cda  # noqa: PLC0415

    profile = SimpleNamespace(ins="279035121518989", full_name="Anna Petit")
    same = SimpleNamespace(ins="279035121518989")
    other = SimpleNamespace(ins="180000000000000")
    unknown = SimpleNamespace(ins=None)
    assert cda.identity_warning(profile, same) is None
    assert "Anna Petit" in str(cda.identity_warning(profile, other))
    assert "missing" in str(cda.identity_warning(profile, unknown))
