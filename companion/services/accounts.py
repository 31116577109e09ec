"""Creating accounts and checking passwords."""

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models.account import User
from ..models.profile import Profile, ProfileOwner
from ..texts import lazy_gettext as _l
from . import ServiceError, audit, time_zones
from .passwords import hash_password, policy_error, verify_password

UNPROCESSABLE = 422


def normalise_email(raw: str) -> str:
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ServiceError(_l("Enter an e-mail address like name@example.fr."), field="email") from exc


def find_by_email(email: str) -> User | None:
    # Stored lower-cased (normalise_email; migration 0026 for older rows), so the unique index answers:
    # lower(email) on the column read every account (56 ms at 200,000) on every login.
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def register(email: str, password: str | None, display_name: str, *, locale: str | None = None,
             role: str = "person", cost: tuple[int, int] = (3, 65536), shared_device: bool = False,
             with_profile: bool = True, timezone: str | None = None) -> User:
    """A new account with its own health profile (people only: mediators and admins hold no record).

    Without a password the account opens with a passkey only; on a shared computer that key could not
    stay on the computer, so a password is required there.

    Refusals are 422: the form was read, and what it says cannot make an account. `with_profile=False`:
    the person takes back a profile that was kept for them (services/dependents.claim), not a new one."""
    try:
        email = normalise_email(email)
    except ServiceError as exc:
        raise ServiceError(exc.message, UNPROCESSABLE, field="email") from exc
    name = display_name.strip()
    if not name:
        raise ServiceError(_l("Enter your first name."), UNPROCESSABLE, field="display_name")
    if password is None and shared_device:
        raise ServiceError(_l("On a shared computer, choose a password: you will need it to log in "
                              "from your phone or from another computer."), UNPROCESSABLE, field="password")
    if password is not None:
        reason = policy_error(password, user_inputs=(email, name))
        if reason:
            raise ServiceError(reason, UNPROCESSABLE, field="password")
    if find_by_email(email):
        # Said plainly on purpose: registration is rate-limited, and hiding it would strand people.
        raise ServiceError(_l("An account already exists with this e-mail address. Log in instead."),
                           UNPROCESSABLE, field="email")
    user = User(email=email, display_name=name[:120], locale=locale, role=role,
                password_hash=hash_password(password, cost) if password else None,
                timezone=time_zones.known(timezone))  # the browser's zone, when it is a place listed
    db.session.add(user)
    db.session.flush()
    if role == "person" and with_profile:
        first, _, last = name.partition(" ")
        profile = Profile(user_id=user.id, first_name=first[:80], last_name=last[:80])
        db.session.add(profile)
        db.session.flush()
        db.session.add(ProfileOwner(profile_id=profile.id, user_id=user.id, relation="self"))
        db.session.flush()
    return user


def sign_up(email: str, password: str | None, display_name: str, **options) -> User:
    """A person opening their own account (the register form, an assisted onboarding): register()
    plus the first line of the account's access log. Demo data and commands use register() alone."""
    user = register(email, password, display_name, **options)
    audit.record(actor=user, actor_role="owner", action="account.created", account_id=user.id)
    return user


def change_password(user: User, password: str, cost: tuple[int, int] = (3, 65536)) -> bool:
    """A new password for the account, under the same policy as at registration (a refusal is 422).
    It replaces only the password read with the account: of two changes at the same instant (a reset
    link used twice), the second waits for the first's write (a row lock on PostgreSQL, the one writer
    on SQLite), changes nothing and gets False. Hashed before the write: no lock is held while Argon2
    runs."""
    reason = policy_error(password, user_inputs=(user.email, user.display_name))
    if reason:
        raise ServiceError(reason, UNPROCESSABLE, field="password")
    new_hash = hash_password(password, cost)
    same = User.password_hash == user.password_hash
    written = db.session.execute(update(User).where(User.id == user.id, same).values(password_hash=new_hash)
                                 .execution_options(synchronize_session=False))
    if written.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult, typed as Result
        return False
    set_committed_value(user, "password_hash", new_hash)
    audit.record(actor=user, actor_role="owner", action="security.password_changed", account_id=user.id)
    return True


def authenticate(email: str, password: str, cost: tuple[int, int] = (3, 65536)) -> User | None:
    """The account if the password matches; None for an unknown account or a wrong password alike."""
    user = find_by_email(email) if email else None
    if not verify_password(user.password_hash if user else None, password, cost):
        return None
    return user


def own_profile(user: User) -> Profile | None:
    return db.session.scalar(select(Profile).where(Profile.user_id == user.id))
