"""Signing an account in and out on this device, shared by the login, security and onboarding views.
Not a blueprint: views import these helpers instead of importing each other."""

from functools import wraps
from urllib.parse import urlsplit

from flask import current_app, g, redirect, request, session, url_for
from flask_login import current_user, login_user
from flask_wtf.csrf import generate_csrf

from ..extensions import db
from ..services import audit, sessions
from ..sw_contract import WIPE
from .navigation import redirect_next, safe_next


def start_session(user, *, shared_device: bool = False, method: str = "password"):
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
    session.permanent = True
    return token


def wipe_headers(response, *, everything: bool):
    """Tell the browser to forget this account: the worker drops its caches on X-Companion-Wipe;
    Clear-Site-Data also clears the HTTP cache (and, on a shared computer, all storage)."""
    response.headers["Clear-Site-Data"] = '"cache", "storage"' if everything else '"cache"'
    response.headers[WIPE] = "all" if everything else "account"
    return response


def sign_in(user, *, shared_device: bool, method: str) -> None:
    start_session(user, shared_device=shared_device, method=method)
    audit.record(
        actor=user,
        actor_role="owner",
        action="account.login",
        account_id=user.id,
        object_type="method",
        object_id=method,
    )
    db.session.commit()


def finish_login(user, *, shared_device: bool, next_url: str | None, method: str = "password"):
    sign_in(user, shared_device=shared_device, method=method)
    resp = redirect_next(next_url)
    # A new account on this browser: drop whatever another account left in the worker's caches.
    resp.headers[WIPE] = "others"
    return resp


def _come_back_to() -> str:
    """Where to return after confirming: this page, or for a form post the page that held the form
    (a redirect cannot repeat a POST)."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    same_host = referrer.netloc == request.host
    return safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else "") if same_host else None)


def fresh_login_required(view):
    """Sensitive actions need a login within the last few minutes."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        minutes = current_app.config["FRESH_LOGIN_MINUTES"]
        if not sessions.is_fresh(current_user.current_session, minutes):
            return redirect(url_for("auth.reauth", next=_come_back_to()))
        return view(*args, **kwargs)

    return wrapper
