"""The teen's own login: a single-use code the parents make (from the teen notice) and hand over; the
teen types it on their own new account, alone or with a France Services mediator who helps them make
that account. The profile then becomes the teen's own ("self" owner) and, from the teen age, the
parents see only what the teen agrees to (services/family_stages.py).

Single use, whoever comes first: using a code and making a new one (which cancels the old) each begin
with a conditional UPDATE of the code rows, then of the profile's row (the same order, so PostgreSQL
never finds them waiting on each other), so a teen and a parent acting at the same moment leave one
outcome: either the teen has the profile and no code is left, or the old code is cancelled and the teen
is refused."""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from ..extensions import db
from ..models.account import User
from ..models.agenda import AgendaItem, PersonalReminder, PlanMark, Reminder
from ..models.delegation import Delegation
from ..models.document import Document
from ..models.emergency import EmergencyCard
from ..models.family import TeenCode
from ..models.profile import Profile, ProfileOwner
from ..models.types import utcnow
from ..texts import lazy_gettext as _l
from . import ServiceError, audit, closure, mail, shares
from .access import Access
from .agenda import add_months
from .delegations import CODE_ALPHABET, CODE_LENGTH, _hash_code, format_code, normalise_code
from .family_stages import Ages, become_adult, note_narrowed, parents

WRONG = _l("This code does not work. Check it, or ask your parents for a new one.")


def _lock_unclaimed(profile_id: int) -> bool:
    """Take the profile's row (a write, so the database orders us against a teen using a code) while it
    has no login of its own; False once the teen has one."""
    done = db.session.execute(update(Profile).where(Profile.id == profile_id, Profile.user_id.is_(None))
                              .values(stage_at=Profile.stage_at).execution_options(synchronize_session=False))
    return done.rowcount == 1  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult


def make(access: Access, actor: User, now: datetime | None = None) -> str:
    """A new code for the teen (the previous unused one stops working). Only a parent or guardian,
    from the teen notice on, while the teen has no login. Returns the code, shown once."""
    now = now or utcnow()
    profile = access.profile
    if not access.is_owner or profile.user_id == actor.id:
        raise ServiceError(_l("Only a parent can make this code."), 403)
    if profile.stage == "" or profile.birth_date is None:
        raise ServiceError(_l("This code can be made three months before the teen age."), 409)
    # The code rows first, then the profile's: the order `claim` takes them in (no deadlock). A refusal
    # below rolls the cancelling back with the rest of the request.
    db.session.execute(update(TeenCode).where(TeenCode.profile_id == profile.id, TeenCode.used_at.is_(None),
                                              TeenCode.revoked_at.is_(None)).values(revoked_at=now))
    if not _lock_unclaimed(profile.id):
        raise ServiceError(_l("%(name)s already has their own login.", name=profile.first_name), 409)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    adult = Ages.from_config().dates(profile.birth_date)["adult"]
    # Until a year after majority; a young adult who has not joined by then gets a month from now.
    expires = max(datetime.combine(add_months(adult, 12), now.timetz()), now + timedelta(days=30))
    db.session.add(TeenCode(profile_id=profile.id, code_hash=_hash_code(code), created_by_id=actor.id,
                            created_at=now, expires_at=expires))
    audit.record(actor=actor, actor_role="owner", action="family.code_made", profile_id=profile.id)
    db.session.flush()
    return format_code(code)


def _has_data(profile_id: int) -> bool:
    checks = [select(func.count()).select_from(m).where(m.profile_id == profile_id)
              for m in (Document, AgendaItem, PersonalReminder, Delegation, EmergencyCard)]
    return any(db.session.scalar(q) for q in checks)


