"""Register, log in (password, then the key when the account has one; or a passkey alone), log out,
and confirm it is you again before sensitive actions.

Between the password and the key the person is NOT logged in through Flask-Login: the pending state
lives in the Flask session for a few minutes, with its own single-use challenge."""

import logging
import math
import time
from contextlib import nullcontext

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user

from ..extensions import db, limiter
from ..forms.auth import LoginForm, ReauthForm, RegisterForm
from ..forms.security import RecoveryLoginForm
from ..i18n import LANG_COOKIE
from ..models.account import User
from ..services import (
    ServiceError,
    accounts,
    login_throttle,
    mail,
    new_device,
    onboarding,
    recovery,
    sessions,
)
from ..services import webauthn as wa
from ..texts import lazy_gettext as _l
from ..web import cookies, device_cookie, webauthn_io
from ..web.client import shared_device
from ..web.navigation import redirect_next, safe_next
from ..web.refusals import refuse
from ..web.routes import account_route, public_route
from ..web.signin import finish_login, sign_in, start_session
from ..web.sw_contract import wipe_headers

bp = Blueprint("auth", __name__)
log = logging.getLogger("companion.auth")

def _cost() -> tuple[int, int]:
    cfg = current_app.config
    return cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"]


@bp.route("/register", methods=["GET", "POST"])
@public_route
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.sign_up(
                form.email.data,
                form.password.data,
                form.display_name.data,
                locale=request.cookies.get("lang"),
                cost=_cost(),
                timezone=form.timezone.data,
            )
        except ServiceError as exc:
            return refuse(form, exc, "auth/register.html", default_field="email")
        start_session(user)
        db.session.commit()
        log.info("account registered user=%s", user.id)
        flash(_l("Welcome! Your health space is ready."), "success")
        resp = redirect(url_for("main.home"))
        device_cookie.remember(resp, user.email)  # a later login here is not "a new device"
        return resp
    status = 422 if form.errors else 200
    return render_template("auth/register.html", form=form), status


def _known_device() -> bool:
    """A device that signed in to this account before has its own budget (see login_throttle)."""
    return device_cookie.device_for(request.form.get("email") or "") is not None


def _too_soon(form, seconds: int):
    if seconds < 60:
        wait = _l("Please wait %(n)s seconds, then try again.", n=seconds)
    else:
        wait = _l("Please wait %(n)s minutes, then try again.", n=math.ceil(seconds / 60))
    form.password.errors.append(_l("Too many wrong passwords from here.") + " " + wait + " "
                                + _l("If you forgot your password, a France Services advisor can help."))
    resp = make_response(render_template("auth/login.html", form=form, forgot_help=True), 429)
    resp.headers["Retry-After"] = str(seconds)
    return resp


def _check_password(form):
    """The account, or the refusal to show: wrong password (401), or too many from here (429)."""
    cfg = current_app.config
    email = form.email.data
    result = login_throttle.attempt(
        email, form.password.data, client=device_cookie.client_for(email, get_remote_address()),
        secret=cfg["SECRET_KEY"], cost=_cost(), free=cfg["LOGIN_THROTTLE_FREE_FAILURES"],
        cap=cfg["LOGIN_THROTTLE_MAX_SECONDS"])
    db.session.commit()  # a failure counts even though nobody signs in
    if result.wait:
        log.info("login throttled")
        return None, _too_soon(form, result.wait)
    if result.user is None:
        log.info("login refused")
        form.password.errors.append(_l("This e-mail address and password do not match. Please try again."))
        return None, (render_template("auth/login.html", form=form, forgot_help=True), 401)
    return result.user, None


@bp.route("/login", methods=["GET", "POST"])
@public_route
# Per address, every try: against one address spraying many accounts. A device that signed in to the
# account before is exempt; it has its own budget per (account, device).
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], exempt_when=_known_device)
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect_next(request.args.get("next"))
    form = LoginForm()
    in_help = onboarding.shared_here(cookies.get(cookies.ONBOARDING))  # said so when joining the session
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        form.shared_computer.data = form.shared_computer.data or in_help
    if form.validate_on_submit():
        user, refusal = _check_password(form)
        if refusal is not None:
            return refusal
        shared = bool(form.shared_computer.data) or in_help
        if device_cookie.device_for(user.email) is None:
            new_device.tell(user, request.headers.get("User-Agent", ""))  # the password worked here
        if wa.has_key(user):  # an account with a key must use it: the password result waits
            resp = _second_step(user, shared_device=shared, next_url=safe_next(form.next.data))
        else:
            resp = finish_login(user, shared_device=shared, next_url=form.next.data)
        if not shared:  # a shared computer keeps nothing, not even this
            device_cookie.remember(resp, user.email)
        db.session.commit()
        mail.send_queued()
        return resp
    return render_template("auth/login.html", form=form), (422 if form.errors else 200)


@bp.route("/logout", methods=["POST"])
@public_route
def logout():
    shared, lang = False, None
    if current_user.is_authenticated:
        sess = current_user.current_session
        shared, lang = shared_device(), current_user.locale
        if sess is not None:
            sessions.revoke(sess)
        db.session.commit()
    logout_user()
    session.clear()
    if lang not in current_app.config["LANGUAGES"] or shared:  # a shared computer keeps nothing of hers
        lang = None
    # The signed-out page and the next ones stay in her language, not the browser's.
    with force_locale(lang) if lang else nullcontext():
        # A page, not a redirect: the service worker cannot read the headers of a redirect.
        page = make_response(render_template("auth/signed_out.html", shared=shared))
    if lang:
        cookies.put(page, LANG_COOKIE, lang, max_age=365 * 86400)
    return wipe_headers(page, everything=shared)


