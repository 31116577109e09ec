"""The document list of a profile: filters, search, and pages by position (keyset), never by offset.

Why keyset: an OFFSET makes the database read and drop every row before the page, so a deep page of a
10,000-document profile costs 500 times the first. Here a page starts just after (or before) a document
named in the link, `after=<id>` or `before=<id>`: its place in the order (category, care date newest
first with undated last, then id) is read from its row, and each piece of the order after that place
is one short range of the list's index (ix_documents_list_order), so every page costs about the same.
The link holds only an id, no date or word; a document deleted or changed since still marks its place
(its row is read whatever its state), so the next page neither repeats nor skips anything; one hidden
from this reader does not."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlalchemy import Integer, and_, bindparam, func, or_, select, union_all
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models.document import Document, fold
from ..pg_plans import PLAN_ONCE
from . import document_types
from .access import Access
from .documents import visible_clause, visible_where

YEARS = (1900, 2100)  # the years a filter may ask for: date() fails past 9999
PAGE_SIZE = 20
# The list says how many documents there are up to this many, then "more than": counting every one of
# a 10,000-document profile on each page would be the one cost that grows with the data.
COUNT_UP_TO = 1000


@dataclass
class Filters:
    q: str = ""
    class_code: str = ""
    type_code: str = ""
    year: int | None = None
    after: int | None = None  # the page starts just after this document (in the list's order)
    before: int | None = None  # the page ends just before it (the "Previous page" link)
    per_page: int = PAGE_SIZE


@dataclass
class Listing:
    documents: Sequence[Document]
    total: int  # at most COUNT_UP_TO + 1
    years: list
    older: int | None = None  # pass as `after=` for the next page
    newer: int | None = None  # pass as `before=` for the previous page

    @property
    def more_than(self) -> int | None:
        """COUNT_UP_TO when there are more documents than that (the count stopped there)."""
        return COUNT_UP_TO if self.total > COUNT_UP_TO else None


def _matching(access: Access, filters: Filters) -> list:
    where = visible_clause(access)
    if filters.q:
        # Accents and case do not count ("echographie" finds "Échographie"); % and _ are literal.
        words = fold(filters.q.strip()[:100]).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        codes = document_types.codes_matching(filters.q.strip())
        where.append(or_(Document.search_text.like(f"%{words}%", escape="\\"), Document.type_code.in_(codes)))
    if filters.class_code:
        where.append(Document.class_code == filters.class_code)
    if filters.type_code:
        where.append(Document.type_code == filters.type_code)
    year_col = func.coalesce(Document.care_date, func.date(Document.created_at))
    if filters.year and YEARS[0] <= filters.year <= YEARS[1]:
        where.append(year_col.between(date(filters.year, 1, 1), date(filters.year, 12, 31)))
    return where


def _order(doc, forward: bool) -> list:
    if forward:
        return [doc.class_code, doc.care_date.desc().nulls_last(), doc.id.desc()]
    return [doc.class_code.desc(), doc.care_date.asc().nulls_first(), doc.id.asc()]


def _pieces(mark: tuple[str, date | None, int], forward: bool) -> list:
    """What comes after `mark` (or before it, backwards), as ranges that each follow the index."""
    cls, day, doc_id = mark
    same = Document.class_code == cls
    if forward:
        if day is None:
            return [and_(same, Document.care_date.is_(None), Document.id < doc_id), Document.class_code > cls]
        return [and_(same, Document.care_date == day, Document.id < doc_id),
                and_(same, Document.care_date < day), and_(same, Document.care_date.is_(None)),
                Document.class_code > cls]
    if day is None:
        return [and_(same, Document.care_date.is_(None), Document.id > doc_id),
                and_(same, Document.care_date.is_not(None)), Document.class_code < cls]
    return [and_(same, Document.care_date == day, Document.id > doc_id),
            and_(same, Document.care_date > day), Document.class_code < cls]


def _rows(access: Access, where: list, anchor: int | None, forward: bool,
          size: int) -> tuple[list[Document], bool]:
    """Up to `size` documents from the anchor on, in the list's order when `forward`, reversed otherwise,
    and whether the anchor marked a place (else they are the list's first)."""
    mark = None
    if anchor is not None:
        # A document deleted since still marks its place; one hidden from this reader does not (its
        # place would tell its category and date): the list starts again from the top.
        hidden_ok = [] if access.see_hidden else [Document.hidden_at.is_(None)]
        mark = db.session.execute(select(Document.class_code, Document.care_date, Document.id).where(
            Document.profile_id == access.profile.id, Document.id == anchor, *hidden_ok)).first()
    if mark is None:
        query = select(Document).where(*where).order_by(*_order(Document, forward)).limit(size)
        return list(db.session.scalars(query)), False
    # One short range per piece, each read in the index's order and cut at `size`, then merged.
    parts = [select(Document).where(*where, piece).order_by(*_order(Document, forward)).limit(size).subquery()
             for piece in _pieces((mark[0], mark[1], mark[2]), forward)]
    merged = union_all(*(select(part) for part in parts)).subquery()
    doc = aliased(Document, merged)
    return list(db.session.scalars(select(doc).order_by(*_order(doc, forward)).limit(size))), True


def search(access: Access, filters: Filters) -> Listing:
    where = _matching(access, filters)
    size = filters.per_page
    forward = filters.before is None or filters.after is not None
    docs, anchored = _rows(access, where, filters.after if forward else filters.before, forward, size + 1)
    more = len(docs) > size
    docs = docs[:size]
    if not forward:
        docs.reverse()
        if not (docs and anchored):  # nothing before that document any more: the first page
            return search(access, Filters(**{**filters.__dict__, "before": None}))
    older = docs[-1].id if docs and (more if forward else True) else None
    newer = docs[0].id if docs and (anchored if forward else more) else None
    return Listing(docs, _count(where, docs, whole=forward and not anchored and not more), years(access),
                   older, newer)


def _count(where: list, docs: list[Document], whole: bool) -> int:
    """How many match, up to COUNT_UP_TO + 1. A first page that holds them all has counted them: most
    profiles fit in one page, and their list runs one statement fewer."""
    if whole:
        return len(docs)
    counted = select(Document.id).where(*where).limit(COUNT_UP_TO + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(counted)) or 0


def years(access: Access) -> list[int]:
    """The years of the profile's care dates, newest first (see _years_statement)."""
    dialect = db.session.get_bind().dialect.name
    statement = _years_statement(dialect, access.see_hidden)
    dates = db.session.scalars(statement, {"profile_id": access.profile.id}).all()
    return sorted({d.year for d in dates}, reverse=True)


@lru_cache(maxsize=4)
def _years_statement(dialect: str, see_hidden: bool):
    """One statement that jumps from one year to the one before (a recursive query, one index step per
    year) instead of reading every date. Built once per (database, hidden or not), the profile bound."""
    visible = visible_where(bindparam("profile_id", type_=Integer), see_hidden)
    found = select(func.max(Document.care_date).label("d")).where(*visible).cte("years", recursive=True)
    if dialect == "postgresql":
        year_start = func.date_trunc("year", found.c.d)
    else:
        year_start = func.date(found.c.d, "start of year")
    before = (select(func.max(Document.care_date)).where(*visible, Document.care_date < year_start)
              .correlate(found).scalar_subquery())
    found = found.union_all(select(before).where(found.c.d.is_not(None)))
    # Its plan is kept (pg_plans): one index step per year for any profile (tests/test_plans_at_scale.py).
    return select(found.c.d).where(found.c.d.is_not(None)).execution_options(**PLAN_ONCE)