def claim(actor: User, raw: str, now: datetime | None = None) -> Profile:
    """The teen types the code on their own account: the profile becomes theirs. The empty profile their
    new account was given is removed (an account holds one own profile); one with data is not."""
    now = now or utcnow()
    code = normalise_code(raw)
    if len(code) != CODE_LENGTH or actor.role != "person":
        raise ServiceError(WRONG, 400, field="code")
    taken = db.session.execute(
        update(TeenCode).where(TeenCode.code_hash == _hash_code(code), TeenCode.used_at.is_(None),
                               TeenCode.revoked_at.is_(None), TeenCode.expires_at > now)
        .values(used_at=now, used_by_id=actor.id).returning(TeenCode.profile_id)).first()
    if taken is None:
        raise ServiceError(WRONG, 400, field="code")
    profile = db.session.get(Profile, taken.profile_id)
    assert profile is not None, "a code's profile is deleted with it"
    if profile.user_id is not None:
        raise ServiceError(WRONG, 400, field="code")
    if actor.id in {p.id for p in parents(profile.id)}:
        raise ServiceError(_l("This code is for your child, on their own account."), 400, field="code")
    own = db.session.scalar(select(Profile).where(Profile.user_id == actor.id))
    if own is not None:
        if _has_data(own.id):
            raise ServiceError(_l("This account already has its own health profile. Make a new account "
                                  "for this code."), 409, field="code")
        # Through the ORM, so its owner row goes with it (SQLite here does not apply ON DELETE CASCADE).
        db.session.execute(delete(PlanMark).where(PlanMark.profile_id == own.id))
        db.session.execute(delete(Reminder).where(Reminder.profile_id == own.id))
        db.session.delete(own)
        db.session.flush()
    _attach(profile, actor, now)
    return profile


def _attach(profile: Profile, teen: User, now: datetime) -> None:
    db.session.execute(update(Profile).where(Profile.id == profile.id).values(user_id=teen.id)
                       .execution_options(synchronize_session=False))
    db.session.add(ProfileOwner(profile_id=profile.id, user_id=teen.id, relation="self", created_at=now))
    db.session.flush()
    db.session.refresh(profile)
    audit.record(actor=teen, actor_role="owner", action="family.teen_joined", profile_id=profile.id, at=now)
    closure.drop_for_own_login(profile, teen, now)
    if profile.parents_narrowed:
        note_narrowed(profile, now)
    if profile.stage == "adult":  # of age already: the profile is theirs alone from now on
        become_adult(profile, now)
        return
    for parent in parents(profile.id):
        mail.queue(parent.email, parent.locale, "teen_joined_parent",
                   tz=parent.timezone, name=parent.display_name,
                   person=profile.first_name, link=mail.public_url(f"/p/{profile.id}/growing-up"))


def _chosen(scopes: list[str]) -> str:
    from .family_stages import ALLOWED_PARENT_SCOPES

    return " ".join(s for s in ALLOWED_PARENT_SCOPES if s in scopes)


def widens_parent_view(profile: Profile, scopes: list[str], keep_parents: bool) -> bool:
    """Whether the choice gives the parents more than they have (more to see, or keeping it after 18):
    that asks a fresh login, as any grant of health data does; seeing less never does."""
    more = not set(_chosen(scopes).split()) <= set(profile.parent_scopes.split())
    return more or (keep_parents and not profile.keep_parents)


def set_parent_view(access: Access, actor: User, scopes: list[str], keep_parents: bool) -> None:
    """The teen chooses what the parents see, and whether they keep it after 18."""
    profile = access.profile
    if not access.is_owner or profile.user_id != actor.id:
        raise ServiceError(_l("Only %(name)s can choose this.", name=profile.first_name), 403)
    chosen = _chosen(scopes)
    narrower = not set(chosen.split()) >= set(profile.parent_scopes.split())
    profile.parent_scopes, profile.keep_parents = chosen, keep_parents
    audit.record(actor=actor, actor_role="owner", action="family.parents_scopes", profile_id=profile.id,
                 object_label=f"{chosen or '-'}; {'keep' if keep_parents else 'end'} at 18")
    if narrower and profile.parents_narrowed:  # what they shared before may hold what they lost
        shares.end_made_by(profile.id, [p.id for p in parents(profile.id)], utcnow())
    db.session.flush()
