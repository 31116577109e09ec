"""Verifiable proofs of a delegation, a consent and a revocation (issue 17).

Each proof is a short signed statement ("Sophie Bernard may act for Louis Bernard - documents, agenda -
until 29 May 2027"): names, scopes, dates and a random id, never health data. It is signed with Ed25519
(services/proof_keys.py), printed as a one-page PDF whose QR code holds the verifier's address with the
statement after `#` (a fragment: a phone opening it sends nothing of it to the server), and filed in
both people's documents, encrypted at rest like any document (services/documents.py).

The text a QR code holds: `CP1.<key id>.<payload, base64url>.<signature, base64url>`; the payload is
compact JSON (v, k: kind, n: proof id, p: person, c: caregiver, s: scopes, f: from, u: until, i: issued).
The verifier page checks it in the browser (static/js/verify.js) with the same rules as `read` here."""

import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import exists, select

from ..extensions import db
from ..models.account import User
from ..models.delegation import SCOPES, Delegation, DelegationState
from ..models.profile import Profile, ProfileOwner
from ..models.proof import KINDS, Proof
from ..models.types import utcnow
from ..texts import lazy_gettext as _l
from . import ServiceError, audit, document_types, documents, proof_keys, proof_pdf
from .access import OWNER_SCOPES, Access

PREFIX = "CP1"
FIELDS = ("v", "k", "n", "p", "c", "s", "f", "u", "i")
MAX_TEXT = 2000  # a pasted statement longer than this is not one of ours


class ProofRefused(ServiceError):
    """A statement the verifier refuses; `reason` is one of: format, unknown_key, bad_signature."""

    def __init__(self, reason: str, message):
        super().__init__(message, 400)
        self.reason = reason


