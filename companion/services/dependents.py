"""Dependent adults (issue 17): a profile for an adult who has no account (a parent with dementia, an
adult under guardianship), created and managed by a named person on a stated legal basis, with its proof
filed as a document and a date to review it. The profile has the same delegations and access log as any
other. Later the adult may take it back in a France Services help session: the manager's code, used in
that session, makes the adult's own login the owner, and the manager's role becomes a delegation the
adult can end. Every step is in the profile's access log."""

import hashlib
import hmac
import secrets
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import delete, select, update

from ..extensions import db
from ..models.account import User
from ..models.delegation import SCOPES, Delegation
from ..models.onboarding import AssistedSession, Structure
from ..models.profile import Profile, ProfileOwner
from ..models.proof import LEGAL_BASES, Dependent
from ..models.types import utcnow
from ..texts import lazy_gettext as _l
from . import (
    ServiceError,
    accounts,
    audit,
    closure,
    delegations,
    document_types,
    documents,
    onboarding,
    profiles,
    proofs,
    shares,
)
from .access import OWNER_SCOPES, Access

BASIS_LABELS = {
    "family_carer": _l("Family carer (no court decision)"),
    "habilitation_familiale": _l("Family authorisation from a judge (habilitation familiale)"),
    "tutelle": _l("Guardianship (tutelle)"),
    "curatelle": _l("Curatorship (curatelle)"),
}
REVIEW_NOTICE = timedelta(days=30)  # the manager is reminded this long before the review date
LONGEST_REVIEW_YEARS = 10  # a French guardianship is reviewed at least every 10 years (Code civil 441)
CLAIM_DAYS = 7
KEPT_HELP = "1y"  # how long the former manager keeps helping once the adult took the profile back


def basis_label(code: str, locale: str | None = None) -> str:
    with force_locale(locale or "fr"):
        return str(BASIS_LABELS[code])


def of(profile_id: int) -> Dependent | None:
    return db.session.scalar(select(Dependent).where(Dependent.profile_id == profile_id))


def _check(legal_basis: str, birth_date: date | None, review_on: date | None, today: date) -> None:
    if legal_basis not in LEGAL_BASES:
        raise ServiceError(_l("Choose the legal basis."), field="legal_basis")
    if birth_date is None or profiles.age(birth_date, today) < 18:
        raise ServiceError(_l("Enter the birth date of an adult (18 or older). For a child, add a child "
                              "instead."), field="birth_date")
    _check_review(review_on, today)


def _check_review(review_on: date | None, today: date) -> None:
    if review_on is None or review_on <= today:
        raise ServiceError(_l("Choose a review date after today."), field="review_on")
    if review_on.year > today.year + LONGEST_REVIEW_YEARS:
        raise ServiceError(_l("Choose a review date within the next ten years."), field="review_on")


def create(actor: User, *, first_name: str, last_name: str, birth_date: date | None, sex: str | None,
           legal_basis: str, review_on: date | None, proof: bytes, today: date,
           now: datetime | None = None) -> tuple[Profile, documents.Added]:
    """The profile, its manager (the actor, as owner), the proof of the legal basis as a document (the
    caller commits, and discards the stored file if the commit fails: documents.discard_blob)."""
    if actor.role != "person":
        raise ServiceError(_l("Your account does not allow this action."), status=403)
    now = now or utcnow()
    _check(legal_basis, birth_date, review_on, today)
    if not proof:
        raise ServiceError(_l("Add the proof of the legal basis (a PDF or a photo)."), field="proof")
    name = profiles.check_fields(first_name, birth_date, sex, today)
    profile = Profile(first_name=name[:80], last_name=(last_name or "").strip()[:80], birth_date=birth_date,
                      sex=sex or None)
    db.session.add(profile)
    db.session.flush()
    db.session.add(ProfileOwner(profile_id=profile.id, user_id=actor.id, relation="manager"))
    db.session.flush()
    access = Access(profile, "owner", OWNER_SCOPES)
    with force_locale(actor.locale or "fr"):
        title = str(_l("Proof of the legal basis: %(basis)s", basis=BASIS_LABELS[legal_basis]))
    added = documents.add(access, actor, proof, title=title, type_code=document_types.OTHER, care_date=today,
                          now=now)
    doc = added.document
    assert review_on is not None  # _check refused a missing date
    db.session.add(Dependent(profile_id=profile.id, manager_id=actor.id, legal_basis=legal_basis,
                             proof_document_id=doc.id, review_on=review_on, created_at=now))
    db.session.flush()
    audit.record(actor=actor, actor_role="owner", action="dependent.created", profile_id=profile.id,
                 object_type="profile", object_id=profile.id,
                 object_label=basis_label(legal_basis, actor.locale), at=now)
    return profile, added


