"""The document list's pages by position (keyset, services/document_list.py): walking "Next page" shows
every document once in the list's order, also when many share a category and a date or have none,
when documents are deleted between two pages (the one that marked the place included), back with
"Previous page", inside a filter, and a deep page costs the statements of the first."""

import re
import secrets
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select, update

from companion.extensions import db
from companion.models.document import Document
from companion.models.types import utcnow

from .cast import delegate, registered, sign_up
from .statements import counted


def _add(ctx, pid: int, specs: list[tuple[str, date | None]]) -> None:
    rows = [dict(profile_id=pid, type_code="11502-2" if cls == "11" else "18748-4", class_code=cls,
                 title=f"Doc {i:03d}", care_date=day, source="", size=10, sha256=secrets.token_hex(32),
                 content_type="application/pdf", storage_key=secrets.token_hex(16), wrapped_key="-",
                 origin="upload") for i, (cls, day) in enumerate(specs)]
    with ctx():
        db.session.execute(insert(Document), rows)
        db.session.commit()


def _expected(ctx, pid: int) -> list[str]:
    """The list's order, computed here from the rows: category, newest care date first, undated
    last, then the most recently added first."""
    with ctx():
        docs = db.session.execute(select(Document.title, Document.class_code, Document.care_date, Document.id)
                                  .where(Document.profile_id == pid, Document.deleted_at.is_(None))).all()
    docs.sort(key=lambda d: (d.class_code, d.care_date is None, -(d.care_date or date.min).toordinal(),
                             -d.id))
    return [d.title for d in docs]


def _titles(html: str) -> list[str]:
    return re.findall(r'/documents/\d+">(Doc \d+)</a>', html)


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', html)
    return found and found.group(1).replace("&amp;", "&")


def _walk(web, url: str, rel: str = "next", on_page=None) -> list[list[str]]:
    pages = []
    while url:
        html = web.get(url).get_data(as_text=True)
        pages.append(_titles(html))
        if on_page:
            on_page(len(pages))
        url = _link(html, rel)
        assert len(pages) < 50, "the pages never end"
    return pages


@pytest.fixture
def owner(web, ctx):
    pid = sign_up(web, ctx)
    # Ties everywhere: 25 of one category on one day, 12 undated, 9 of another category on one day.
    _add(ctx, pid, [("11", date(2024, 5, 1))] * 25 + [("11", None)] * 12 + [("11", date(2023, 1, 2))] * 4
         + [("18", date(2022, 3, 3))] * 9)
    return pid


def test_next_page_shows_every_document_once_in_order_despite_ties_and_missing_dates(web, ctx, owner):
    pages = _walk(web, f"/p/{owner}/documents")
    assert [len(p) for p in pages] == [20, 20, 10]
    assert sum(pages, []) == _expected(ctx, owner)


def test_previous_page_goes_back_to_the_same_pages(web, ctx, owner):
    forward = _walk(web, f"/p/{owner}/documents")
    html = web.get(f"/p/{owner}/documents").get_data(as_text=True)
    last = _link(web.get(_link(html, "next")).get_data(as_text=True), "next")
    backward = _walk(web, last, rel="prev")
    assert backward == forward[::-1]


def test_documents_deleted_between_two_pages_are_neither_repeated_nor_skipped(web, ctx, owner):
    first = web.get(f"/p/{owner}/documents").get_data(as_text=True)
    shown = _titles(first)
    # Meanwhile (another device): the document that marks the place, one before it and two after it
    # go to the trash.
    after = _expected(ctx, owner)[20:22]
    with ctx():
        db.session.execute(update(Document).where(Document.title.in_([shown[-1], shown[3], *after]))
                           .values(deleted_at=utcnow()))
        db.session.commit()
    rest = _walk(web, _link(first, "next"))
    seen = shown + sum(rest, [])
    assert len(seen) == len(set(seen))
    remaining = _expected(ctx, owner)
    assert [t for t in seen if t in remaining] == remaining  # nothing skipped, in order
    assert not set(after) & set(seen)


