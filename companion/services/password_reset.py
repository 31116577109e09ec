"""A forgotten password, by e-mail: a link that works once, for 30 minutes.

The link is signed (itsdangerous, with the app's secret) and carries a fingerprint of the account's
current password hash: once a new password is set, the fingerprint no longer matches, so the link
cannot be used twice and nothing needs storing. The answer to a request is the same whether the
address has an account or not (nobody learns who uses Companion). A new password signs out every
device; an account with a security key still needs its key at the next login (the link replaces the
password only, never the second factor)."""

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..extensions import db
from ..models.account import User
from ..texts import lazy_gettext as _l
from . import ServiceError, accounts, mail, sessions

SALT = "companion-password-reset"
MAX_AGE_SECONDS = 30 * 60
PATH = "/password/reset/"


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def request_link(email: str) -> bool:
    """Queue the e-mail if the address has an account; the caller answers the same either way."""
    user = accounts.find_by_email(email) if email else None
    if user is None:
        return False
    token = _signer().dumps({"u": user.id, "f": _fingerprint(user)})
    mail.queue(user.email, user.locale, "password_reset",
               tz=user.timezone, name=user.display_name.split(" ")[0],
               link=mail.public_url(PATH + token), minutes=MAX_AGE_SECONDS // 60)
    return True


def user_for(token: str) -> User:
    """The account the link was made for, if it is still valid and unused."""
    try:
        data = _signer().loads(token, max_age=MAX_AGE_SECONDS)
    except SignatureExpired as exc:
        raise ServiceError(_l("This link is too old: it works for 30 minutes. Ask for a new one."),
                           status=410) from exc
    except BadSignature as exc:
        raise ServiceError(_l("This link does not work. Ask for a new one."), status=404) from exc
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or data.get("f") != _fingerprint(user):
        raise _used()
    return user


def _used() -> ServiceError:
    return ServiceError(_l("This link has already been used. Ask for a new one if you need it."), status=410)


def reset(token: str, password: str, cost: tuple[int, int]) -> User:
    """Set the new password (same policy as everywhere) and sign out every device. The link is spent by
    the write itself (accounts.change_password replaces only the password the link was made for): of
    two requests with one link at the same instant, the second is told the link was used."""
    user = user_for(token)
    if not accounts.change_password(user, password, cost):
        raise _used()
    sessions.revoke_others(user, None)
    return user