def review_state(dep: Dependent, today: date) -> str:
    """"ok", "soon" (within REVIEW_NOTICE: the manager is reminded) or "past" (the page asks to confirm
    or update before anything else)."""
    if dep.review_on < today:
        return "past"
    return "soon" if dep.review_on - today <= REVIEW_NOTICE else "ok"


def confirm_review(access: Access, actor: User, dep: Dependent, *, legal_basis: str, review_on: date | None,
                   today: date) -> Dependent:
    """The manager says the legal basis still holds (or changed) until a new date."""
    if not access.is_owner or dep.profile_id != access.profile.id or dep.claimed_at is not None:
        raise ServiceError(_l("This page does not exist or is not yours to see."), status=404)
    if legal_basis not in LEGAL_BASES:
        raise ServiceError(_l("Choose the legal basis."), field="legal_basis")
    _check_review(review_on, today)
    assert review_on is not None
    dep.legal_basis, dep.review_on, dep.reminded_at = legal_basis, review_on, None
    db.session.flush()
    audit.record(actor=actor, actor_role="owner", action="dependent.reviewed", profile_id=dep.profile_id,
                 object_type="profile", object_id=dep.profile_id, object_label=review_on.isoformat())
    return dep


def _hash(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"claim:" + delegations.normalise_code(code).encode(), hashlib.sha256).hexdigest()


def make_claim_code(access: Access, actor: User, dep: Dependent, now: datetime | None = None) -> str:
    """A single-use code (shown once) for the adult to take the profile back in a help session; an
    earlier code stops working."""
    if not access.is_owner or dep.profile_id != access.profile.id or dep.claimed_at is not None:
        raise ServiceError(_l("This page does not exist or is not yours to see."), status=404)
    now = now or utcnow()
    code = "".join(secrets.choice(delegations.CODE_ALPHABET) for _ in range(delegations.CODE_LENGTH))
    dep.claim_code_hash, dep.claim_expires_at = _hash(code), now + timedelta(days=CLAIM_DAYS)
    db.session.flush()
    audit.record(actor=actor, actor_role="owner", action="dependent.claim_code", profile_id=dep.profile_id,
                 object_type="profile", object_id=dep.profile_id,
                 object_label=access.profile.full_name, at=now)
    return delegations.format_code(code)


