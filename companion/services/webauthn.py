"""Security keys and passkeys through py_webauthn, behind one service.

The seam for tests: the relying party (RP ID, origin) is a parameter, and every challenge comes from
`challenge_source()`, which a test may replace to replay payloads recorded with a fixed challenge.
Challenges are stored hashed server-side and consumed once: a replayed cookie cannot reuse one.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, generate_challenge
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorAttachment,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialHint,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ..extensions import db
from ..models.account import User
from ..models.credential import WebAuthnChallenge, WebAuthnCredential
from ..models.types import utcnow
from ..texts import lazy_gettext as _l
from . import ServiceError, audit

log = logging.getLogger("companion.webauthn")

CHALLENGE_TTL = timedelta(minutes=5)
PURPOSES = ("register", "second", "passkey", "reauth")
KNOWN_TRANSPORTS = {t.value for t in AuthenticatorTransport}


def challenge_source() -> bytes:
    return generate_challenge()


@dataclass(frozen=True)
class RelyingParty:
    rp_id: str
    origin: str
    name: str = "Companion"


class KeyRefused(ServiceError):
    """The browser's answer was refused. `reason` is for the log only, never shown."""

    def __init__(self, message, reason: str, status: int = 400):
        super().__init__(message, status=status)
        self.reason = reason


class CounterWentBack(KeyRefused):
    """The key's counter went backwards: it may have been copied. The owner is told."""

    key: tuple[int, int, str]  # (account, key id, key name), set before it is raised


def _hash(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def user_handle(user: User) -> bytes:
    # Stable per account and free of personal data (spec: the handle must not be an e-mail or name).
    return hashlib.sha256(b"companion-webauthn-user:%d" % user.id).digest()


def credentials_of(user: User) -> list[WebAuthnCredential]:
    return list(
        db.session.scalars(
            select(WebAuthnCredential)
            .where(WebAuthnCredential.user_id == user.id)
            .order_by(WebAuthnCredential.created_at)
        )
    )


def has_key(user: User) -> bool:
    facts = getattr(user, "facts", None)  # read with the session (services/sessions.py)
    if facts is not None:
        return facts.has_key
    count = db.session.scalar(
        select(func.count()).select_from(WebAuthnCredential).where(WebAuthnCredential.user_id == user.id)
    )
    return bool(count)


def issue_challenge(purpose: str, user: User | None) -> bytes:
    # Old rows are only kept long enough to refuse a replay; past a day they go.
    db.session.execute(
        delete(WebAuthnChallenge).where(WebAuthnChallenge.expires_at < utcnow() - timedelta(days=1))
    )
    challenge = challenge_source()
    now = utcnow()
    old = db.session.scalar(
        select(WebAuthnChallenge).where(WebAuthnChallenge.challenge_hash == _hash(challenge))
    )
    if old is not None:  # only a replayed fixed test challenge can collide: start it afresh
        db.session.delete(old)
        db.session.flush()
    db.session.add(
        WebAuthnChallenge(
            challenge_hash=_hash(challenge),
            purpose=purpose,
            user_id=user.id if user else None,
            created_at=now,
            expires_at=now + CHALLENGE_TTL,
        )
    )
    db.session.flush()
    return challenge


def consume_challenge(challenge: bytes | None, purpose: str, user: User | None) -> None:
    """Accept a challenge once, for its purpose and account, before it expires."""
    row = None
    if challenge:
        row = db.session.scalar(
            select(WebAuthnChallenge)
            .where(WebAuthnChallenge.challenge_hash == _hash(challenge))
            .with_for_update()
        )
    if row is None or row.purpose != purpose or row.user_id != (user.id if user else None):
        raise KeyRefused(_l("This request has expired. Please try again."), "unknown challenge")
    if row.used_at is not None:
        raise KeyRefused(_l("This request has expired. Please try again."), "challenge reused")
    row.used_at = utcnow()
    db.session.flush()
    if row.expires_at < row.used_at:
        raise KeyRefused(_l("This request has expired. Please try again."), "challenge expired")


def burn(challenge: bytes | None) -> None:
    """Spend a challenge after a refused answer too (the refusal rolled back its first use)."""
    if challenge:
        row = db.session.scalar(
            select(WebAuthnChallenge).where(WebAuthnChallenge.challenge_hash == _hash(challenge))
        )
        if row is not None and row.used_at is None:
            row.used_at = utcnow()
            db.session.flush()


def _descriptors(creds: list[WebAuthnCredential]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=c.credential_id,
            transports=[AuthenticatorTransport(t) for t in c.transport_list if t in KNOWN_TRANSPORTS] or None,
        )
        for c in creds
    ]


