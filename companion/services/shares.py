"""Sharing with a clinician, the SMART Health Links way: the person (or a caregiver acting for them)
picks what to share, a lifetime and maybe a passcode; the package is encrypted here with a random key
that is then forgotten: it travels only in the link's fragment (never sent to a server) and, wrapped
under a key derived from the short code (PBKDF2, slow on purpose), beside the ciphertext. So the stored
row cannot be read without the link or the code; the clinician's browser decrypts (static/js/share.js).

The share shows what it held when made (a later change to the card does not reach it, and it says its
date); it ends at its expiry, at revocation, after too many wrong passcodes, and, when a caregiver made
it, as soon as she could no longer make it: her access ends, or narrows (`could_make`; services/
delegations.py calls `end_beyond` and the ending is logged). Every opening and every refused attempt is
in the owner's access log."""

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models.account import User
from ..models.agenda import AgendaItem
from ..models.delegation import Delegation
from ..models.document import Document
from ..models.profile import Profile
from ..models.share import ClinicianShare
from ..models.types import utcnow
from ..prevention import load_rules
from ..texts import lazy_gettext as _l
from . import ServiceError, audit, closing, documents, emergency_card
from .access import Access, AccessDenied
from .passwords import hash_password, verify_password

SCOPE = "documents:read"
LIFETIMES = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1), "1d": timedelta(days=1),
             "3d": timedelta(days=3), "7d": timedelta(days=7)}
MAX_DOCUMENTS = 5
MAX_BYTES = 8 * 1024 * 1024
PASSCODE_TRIES = 5
MAX_LEFT = 5  # documents a health professional may leave through one share
# The short code: Crockford's base32 (no I, L, O, U: nothing to misread), 10 characters = 50 bits.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
# Must match static/js/share.js.
KDF_SALT = b"companion-share-code"
KDF_ITERATIONS = 100_000
WRAP_AAD = b"companion-share-key"


class ShareEnded(ServiceError):
    def __init__(self):
        super().__init__(_l("This share has ended: it expired, was stopped, or the passcode was wrong too "
                            "many times. Ask the person for a new one."), 410)


@dataclass(frozen=True)
class Made:
    share: ClinicianShare
    key: bytes  # shown once, in the link's fragment
    code: str  # the short code, shown once


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def normalize_code(raw: str) -> str:
    text = (raw or "").upper().replace("-", "").replace(" ", "")
    return text.translate(str.maketrans("OIL", "011"))


def derive(code: str) -> tuple[str, bytes]:
    """(lookup, wrapping key) from a short code: what the server stores finds the row but opens nothing."""
    raw = hashlib.pbkdf2_hmac("sha256", normalize_code(code).encode(), KDF_SALT, KDF_ITERATIONS, dklen=64)
    return raw[:32].hex(), raw[32:]


def _require(access: Access) -> None:
    if not access.allows(SCOPE):
        raise AccessDenied(None, access.profile.id, SCOPE, access.role)


def _vaccinations(access: Access) -> list[dict]:
    rules = load_rules()
    rows = db.session.scalars(select(AgendaItem).where(AgendaItem.profile_id == access.profile.id,
                                                       AgendaItem.done_on.is_not(None)))
    return sorted(({"fr": rules[r.rule_id].label_fr, "en": rules[r.rule_id].label_en,
                    "date": r.done_on.isoformat()} for r in rows
                   if r.rule_id in rules and rules[r.rule_id].kind == "vaccine" and r.done_on),
                  key=lambda v: v["date"])


def _chosen(access: Access, ids: list[int]) -> list[Document]:
    """The documents chosen, each read once for the share, its summary and the owner's log."""
    if len(ids) > MAX_DOCUMENTS:
        raise ServiceError(_l("At most %(n)s documents in one share.", n=MAX_DOCUMENTS), field="documents")
    return [documents.get(access, doc_id) for doc_id in ids]


def _documents(docs: list[Document]) -> list[dict]:
    out, total = [], 0
    for doc in docs:
        view = documents.open_view(doc)  # without anything in it that could act
        total += len(view.data)
        if total > MAX_BYTES:
            raise ServiceError(_l("These documents are too large to share together: choose fewer."),
                               field="documents")
        out.append({"title": doc.title, "date": doc.care_date.isoformat() if doc.care_date else "",
                    "content_type": view.content_type, "data": base64.b64encode(view.data).decode()})
    return out