def test_a_place_marked_by_a_document_of_another_profile_is_the_first_page(web, ctx, owner, app):
    other = sign_up(web.__class__(app.test_client()), ctx, "claire")
    _add(ctx, other, [("11", date(2020, 1, 1))])
    with ctx():
        foreign = db.session.scalar(select(Document.id).where(Document.profile_id == other))
    html = web.get(f"/p/{owner}/documents?after={foreign}").get_data(as_text=True)
    assert _titles(html) == _expected(ctx, owner)[:20]
    assert _link(html, "prev") is None and _link(html, "next")


def test_pages_stay_inside_the_filter(web, ctx, owner):
    pages = _walk(web, f"/p/{owner}/documents?class=11&year=2024")
    assert [len(p) for p in pages] == [20, 5]
    first = web.get(f"/p/{owner}/documents?class=11&year=2024").get_data(as_text=True)
    assert all("class=11" in u and "year=2024" in u for u in re.findall(r'rel="next" href="([^"]+)"', first))


def test_a_deep_page_costs_the_statements_of_the_first(app, web, ctx, owner):
    _add(ctx, owner, [("11", date(2000, 1, 1) + timedelta(days=i % 40)) for i in range(400)])
    costs: list[int] = []
    url = f"/p/{owner}/documents"
    while url and len(costs) < 25:
        web.get(url)
        with counted(app) as sql:
            html = web.get(url).get_data(as_text=True)
        costs.append(len(sql))
        url = _link(html, "next")
    # The first page reads no marking document: one statement fewer.
    assert len(costs) == 23 and set(costs[1:]) == {costs[0] + 1}, costs


def test_the_count_stops_at_a_thousand_so_it_does_not_grow_with_the_data(web, ctx, owner):
    url = f"/p/{owner}/documents"
    assert "50 documents" in web.get(url).get_data(as_text=True)
    _add(ctx, owner, [("11", date(2001, 1, 1))] * 950)
    assert "1000 documents" in web.get(url).get_data(as_text=True)
    _add(ctx, owner, [("18", None)] * 5)
    html = web.get(url).get_data(as_text=True)
    assert re.search(r'role="status">Plus de 1\W000 documents<', html), html[:3000]
    assert len(_titles(html)) == 20


def test_a_document_hidden_from_a_caregiver_does_not_mark_a_place_for_her(app, web, ctx, owner):
    sophie = registered(app, "sophie")
    delegate(ctx, owner, "sophie", "documents:read")
    order = _expected(ctx, owner)
    with ctx():  # the owner hides a document in the middle of the list
        hidden = db.session.scalar(select(Document.id).where(Document.title == order[30]))
        db.session.execute(update(Document).where(Document.id == hidden).values(hidden_at=utcnow()))
        db.session.commit()
    probe = sophie.get(f"/p/{owner}/documents?after={hidden}").get_data(as_text=True)
    assert _titles(probe) == [t for t in order if t != order[30]][:20]  # the first page: nothing learnt
    assert _link(probe, "prev") is None
    assert _titles(web.get(f"/p/{owner}/documents?after={hidden}").get_data(as_text=True)) == order[31:51]


def test_a_list_that_fits_in_one_page_counts_what_it_shows(web, ctx, owner):
    """A first page that holds every match has counted them (no count statement); the others count."""
    nine = web.get(f"/p/{owner}/documents?class=18").get_data(as_text=True)
    assert 'role="status">9 documents<' in nine and len(_titles(nine)) == 9
    first = web.get(f"/p/{owner}/documents?class=11&year=2024").get_data(as_text=True)
    assert 'role="status">25 documents<' in first and len(_titles(first)) == 20
    second = web.get(_link(first, "next")).get_data(as_text=True)
    assert 'role="status">25 documents<' in second and len(_titles(second)) == 5
    _add(ctx, owner, [("18", date(2022, 3, 3))] * 11)  # exactly one page
    twenty = web.get(f"/p/{owner}/documents?class=18").get_data(as_text=True)
    assert 'role="status">20 documents<' in twenty and _link(twenty, "next") is None
    _add(ctx, owner, [("18", None)])
    more = web.get(f"/p/{owner}/documents?class=18").get_data(as_text=True)
    assert 'role="status">21 documents<' in more and len(_titles(more)) == 20