def registration_options(user: User, rp: RelyingParty, *, shared_device: bool = False) -> dict:
    """Options for navigator.credentials.create(), excluding the keys the account already has.

    On a shared computer the key must leave with the person: a phone reached by QR code (hybrid) or a
    USB key, never the computer's own authenticator, which the next person at that desk would unlock."""
    attachment = AuthenticatorAttachment.CROSS_PLATFORM if shared_device else None
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=rp.name,
        user_name=user.email,
        user_id=user_handle(user),
        user_display_name=user.display_name,
        challenge=issue_challenge("register", user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            authenticator_attachment=attachment,
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(credentials_of(user)),
        hints=[PublicKeyCredentialHint.HYBRID, PublicKeyCredentialHint.SECURITY_KEY] if attachment else None,
    )
    return json.loads(options_to_json(options))


def authentication_options(rp: RelyingParty, purpose: str, user: User | None = None) -> dict:
    """Options for navigator.credentials.get(): the account's keys, or none for a passkey."""
    options = generate_authentication_options(
        rp_id=rp.rp_id,
        challenge=issue_challenge(purpose, user),
        allow_credentials=_descriptors(credentials_of(user)) if user else [],
        user_verification=(
            UserVerificationRequirement.REQUIRED
            if purpose == "passkey"
            else UserVerificationRequirement.PREFERRED
        ),
    )
    return json.loads(options_to_json(options))


def challenge_of(payload) -> bytes | None:
    """The challenge the browser signed, read from clientDataJSON (checked again by py_webauthn)."""
    try:
        client_data = json.loads(base64url_to_bytes(payload["response"]["clientDataJSON"]))
        return base64url_to_bytes(client_data["challenge"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _check_shape(payload) -> None:
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("response"), dict)
        or not isinstance(payload.get("rawId"), str)
    ):
        raise KeyRefused(
            _l("The answer of your key could not be read. Please try again."), "malformed payload"
        )


def on_this_computer(payload) -> bool:
    """Whether the browser says the key lives in the computer itself (Windows Hello, Touch ID...)."""
    transports = (payload.get("response") or {}).get("transports") or []
    return payload.get("authenticatorAttachment") == "platform" or "internal" in transports


def refuse_on_shared_computer(payload, shared_device: bool) -> None:
    """A key kept inside a shared computer would let the next person at that desk into the account.
    Browsers honour the cross-platform request; this refuses an answer that ignored it."""
    if shared_device and on_this_computer(payload):
        raise KeyRefused(
            _l("On a shared computer, your key cannot stay in the computer. Use your phone "
               "(scan the QR code) or a USB key."),
            "platform authenticator on a shared computer",
            status=403,
        )


def _name(raw: str | None) -> str:
    name = " ".join((raw or "").split())[:60]
    return name or str(_l("My key"))


def register_key(user: User, rp: RelyingParty, payload, name: str | None, *,
                 shared_device: bool = False) -> WebAuthnCredential:
    """Check the browser's answer to create() and store the new key."""
    _check_shape(payload)
    refuse_on_shared_computer(payload, shared_device)
    challenge = challenge_of(payload)
    consume_challenge(challenge, "register", user)
    assert challenge is not None, "consume_challenge refuses a missing challenge"
    try:
        verified = verify_registration_response(
            credential=payload,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError) as exc:
        raise KeyRefused(
            _l("This key could not be added. Please try again."), f"registration: {exc}"
        ) from exc
    taken = db.session.scalar(
        select(WebAuthnCredential.id).where(WebAuthnCredential.credential_id == verified.credential_id)
    )
    if taken is not None:
        raise KeyRefused(_l("This key is already registered."), "credential id already stored", status=409)
    transports = payload["response"].get("transports") or []
    props = (payload.get("clientExtensionResults") or {}).get("credProps") or {}
    cred = WebAuthnCredential(
        user_id=user.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        aaguid=str(verified.aaguid)[:36],
        transports=",".join(t for t in transports if isinstance(t, str) and t in KNOWN_TRANSPORTS)[:120],
        discoverable=bool(props.get("rk", False)),
        backup_eligible=verified.credential_device_type == "multi_device",
        backed_up=verified.credential_backed_up,
        name=_name(name),
        created_at=utcnow(),
    )
    db.session.add(cred)
    db.session.flush()
    user.facts = None  # read again if this request asks
    _log(user, "security.key_added", cred.id, cred.name)
    return cred