def package(access: Access, *, card: bool, docs: list[Document], vaccinations: bool,
            now: datetime, expires_at: datetime) -> dict:
    profile = access.profile
    return {"v": 1, "made_at": now.isoformat(timespec="seconds"),
            "expires_at": expires_at.isoformat(timespec="seconds"), "name": profile.full_name,
            "birth_date": profile.birth_date.isoformat() if profile.birth_date else "",
            "card": emergency_card.snapshot(profile, emergency_card.get(access)) if card else None,
            "documents": _documents(docs),
            "vaccinations": _vaccinations(access) if vaccinations and access.allows("agenda") else []}


def create(access: Access, actor: User, *, card: bool, document_ids: list[int], vaccinations: bool,
           lifetime: str, passcode: str = "", cost: tuple[int, int] = (3, 65536),
           now: datetime | None = None) -> Made:
    _require(access)
    closing.refuse_if_closing(access.profile)
    now = now or utcnow()
    if lifetime not in LIFETIMES:
        raise ServiceError(_l("Choose how long the share lasts."), field="lifetime")
    if not (card or document_ids or vaccinations):
        raise ServiceError(_l("Choose at least one thing to share."), field="card")
    passcode = (passcode or "").strip()
    if passcode and not 4 <= len(passcode) <= 40:
        raise ServiceError(_l("The passcode needs 4 to 40 characters."), field="passcode")
    expires_at = now + LIFETIMES[lifetime]
    docs = _chosen(access, document_ids)
    data = package(access, card=card, docs=docs, vaccinations=vaccinations, now=now, expires_at=expires_at)
    key, public_id = AESGCM.generate_key(256), b64url(os.urandom(16))
    nonce = os.urandom(12)
    body = nonce + AESGCM(key).encrypt(nonce, json.dumps(data).encode(), public_id.encode())
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    lookup, wrap = derive(code)
    wrap_nonce = os.urandom(12)
    # What it needs of its maker's access is written beside it (the content itself is unreadable here).
    hidden = any(d.hidden_at for d in docs)
    parts = ("card" if card else "", f"documents:{len(document_ids)}" if document_ids else "",
             "vaccinations" if data["vaccinations"] else "", "hidden" if hidden else "")
    summary = " ".join(p for p in parts if p)
    share = ClinicianShare(
        public_id=public_id, code_lookup=lookup, ciphertext=body, profile_id=access.profile.id,
        code_wrapped_key=wrap_nonce + AESGCM(wrap).encrypt(wrap_nonce, key, WRAP_AAD),
        created_by_id=actor.id, delegation_id=access.delegation.id if access.delegation else None,
        summary=summary, passcode_hash=hash_password(passcode, cost) if passcode else None,
        tries_left=PASSCODE_TRIES, created_at=now, expires_at=expires_at)
    db.session.add(share)
    db.session.flush()
    audit.record_access(access, actor, "share.created", object_type="share", object_id=share.id)
    _log_contents(access, actor, card, docs, bool(data["vaccinations"]))
    return Made(share, key, f"{code[:5]}-{code[5:]}")


def _log_contents(access: Access, actor: User, card: bool, docs: list[Document],
                  vaccinations: bool) -> None:
    """A caregiver's share carries whole documents she may never have opened here: the owner's log names
    each one (and the card, the vaccinations), not only that a share was made."""
    if card:
        audit.record_access(access, actor, "share.card_put")
    for doc in docs:
        audit.record_access(access, actor, "share.document_put", object_type="document", object_id=doc.id,
                            object_label=doc.title)
    if vaccinations:
        audit.record_access(access, actor, "share.vaccinations_put")


def could_make(share: ClinicianShare, delegation: Delegation | None, now: datetime) -> bool:
    """Whether a caregiver's access (as it is now) would still let her make this share: an active
    delegation reading documents, with the agenda if it holds vaccinations, with the hidden documents if
    it holds one of them. A share made by an owner is not tied to any delegation."""
    if share.delegation_id is None:
        return True
    if delegation is None or not delegation.is_active(now):
        return False
    held, scopes = share.summary.split(), delegation.granted_scopes
    return (SCOPE in scopes and ("vaccinations" not in held or "agenda" in scopes)
            and ("hidden" not in held or delegation.see_hidden))


