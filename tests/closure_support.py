"""Helpers for the closure tests: a family with a row in every kind of table, and the walk over every
table of the metadata that finds what still points at a profile or an account."""

import base64
import os
from datetime import date, timedelta

from sqlalchemy import Integer, select

from companion.demo.documents import make_pdf
from companion.extensions import db
from companion.models.account import User
from companion.models.agenda import AgendaItem, PersonalReminder, PlanMark, Reminder, ReminderPreference
from companion.models.audit import RefusalCount
from companion.models.closure import Closure
from companion.models.credential import RecoveryCode, WebAuthnChallenge
from companion.models.document import Document, DocumentPin
from companion.models.emergency import EmergencyCard
from companion.models.mail import OutgoingMail
from companion.models.outbox import IdempotencyReceipt
from companion.models.profile import Profile
from companion.models.push import PushDelivery, PushSubscription
from companion.models.share import ClinicianShare
from companion.models.types import utcnow
from companion.services import documents
from companion.services.access import OWNER_SCOPES, Access

from .cast import give_key, make_delegation
from .documents_support import PDF

RETAINED = {"access_events", "audit_chains", "audit_checkpoints"}
# Columns that hold an id without a foreign key, and what they name.
LOOSE = {("audit_refusals", "profile_id"): "profiles", ("audit_refusals", "actor_id"): "users"}


def references(profile_ids: list[int], user_ids: list[int]) -> dict[str, int]:
    """For every table but the retained log: how many rows still name one of these profiles or accounts,
    through a foreign key or a loose id column. Empty when nothing does."""
    named = {"profiles": set(profile_ids), "users": set(user_ids)}
    found: dict[str, int] = {}
    for table in db.metadata.sorted_tables:
        if table.name in RETAINED:
            continue
        checks = [(fk.parent, fk.column.table.name) for fk in table.foreign_keys]
        checks += [(table.c[col], target) for (name, col), target in LOOSE.items() if name == table.name]
        if table.name in named:
            checks.append((table.c.id, table.name))
        for column, target in checks:
            ids = named.get(target) or set()
            if ids and isinstance(column.type, Integer):
                count = len(db.session.execute(select(column).where(column.in_(ids))).all())
                if count:
                    found[f"{table.name}.{column.name}"] = count
    return found


def fill(owner: User, profile: Profile, helper: User | None = None, *,
         account_rows: bool = True) -> list[Document]:
    """A row in every table that can point at this profile (and, with `account_rows`, at its owner's
    account); two stored documents."""
    now = utcnow()
    access = Access(profile, "owner", OWNER_SCOPES)
    second = make_pdf(f"Radio {profile.id}", ["Thorax"])
    docs = [documents.add(access, owner, PDF, title="Bilan sanguin").document,
            documents.add(access, owner, second, title="Radio").document]
    db.session.add_all([
        DocumentPin(document_id=docs[0].id, user_id=owner.id, device_id="a" * 32),
        AgendaItem(profile_id=profile.id, rule_id="VACC_DTP", done_on=date(2025, 1, 2),
                   updated_by_id=owner.id),
        PersonalReminder(profile_id=profile.id, title="Dentiste", starts_at=now + timedelta(days=3),
                         created_by_id=owner.id),
        PlanMark(profile_id=profile.id, planned_until=now + timedelta(days=7), rules_digest="x"),
        EmergencyCard(profile_id=profile.id, allergies="Pénicilline", prescription_id=docs[0].id,
                      updated_by_id=owner.id),
        RefusalCount(actor_id=owner.id, profile_id=profile.id, hour=now.replace(minute=0, second=0,
                                                                                  microsecond=0)),
    ])
    reminder = Reminder(key=f"k{profile.id}", user_id=owner.id, profile_id=profile.id, kind="appointment",
                        item_ref="p1", due_at=now, scheduled_at=now)
    sub = PushSubscription(user_id=owner.id, endpoint=f"https://push.example/{profile.id}", p256dh="p",
                           auth="a")
    db.session.add_all([reminder, sub])
    db.session.flush()
    db.session.add(PushDelivery(reminder_id=reminder.id, subscription_id=sub.id, result="sent"))
    if account_rows:
        _account_rows(owner, profile, now)
    if helper is not None:
        d = make_delegation(profile.id, helper, "documents:read agenda", granted_by_id=owner.id)
        share(profile, owner, d.id)
    share(profile, owner)
    db.session.flush()
    return docs


def _account_rows(owner: User, profile: Profile, now) -> None:
    db.session.add(ReminderPreference(user_id=owner.id, muted_profiles=str(profile.id)))
    db.session.add(OutgoingMail(recipient=owner.email, locale="fr", kind="new_device", subject="s", body="b"))
    db.session.add_all([
        IdempotencyReceipt(user_id=owner.id, key=os.urandom(8).hex(), status=200, body="{}"),
        RecoveryCode(user_id=owner.id, code_hash=os.urandom(8).hex()),
        WebAuthnChallenge(challenge_hash=os.urandom(8).hex(), purpose="reauth", user_id=owner.id,
                          expires_at=now + timedelta(minutes=5)),
    ])
    give_key(owner)


def share(profile: Profile, maker: User, delegation_id: int | None = None) -> ClinicianShare:
    row = ClinicianShare(public_id=os.urandom(12).hex(), code_lookup=os.urandom(16).hex(),
                         code_wrapped_key=b"k", ciphertext=b"\0" * 40, profile_id=profile.id,
                         created_by_id=maker.id, delegation_id=delegation_id, summary="card",
                         expires_at=utcnow() + timedelta(days=1))
    db.session.add(row)
    db.session.flush()
    return row


def stored_copy(doc_ids: list[int]) -> list[tuple[str, bytes, str]]:
    """(storage key, blob, wrapped key) of each document: what a backup or an old S3 version keeps."""
    rows = db.session.scalars(select(Document).where(Document.id.in_(doc_ids))).all()
    return [(d.storage_key, documents.storage().get(d.storage_key), d.wrapped_key) for d in rows]


def opens_with_any_key(key: str, blob: bytes) -> bool:
    """Whether any wrapped key the database still holds opens this blob with the master key."""
    from companion.services import crypto

    for wrapped in db.session.scalars(select(Document.wrapped_key)):
        try:
            crypto.decrypt(documents.master_key(), blob, wrapped, key.encode())
            return True
        except crypto.CryptoError:
            continue
    return False


def closes_at(closure_id: int):
    return db.session.get(Closure, closure_id).closes_at


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def open_share(app, public_id: str) -> int:
    """The status a health professional's browser gets when opening this share's link."""
    from .conftest import csrf_from

    client = app.test_client()
    token = csrf_from(client.get(f"/s/{public_id}").get_data(as_text=True))
    resp = client.post(f"/s/{public_id}/open", json={"passcode": None}, headers={"X-CSRFToken": token})
    return resp.status_code