@dataclass(frozen=True)
class Statement:
    kind: str
    proof_id: str
    person: str
    caregiver: str
    scopes: tuple[str, ...]
    start: date
    until: date
    issued: datetime

    def payload(self) -> bytes:
        data = {"v": 1, "k": self.kind, "n": self.proof_id, "p": self.person, "c": self.caregiver,
                "s": list(self.scopes), "f": self.start.isoformat(), "u": self.until.isoformat(),
                "i": self.issued.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def sign(stmt: Statement) -> str:
    payload = stmt.payload()
    return ".".join((PREFIX, proof_keys.current_id(), proof_keys.b64url(payload),
                     proof_keys.b64url(proof_keys.sign(payload))))


def verifier_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_ORIGIN'].rstrip('/')}/verify#{token}"


_FORMAT = _l("This is not a Companion proof, or part of it is missing. Scan the code again or copy all "
             "of the text.")


def read(text: str) -> Statement:
    """The statement a QR code or a pasted text holds, once its signature is checked; ProofRefused else."""
    token = (text or "").strip()[:MAX_TEXT]
    token = token.split("#", 1)[1] if "#" in token else token
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != PREFIX:
        raise ProofRefused("format", _FORMAT)
    try:
        payload, signature = proof_keys.unb64url(parts[2]), proof_keys.unb64url(parts[3])
    except ValueError:
        raise ProofRefused("format", _FORMAT) from None
    valid = proof_keys.verify(parts[1], payload, signature) if len(signature) == 64 else False
    if valid is None:
        raise ProofRefused("unknown_key", _l("This proof was signed with a key Companion does not publish. "
                                             "Do not trust it."))
    if not valid:
        raise ProofRefused("bad_signature", _l("The signature does not match: this proof was changed or "
                                               "forged. Do not trust it."))
    return _parse(payload)


def _parse(payload: bytes) -> Statement:
    try:
        data = json.loads(payload)
        assert isinstance(data, dict) and set(data) == set(FIELDS) and data["v"] == 1 and data["k"] in KINDS
        assert all(s in SCOPES for s in data["s"])
        return Statement(data["k"], data["n"], data["p"], data["c"], tuple(data["s"]),
                         date.fromisoformat(data["f"]), date.fromisoformat(data["u"]),
                         datetime.fromisoformat(data["i"].replace("Z", "+00:00")))
    except (ValueError, TypeError, KeyError, AssertionError):
        raise ProofRefused("format", _FORMAT) from None


# --- words ------------------------------------------------------------------------------------------

SCOPE_WORDS = {"documents:read": _l("see the documents"), "documents:write": _l("add documents"),
               "agenda": _l("the prevention agenda")}
TITLES = {"delegation": _l("Proof: %(caregiver)s may act for %(person)s"),
          "consent": _l("Proof: %(person)s agrees that %(caregiver)s acts for them"),
          "revocation": _l("Proof: %(caregiver)s no longer acts for %(person)s")}
SENTENCES = {"delegation": _l("%(caregiver)s may act for %(person)s — %(scopes)s — until %(until)s."),
             "consent": _l("%(person)s agrees that %(caregiver)s acts for them — %(scopes)s — "
                           "until %(until)s."),
             "revocation": _l("%(caregiver)s can no longer act for %(person)s since %(until)s.")}


def sentence(stmt: Statement, locale: str) -> str:
    from babel.dates import format_date

    scopes = ", ".join(str(SCOPE_WORDS[s]) for s in stmt.scopes)
    return str(SENTENCES[stmt.kind]) % {"caregiver": stmt.caregiver, "person": stmt.person, "scopes": scopes,
                                        "until": format_date(stmt.until, "long", locale=locale)}


# --- issuing ----------------------------------------------------------------------------------------

def _day(moment: datetime, tz: str | None) -> date:
    """The day where the owner who gave the access lives: an access "until 29 May" chosen in Cayenne
    ends at midnight in Cayenne, which is 30 May in Paris."""
    return moment.astimezone(ZoneInfo(tz or current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def issue(kind: str, d: Delegation, *, now: datetime | None = None) -> Proof | None:
    """Sign a proof of what just happened to an accepted delegation and file it in both people's
    documents. An invitation nobody accepted has no caregiver yet: it gets none."""
    if kind not in KINDS or d.caregiver_id is None or d.accepted_at is None:
        return None
    now = now or utcnow()
    profile = db.session.get(Profile, d.profile_id)
    caregiver = db.session.get(User, d.caregiver_id)
    assert profile is not None and caregiver is not None, "foreign keys"
    until = d.revoked_at if kind == "revocation" and d.revoked_at else d.expires_at
    granter = db.session.get(User, d.granted_by_id) if d.granted_by_id else None
    tz = granter.timezone if granter else None
    stmt = Statement(kind, proof_keys.b64url(secrets.token_bytes(12)), profile.full_name,
                     caregiver.display_name, tuple(s for s in SCOPES if s in d.scope_set),
                     _day(d.accepted_at, tz), _day(until, tz), now.replace(microsecond=0))
    token = sign(stmt)
    proof = Proof(token=stmt.proof_id, kind=kind, profile_id=profile.id, delegation_id=d.id,
                  statement=token, key_id=proof_keys.current_id(), created_at=now)
    db.session.add(proof)
    db.session.flush()
    owner_locale = db.session.scalar(select(User.locale).join(ProfileOwner, ProfileOwner.user_id == User.id)
                                     .where(ProfileOwner.profile_id == profile.id).order_by(ProfileOwner.id)
                                     .limit(1))
    qr_image = proof_pdf.qr(verifier_url(token))
    _file(profile, owner_locale or "fr", stmt, token, qr_image, now, tz)
    own = db.session.scalar(select(Profile).where(Profile.user_id == caregiver.id))
    if own is not None and own.id != profile.id:
        _file(own, caregiver.locale or "fr", stmt, token, qr_image, now, caregiver.timezone)
    return proof


def _file(profile: Profile, locale: str, stmt: Statement, token: str, qr_image: bytes, now: datetime,
          tz: str | None) -> None:
    with force_locale(locale):
        title = str(TITLES[stmt.kind]) % {"caregiver": stmt.caregiver, "person": stmt.person}
        pdf = proof_pdf.render(title, sentence(stmt, locale), stmt, token, verifier_url(token), locale,
                               qr_image)
    added = documents.add(Access(profile, "owner", OWNER_SCOPES), None, pdf, title=title,
                          type_code=document_types.OTHER, care_date=_day(now, tz), source="Companion",
                          origin="proof", now=now)
    audit.record(actor=None, actor_role="system", action="proof.filed", profile_id=profile.id,
                 object_type="document", object_id=added.document.id, object_label=title, at=now)


def status(proof_id: str, now: datetime | None = None) -> str | None:
    """Whether what a proof names still holds: active, replaced, ended or expired (None: no such proof).
    Nothing else: the statement already says who, what and until when. "Replaced": the access runs, but
    changed since (fewer scopes, an earlier end): an old proof shown at a counter must not pass for it."""
    proof = db.session.scalar(select(Proof).where(Proof.token == (proof_id or "")[:32]))
    if proof is None:
        return None
    d = db.session.get(Delegation, proof.delegation_id) if proof.delegation_id else None
    state = d.state(now or utcnow()) if d is not None else DelegationState.ENDED
    if state == DelegationState.ACTIVE and db.session.scalar(select(exists().where(
            Proof.delegation_id == proof.delegation_id, Proof.id > proof.id))):
        return "replaced"
    return {DelegationState.ACTIVE: "active", DelegationState.EXPIRED: "expired"}.get(state, "ended")
