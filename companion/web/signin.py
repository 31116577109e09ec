"""Signing an account in on this device, shared by the login, security and onboarding views, and
the fresh-login check before sensitive actions."""

from functools import wraps
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_user
from flask_wtf.csrf import generate_csrf

from ..extensions import db
from ..models.account import User
from ..services import assisted_recovery, dates, sessions
from ..texts import lazy_gettext as _l
from .navigation import redirect_next, safe_next
from .sw_contract import wipe_others


def start_session(user: User, *, shared_device: bool = False, method: str = "password"):
    """Sign the account in on this device with a new server-side session (never reuse the old cookie)."""
    old = getattr(current_user, "current_session", None) if current_user.is_authenticated else None
    if old is not None:
        sessions.revoke(old)
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    # The form token is made now, once: pages and background requests that start together after the
    # sign-in then all carry the same one, whichever answer sets the cookie last.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)  # this request's, if any
    generate_csrf()
    token, sess = sessions.open_session(
        user, user_agent=request.headers.get("User-Agent", ""), shared_device=shared_device, method=method
    )
    user._session_token = token
    user.current_session = sess
    login_user(user)
    # On a shared computer the cookie ends with the browser: nothing outlives the person's visit.
    session.permanent = not shared_device
    return token


def sign_in(user: User, *, shared_device: bool, method: str) -> None:
    start_session(user, shared_device=shared_device, method=method)
    sessions.logged_in(user, method)
    db.session.commit()


def finish_login(user: User, *, shared_device: bool, next_url: str | None, method: str = "password"):
    sign_in(user, shared_device=shared_device, method=method)
    return wipe_others(redirect_next(next_url))


def _come_back_to() -> str:
    """Where to return after confirming: this page, or for a form post the page that held the form
    (a redirect cannot repeat a POST)."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    same_host = referrer.netloc == request.host
    return safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else "") if same_host else None)


def ask_fresh_login():
    """The redirect to confirm one's password when the last login is not recent enough, else None."""
    minutes = current_app.config["FRESH_LOGIN_MINUTES"]
    if not sessions.is_fresh(current_user.current_session, minutes):
        return redirect(url_for("auth.reauth", next=_come_back_to()))
    return None


def fresh_login_required(view):
    """Sensitive actions need a login within the last few minutes."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        return ask_fresh_login() or view(*args, **kwargs)

    return wrapper


def tell_about_assisted_recovery(app, user: User, **_extra):
    """At each login, say if a France Services advisor issued a recovery code for this account
    (connected to Flask-Login's `user_logged_in` in companion/wiring.py)."""
    if getattr(user, "role", "") != "person":
        return
    for row in assisted_recovery.pending_notice(user):
        flash(_l("On %(date)s, a France Services advisor gave a recovery code for your account. "
                 "If it was not you, call your France Services office.",
                 date=dates.moment(row.created_at)), "info")