def is_active(share: ClinicianShare, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if share.revoked_at is not None or share.expires_at <= now or share.tries_left <= 0:
        return False
    delegation = db.session.get(Delegation, share.delegation_id) if share.delegation_id else None
    return could_make(share, delegation, now)


def end_beyond(delegation: Delegation, actor: User | None, role: str, now: datetime) -> int:
    """End (and log) the running shares made through this delegation that its maker could no longer make
    (called after the delegation ended, expired or narrowed). Returns how many ended."""
    running = db.session.scalars(select(ClinicianShare).where(
        ClinicianShare.delegation_id == delegation.id, ClinicianShare.revoked_at.is_(None),
        ClinicianShare.expires_at > now, ClinicianShare.tries_left > 0)).all()
    ended = 0
    for share in running:
        if could_make(share, delegation, now):
            continue
        share.revoked_at = now
        audit.record(actor=actor, actor_role=role, action="share.ended_with_access",
                     profile_id=share.profile_id, object_type="share", object_id=share.id,
                     object_label=share.created_at.strftime("%Y-%m-%d %H:%M UTC"), at=now)
        ended += 1
    db.session.flush()
    return ended


def end_made_by(profile_id: int, maker_ids, now: datetime) -> int:
    """End (and log) the running shares of this profile that these accounts made as its owners: a teen's
    parents once the teen decides what they see, or at majority (services/family_stages.py)."""
    running = db.session.scalars(select(ClinicianShare).where(
        ClinicianShare.profile_id == profile_id, ClinicianShare.created_by_id.in_(list(maker_ids)),
        ClinicianShare.delegation_id.is_(None), ClinicianShare.revoked_at.is_(None),
        ClinicianShare.expires_at > now)).all()
    for share in running:
        share.revoked_at = now
        audit.record(actor=None, actor_role="system", action="share.ended_with_access",
                     profile_id=share.profile_id, object_type="share", object_id=share.id,
                     object_label=share.created_at.strftime("%Y-%m-%d %H:%M UTC"), at=now)
    db.session.flush()
    return len(running)


def carry_into(profile_id: int, maker_id: int, delegation_id: int) -> None:
    """The running shares a former owner made now hang on the delegation that owner keeps (a dependent
    adult's manager, once the adult took the profile back): they end when that help ends, like hers."""
    db.session.execute(update(ClinicianShare).where(
        ClinicianShare.profile_id == profile_id, ClinicianShare.created_by_id == maker_id,
        ClinicianShare.delegation_id.is_(None), ClinicianShare.revoked_at.is_(None))
        .values(delegation_id=delegation_id).execution_options(synchronize_session=False))


def _visible(access: Access, actor: User):
    """The owners see every share of the profile; a caregiver those she made through her access; a
    parent of a teen with their own login (access narrowed, no delegation) those she made herself."""
    _require(access)
    query = select(ClinicianShare).where(ClinicianShare.profile_id == access.profile.id)
    if access.delegation is not None:
        return query.where(ClinicianShare.delegation_id == access.delegation.id)
    if not access.is_owner:
        return query.where(ClinicianShare.delegation_id.is_(None), ClinicianShare.created_by_id == actor.id)
    return query


def listed(access: Access, actor: User) -> list[ClinicianShare]:
    """The 50 newest shares this reader sees (_visible)."""
    query = _visible(access, actor).order_by(ClinicianShare.created_at.desc()).limit(50)
    return list(db.session.scalars(query))


def get(access: Access, actor: User, share_id: int) -> ClinicianShare:
    """One share this reader sees, however old (not looked for among the 50 newest only)."""
    share = db.session.scalar(_visible(access, actor).where(ClinicianShare.id == share_id))
    if share is None:
        raise ServiceError(_l("This share does not exist."), 404)
    return share


def revoke(access: Access, actor: User, share: ClinicianShare, now: datetime | None = None) -> None:
    if share.revoked_at is None:
        share.revoked_at = now or utcnow()
        audit.record_access(access, actor, "share.revoked", object_type="share", object_id=share.id)
        db.session.flush()


def _log(share: ClinicianShare, action: str) -> None:
    audit.record(actor=None, actor_role="clinician", action=action, profile_id=share.profile_id,
                 object_type="share", object_id=share.id,
                 object_label=share.created_at.strftime("%Y-%m-%d %H:%M UTC"))


def find(public_id: str) -> ClinicianShare | None:
    share = db.session.scalar(select(ClinicianShare).where(ClinicianShare.public_id == str(public_id)[:32]))
    # The index found it; compare in constant time anyway, so the answer's time says nothing more.
    return share if share is not None and hmac.compare_digest(share.public_id, str(public_id)) else None


def open_package(public_id: str, passcode: str | None, *, cost: tuple[int, int] = (3, 65536),
                 now: datetime | None = None) -> bytes:
    """The encrypted package for the clinician's browser. Raises ShareEnded (410), a 404 for an unknown
    link, or a 401 ServiceError (details: tries_left, passcode: True) for a missing or wrong passcode."""
    share = _usable(public_id, passcode, cost, now)
    _add(share, "openings", 1)
    _log(share, "share.opened")
    return share.ciphertext


def _add(share: ClinicianShare, column: str, step: int, *only_if) -> int | None:
    """Add `step` to one of the share's counters in the database, in one statement (so requests sent at
    the same instant cannot all read the same value and write back the same result), and only if the row
    still meets `only_if`. Returns the new value, or None when the row no longer met it. On PostgreSQL
    the row stays locked to this request's transaction until it ends; on SQLite the whole database is."""
    counter = getattr(ClinicianShare, column)
    value = db.session.execute(
        update(ClinicianShare).where(ClinicianShare.id == share.id, *only_if)
        .values({counter: counter + step}).returning(counter)
        .execution_options(synchronize_session=False)).scalar_one_or_none()
    if value is not None:
        set_committed_value(share, column, value)  # what the row now holds, not a change to write back
    return value


def _usable(public_id: str, passcode: str | None, cost: tuple[int, int],
            now: datetime | None) -> ClinicianShare:
    """The active share this link names, once its passcode (if any) is given right; each wrong try counts."""
    share = find(public_id)
    if share is None:
        raise ServiceError(_l("This share does not exist. Check the link or the code."), 404)
    if not is_active(share, now):
        _log(share, "share.refused")
        raise ShareEnded()
    if share.passcode_hash:
        if not passcode:
            raise ServiceError(_l("Type the passcode the person gave you."), 401,
                               details={"passcode": True, "tries_left": share.tries_left})
        # The try is spent before the passcode is checked: of wrong passcodes sent at the same instant,
        # no more are checked than there are tries; the others find the share locked.
        left = _add(share, "tries_left", -1, ClinicianShare.tries_left > 0)
        if left is None:
            _log(share, "share.refused")  # locked meanwhile: this passcode is not checked
            raise ShareEnded()
        if not verify_password(share.passcode_hash, passcode, cost):
            _log(share, "share.passcode_refused" if left > 0 else "share.locked")
            if left <= 0:
                raise ShareEnded()
            raise ServiceError(_l("This passcode is not the right one. Tries left: %(n)s.", n=left), 401,
                               details={"passcode": True, "tries_left": left})
        _add(share, "tries_left", 1)  # the right passcode spends no try
    return share


def leave_document(public_id: str, passcode: str | None, data: bytes, title: str, source, *,
                   cost: tuple[int, int] = (3, 65536), now: datetime | None = None) -> None:
    """A document the health professional leaves back (a letter, a prescription): it lands in the
    profile's documents, marked as from a health professional, to check (`source(locale)` words it in the
    language of whoever made the share); at most a few."""
    # The profile before the share, as the document's insert would take it (its foreign key): a teen or an
    # adult taking the profile over holds it, then ends or moves its shares. Taken after the share, each
    # waited on the other (PostgreSQL aborts one; SQLite has one writer and no such lock).
    shared = select(ClinicianShare.profile_id).where(ClinicianShare.public_id == str(public_id)[:32])
    db.session.execute(select(Profile.id).where(Profile.id == shared.scalar_subquery())
                       .with_for_update(key_share=True))
    share = _usable(public_id, passcode, cost, now)
    # The place is taken before the document is added (given back with the rest if the request fails):
    # documents left at the same instant cannot all find one place free.
    if _add(share, "documents_left", 1, ClinicianShare.documents_left < MAX_LEFT) is None:
        raise ServiceError(_l("This share already received %(n)s documents.", n=MAX_LEFT), 409, field="file")
    if not documents.clean_title(title):
        raise ServiceError(_l("Give the document a name."), field="title")
    profile = db.session.get_one(Profile, share.profile_id)  # the share is deleted with its profile
    maker = db.session.get(User, share.created_by_id) if share.created_by_id else None
    words = source(getattr(maker, "locale", None) or "fr")
    doc = documents.add(Access(profile, "clinician", frozenset()), None, data, title=title, source=words,
                        origin="shared", now=now).document
    audit.record(actor=None, actor_role="clinician", action="share.document_left",
                 profile_id=share.profile_id, object_type="document", object_id=doc.id,
                 object_label=doc.title)


def by_code(lookup: str) -> tuple[str, bytes]:
    """(public id, wrapped key) of the active share whose short code derives this lookup; 404 otherwise."""
    share = db.session.scalar(select(ClinicianShare).where(ClinicianShare.code_lookup == str(lookup)[:64]))
    if share is None or not hmac.compare_digest(share.code_lookup, str(lookup)) or not is_active(share):
        raise ServiceError(_l("No share has this code, or it has ended."), 404)
    return share.public_id, share.code_wrapped_key