def claim(sess: AssistedSession, code: str, *, email: str, password: str | None, display_name: str,
          cost: tuple[int, int], locale: str | None = None, now: datetime | None = None) -> User:
    """In a help session the person agreed to, the adult's new login takes the profile: it becomes
    theirs, and the manager keeps helping through a delegation the adult can end."""
    now = now or utcnow()
    if not onboarding.is_live(sess, now) or sess.consent_at is None or sess.person_id is not None:
        raise ServiceError(_l("Take back a profile during a help session at France Services, before "
                              "creating the account."), status=409)
    wrong = ServiceError(_l("This code does not work. Check each character, or ask the person who manages "
                            "the profile for a new code."), status=400, field="code")
    dep = db.session.scalar(select(Dependent).where(Dependent.claim_code_hash == _hash(code),
                                                    Dependent.claimed_at.is_(None),
                                                    Dependent.claim_expires_at > now))
    if dep is None:
        raise wrong
    user = accounts.register(email, password, display_name, locale=locale, cost=cost,
                             shared_device=sess.shared_device, with_profile=False)
    # One conditional UPDATE: two browsers with the same code cannot both take the profile.
    taken = db.session.execute(update(Dependent).where(Dependent.id == dep.id, Dependent.claimed_at.is_(None))
                               .values(claimed_at=now, claim_code_hash=None)
                               .execution_options(synchronize_session=False))
    if taken.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult, typed as Result
        raise wrong
    db.session.refresh(dep)
    profile = db.session.get(Profile, dep.profile_id)
    assert profile is not None, "a dependent row goes with its profile (CASCADE)"
    audit.record(actor=user, actor_role="owner", action="account.created", account_id=user.id, at=now)
    _hand_over(profile, user, dep, sess, now)
    return user


def _hand_over(profile: Profile, user: User, dep: Dependent, sess: AssistedSession, now: datetime) -> None:
    profile.user_id = user.id
    db.session.execute(delete(ProfileOwner).where(ProfileOwner.profile_id == profile.id)
                       .execution_options(synchronize_session=False))
    db.session.add(ProfileOwner(profile_id=profile.id, user_id=user.id, relation="self"))
    db.session.flush()
    structure = db.session.get(Structure, sess.structure_id)
    audit.record(actor=user, actor_role="owner", action="dependent.claimed", profile_id=profile.id,
                 object_type="structure", object_id=sess.structure_id,
                 object_label=structure.name if structure else "", at=now)
    closure.drop_for_own_login(profile, user, now)
    manager = db.session.get(User, dep.manager_id) if dep.manager_id else None
    if manager is None:
        return
    d = Delegation(profile_id=profile.id, caregiver_id=manager.id, granted_by_id=user.id,
                   scopes=" ".join(SCOPES), see_hidden=True, created_at=now, accepted_at=now,
                   expires_at=delegations.add_term(now, KEPT_HELP), label="")
    db.session.add(d)
    db.session.flush()
    shares.carry_into(profile.id, manager.id, d.id)  # or her links would outlive the help the adult ends
    audit.record(actor=user, actor_role="owner", action="dependent.manager_kept", profile_id=profile.id,
                 object_type="delegation", object_id=d.id, object_label=manager.display_name, at=now)
    proofs.issue("consent", d, now=now)


def reviews_due(now: datetime | None = None) -> list[tuple[Dependent, Profile, User]]:
    """Profiles whose review date comes within REVIEW_NOTICE and whose manager was not told yet."""
    now = now or utcnow()
    today = now.date()
    return [(dep, profile, user) for dep, profile, user in db.session.execute(
        select(Dependent, Profile, User).join(Profile, Profile.id == Dependent.profile_id)
        .join(User, User.id == Dependent.manager_id)
        .where(Dependent.claimed_at.is_(None), Dependent.reminded_at.is_(None),
               Dependent.review_on <= today + REVIEW_NOTICE).order_by(Dependent.id)).all()]


def remind_reviews(now: datetime | None = None) -> int:
    """Tell each manager once (`reminded_at`; a review clears it), REVIEW_NOTICE before the review date.
    Housekeeping runs it; the e-mail names the person and a date, nothing else."""
    from . import mail

    now = now or utcnow()
    due = reviews_due(now)
    for dep, profile, manager in due:
        mail.queue(manager.email, manager.locale, "dependent_review",
                   tz=manager.timezone, name=manager.display_name.split(" ")[0],
                   person=profile.full_name, date=dep.review_on,
                   link=mail.public_url(f"/p/{profile.id}/dependent"))
        dep.reminded_at = now
    db.session.flush()
    return len(due)