@bp.route("/reauth", methods=["GET", "POST"])
@account_route
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def reauth():
    form = ReauthForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    has_key = wa.has_key(current_user)
    if has_key and request.method == "POST":
        # With a key, the password alone must not unlock key or password changes (a stolen session
        # plus a known password would otherwise replace the second factor).
        log.info("reauth by password refused: account has a key")
        return render_template("auth/reauth.html", form=form, has_key=True), 403
    if form.validate_on_submit():
        user = accounts.authenticate(current_user.email, form.password.data, _cost())
        if user is None or user.id != current_user.id:
            form.password.errors.append(_l("This password is not right. Please try again."))
            return render_template("auth/reauth.html", form=form, has_key=has_key), 401
        sessions.mark_fresh(current_user.current_session)
        db.session.commit()
        return redirect_next(form.next.data)
    return render_template("auth/reauth.html", form=form, has_key=has_key), (422 if form.errors else 200)


# --- Second step: the key (or a recovery code) after the password --------------------------------

PENDING = "pending_login"
PENDING_SECONDS = 300


def _second_step(user: User, *, shared_device: bool, next_url: str):
    """Keep the password result pending for the key, log nobody in."""
    if current_user.is_authenticated:
        sessions.revoke(current_user.current_session)
        db.session.commit()
        logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session[PENDING] = {
        "uid": user.id,
        "shared": shared_device,
        "next": next_url,
        "until": time.time() + PENDING_SECONDS,
    }
    return redirect(url_for("auth.second_factor"))


def pending_user() -> User | None:
    data = session.get(PENDING)
    if not isinstance(data, dict) or float(data.get("until", 0)) < time.time():
        session.pop(PENDING, None)
        return None
    return db.session.get(User, data.get("uid"))


def _expired():
    return jsonify(error=401, message=str(_l("Your login has expired. Please log in again."))), 401


@bp.route("/login/key", methods=["GET"])
@public_route
def second_factor():
    if pending_user() is None:
        flash(_l("Your login has expired. Please log in again."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/second_factor.html", form=RecoveryLoginForm())


@bp.route("/login/key/options", methods=["POST"])
@public_route
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def second_factor_options():
    user = pending_user()
    return _expired() if user is None else webauthn_io.options("second", user, "wa_second")


@bp.route("/login/key/check", methods=["POST"])
@public_route
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def second_factor_check():
    user = pending_user()
    if user is None:
        return _expired()

    def done(body):
        wa.authenticate(webauthn_io.relying_party(), body, "second", user)
        pending = session.pop(PENDING)
        sign_in(user, shared_device=bool(pending.get("shared")), method="password+key")
        return jsonify(redirect=safe_next(pending.get("next")))

    return webauthn_io.run("wa_second", done)


@bp.route("/login/recovery", methods=["POST"])
@public_route
@limiter.limit(lambda: current_app.config["CODE_RATE_LIMIT"])
def recovery_login():
    user = pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    form = RecoveryLoginForm()
    if form.validate_on_submit() and recovery.use(user, form.code.data):
        pending = session.pop(PENDING)
        sign_in(user, shared_device=bool(pending.get("shared")), method="recovery")
        flash(
            _l(
                "You are logged in with a recovery code. That code will not work again. "
                "Please add a new key now."
            ),
            "warning",
        )
        return redirect(url_for("security.add_key", next=safe_next(pending.get("next"))))
    db.session.rollback()
    log.info("recovery code refused user=%s", user.id)
    if not form.code.errors:
        form.code.errors.append(_l("This code does not work. Check it, or try another code from your sheet."))
    return render_template("auth/second_factor.html", form=form), 401


# --- Passkey alone, and the key for "confirm it is you" -----------------------------------------


@bp.route("/login/passkey/options", methods=["POST"])
@public_route
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def passkey_options():
    return webauthn_io.options("passkey", None, "wa_passkey")


@bp.route("/login/passkey/check", methods=["POST"])
@public_route
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def passkey_check():
    def done(body):
        extra = request.get_json(silent=True) or {}
        shared = bool(extra.get("shared")) or onboarding.shared_here(cookies.get(cookies.ONBOARDING))
        cred = wa.authenticate(webauthn_io.relying_party(), body, "passkey", shared_device=shared)
        user = db.session.get(User, cred.user_id)
        sign_in(user, shared_device=shared, method="passkey")
        return jsonify(redirect=safe_next(extra.get("next") if isinstance(extra.get("next"), str) else None))

    return webauthn_io.run("wa_passkey", done)


@bp.route("/reauth/key/options", methods=["POST"])
@account_route
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def reauth_key_options():
    return webauthn_io.options("reauth", current_user, "wa_reauth")


@bp.route("/reauth/key/check", methods=["POST"])
@account_route
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def reauth_key_check():
    def done(body):
        wa.authenticate(webauthn_io.relying_party(), body, "reauth", current_user)
        sessions.mark_fresh(current_user.current_session)
        db.session.commit()
        extra = request.get_json(silent=True) or {}
        return jsonify(redirect=safe_next(extra.get("next") if isinstance(extra.get("next"), str) else None))

    return webauthn_io.run("wa_reauth", done)