def _log(user: User, action: str, key_id: int, name: str) -> None:
    audit.record(actor=user, actor_role="owner", action=action, account_id=user.id, object_id=key_id,
                 object_label=name)


def note_refusal(exc: KeyRefused, payload) -> None:
    """After a refused answer (and its rollback): spend its challenge anyway, and tell the owner
    about a key that may have been copied."""
    burn(challenge_of(payload) if isinstance(payload, dict) else None)
    key = getattr(exc, "key", None)
    if key is not None:
        user_id, key_id, name = key
        audit.record(actor=None, actor_role="system", action="security.key_counter_refused",
                     account_id=user_id, object_id=key_id, object_label=name)


def _find(payload, user: User | None) -> WebAuthnCredential:
    try:
        raw_id = base64url_to_bytes(payload["rawId"])
    except (ValueError, TypeError):
        raw_id = b""
    cred = db.session.scalar(select(WebAuthnCredential).where(WebAuthnCredential.credential_id == raw_id))
    if cred is None or (user is not None and cred.user_id != user.id):
        reason = "unknown credential" if cred is None else "credential of another account"
        raise KeyRefused(_l("This key is not registered for this account."), reason)
    return cred


def authenticate(rp: RelyingParty, payload, purpose: str, user: User | None = None, *,
                 shared_device: bool = False) -> WebAuthnCredential:
    """Check the browser's answer to get(). For a passkey (no user given) the credential id names the
    account (it is unique) and the key must have verified the person (PIN, fingerprint): two factors.
    On a shared computer only a key that leaves with the person signs in."""
    _check_shape(payload)
    refuse_on_shared_computer(payload, shared_device)
    challenge = challenge_of(payload)
    consume_challenge(challenge, purpose, user)
    assert challenge is not None, "consume_challenge refuses a missing challenge"
    cred = _find(payload, user)
    try:
        # Counter 0 here: py_webauthn's own check would refuse keys that always say 0; ours is below.
        verified = verify_authentication_response(
            credential=payload,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            credential_public_key=cred.public_key,
            credential_current_sign_count=0,
            require_user_verification=purpose == "passkey",
        )
    except (WebAuthnException, KeyError, TypeError, ValueError) as exc:
        raise KeyRefused(
            _l("Your key could not be checked. Please try again."), f"authentication: {exc}"
        ) from exc
    # WebAuthn §7.2 step 21: once either side has counted, the new count must be higher. A key that
    # drops back to 0 would otherwise switch clone detection off for good.
    new_count = verified.new_sign_count
    if (new_count or cred.sign_count) and new_count <= cred.sign_count:
        refusal = CounterWentBack(
            _l("This key could not be trusted. Use another key or a recovery code."),
            f"counter went back {cred.sign_count} -> {verified.new_sign_count} cred={cred.id}",
            status=403,
        )
        refusal.key = (cred.user_id, cred.id, cred.name)  # for the owner's access log
        raise refusal
    cred.sign_count = verified.new_sign_count
    cred.backed_up = verified.credential_backed_up
    cred.last_used_at = utcnow()
    db.session.flush()
    return cred


def find_own(user: User, key_id: int) -> WebAuthnCredential:
    cred = db.session.scalar(
        select(WebAuthnCredential).where(
            WebAuthnCredential.user_id == user.id, WebAuthnCredential.id == key_id
        )
    )
    if cred is None:
        raise ServiceError(_l("This key was not found."), status=404)
    return cred


def rename(user: User, key_id: int, name: str) -> WebAuthnCredential:
    cred = find_own(user, key_id)
    cred.name = _name(name)
    db.session.flush()
    _log(user, "security.key_renamed", cred.id, cred.name)
    return cred


def remove(user: User, key_id: int) -> WebAuthnCredential:
    cred = find_own(user, key_id)
    db.session.delete(cred)
    db.session.flush()
    user.facts = None  # read again if this request asks
    _log(user, "security.key_removed", key_id, cred.name)
    return cred
