"""The emergency card: read and edit a profile's card, its plain snapshot (what the page, a share and
the printed card show); its International Patient Summary shape is services/ips.py.

Owners edit; caregivers whose access includes reading documents read it (the card is health data of the
same kind). The route guard checks the scope; these functions check it again, so no caller can skip it."""

from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models.account import User
from ..models.document import Document
from ..models.emergency import EmergencyCard
from ..models.profile import Profile
from ..models.types import utcnow
from ..texts import lazy_gettext as _l
from . import ServiceError, audit, documents
from .access import Access, AccessDenied

READ_SCOPE = "documents:read"
WRITE_SCOPE = "documents:write"  # marking the current prescription: owners, and caregivers who add documents
LIST_FIELDS = ("allergies", "treatments", "conditions", "devices", "contacts")
TEXT_FIELDS = ("directives", "notes")
LINE_FIELDS = ("languages", "gp")
BLOOD_GROUPS = ("A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-")
MAX_LINES = 20
MAX_LINE = 200
MAX_TEXT = 1000


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _clean_list(field: str, raw: str | None) -> str:
    items = lines(raw or "")
    if len(items) > MAX_LINES or any(len(i) > MAX_LINE for i in items):
        raise ServiceError(_l("At most %(n)s lines of %(c)s characters each.", n=MAX_LINES, c=MAX_LINE),
                           field=field)
    return "\n".join(items)


def _clean_text(field: str, raw: str | None, limit: int) -> str:
    text = (raw or "").strip()
    if len(text) > limit:
        raise ServiceError(_l("At most %(c)s characters.", c=limit), field=field)
    return text


def _require(access: Access, scope: str) -> None:
    if not access.allows(scope):
        raise AccessDenied(None, access.profile.id, scope, access.role)


def get(access: Access) -> EmergencyCard | None:
    _require(access, READ_SCOPE)
    return db.session.get(EmergencyCard, access.profile.id)


def update(access: Access, actor: User, *, blood_group: str = "", now: datetime | None = None,
           **fields: str | None) -> EmergencyCard:
    """Replace the card with these fields; nothing is written if one of them is refused."""
    _require(access, "manage")
    if (blood_group or "") not in ("", *BLOOD_GROUPS):
        raise ServiceError(_l("Choose a blood group from the list."), field="blood_group")
    values = {f: _clean_list(f, fields.get(f)) for f in LIST_FIELDS}
    values |= {f: _clean_text(f, fields.get(f), MAX_TEXT) for f in TEXT_FIELDS}
    values |= {f: _clean_text(f, fields.get(f), MAX_LINE) for f in LINE_FIELDS}
    card = db.session.get(EmergencyCard, access.profile.id)
    if card is None:
        card = EmergencyCard(profile_id=access.profile.id)
        db.session.add(card)
    for name, value in values.items():
        setattr(card, name, value)
    card.blood_group = blood_group or ""
    card.updated_at, card.updated_by_id = now or utcnow(), actor.id
    audit.record_access(access, actor, "emergency.edit")
    db.session.flush()
    return card


def record_read(access: Access, actor: User, *, copy: bool, page: str = "emergency") -> None:
    """A caregiver's look at the card or the counter screen (`page`), or the worker's background copy of
    it (logged as a copy: the owner knows it is on that phone, and a copy is not an opening). Each page
    its own line: the sync copies both, and the owner read two identical "copied the card" lines."""
    audit.record_access(access, actor, f"{page}.copied_offline" if copy else f"{page}.view")


def set_counter(access: Access, actor: User, doc: Document | None, renewal_on: date | None, *,
                today: date, now: datetime | None = None) -> EmergencyCard:
    """Mark the current prescription (a document this access sees) and its renewal date."""
    _require(access, WRITE_SCOPE)
    if renewal_on is not None and not (today - timedelta(days=366) <= renewal_on
                                       <= today + timedelta(days=732)):
        raise ServiceError(_l("Enter a real renewal date: at most one year ago, at most two years ahead."),
                           field="renewal_on")
    card = db.session.get(EmergencyCard, access.profile.id)
    if card is None:
        card = EmergencyCard(profile_id=access.profile.id, **{f: "" for f in (*LIST_FIELDS, *TEXT_FIELDS,
                                                                               *LINE_FIELDS, "blood_group")})
        db.session.add(card)
    card.prescription_id, card.renewal_on = (doc.id if doc else None), renewal_on
    card.updated_at, card.updated_by_id = now or utcnow(), actor.id
    audit.record_access(access, actor, "counter.edit", object_type="document",
                        object_id=doc.id if doc else "")
    db.session.flush()
    return card


def counter(access: Access) -> tuple[Document | None, date | None]:
    """The current prescription (if this access may still see it) and its renewal date."""
    card = get(access)
    if card is None or card.prescription_id is None:
        return None, card.renewal_on if card else None
    try:
        return documents.get(access, card.prescription_id), card.renewal_on
    except ServiceError:  # hidden from this caregiver, or in the trash
        return None, card.renewal_on


def offline_entries(accesses, *urls) -> list[dict]:
    """The pages this account's devices keep for every profile it may read the card of (each of `urls`
    gives a page from an access: the card, the counter screen): the worker fetches one again when its
    version differs from the saved copy's."""
    readable = [a for a in accesses if a.allows(READ_SCOPE)]
    if not readable:
        return []
    found = {c.profile_id: c for c in db.session.scalars(
        select(EmergencyCard).where(EmergencyCard.profile_id.in_([a.profile.id for a in readable])))}
    return [{"url": url(a), "version": version(found.get(a.profile.id))} for a in readable for url in urls]


def version(card: EmergencyCard | None) -> str:
    """Changes whenever the card changes: the offline copy is fetched again when it differs."""
    return card.updated_at.strftime("%Y%m%d%H%M%S%f") if card else "empty"


def snapshot(profile: Profile, card: EmergencyCard | None) -> dict:
    """The card as plain data (strings and lists only): for the page, a share and the printed card."""
    data: dict = {"name": profile.full_name,
                  "birth_date": profile.birth_date.isoformat() if profile.birth_date else "",
                  "updated_at": card.updated_at.isoformat() if card else ""}
    for f in LIST_FIELDS:
        data[f] = lines(getattr(card, f)) if card else []
    for f in (*TEXT_FIELDS, *LINE_FIELDS, "blood_group"):
        data[f] = getattr(card, f) if card else ""
    return data
