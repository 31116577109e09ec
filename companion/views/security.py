"""My account: security keys and passkeys, recovery sheet, signed-in devices, password.

Also the key policy: mediator and admin accounts reach nothing beyond key enrolment until they have a key."""

import logging
from urllib.parse import quote

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from ..extensions import db
from ..forms.security import ActionForm, PasswordChangeForm, RenameKeyForm, TimeZoneForm
from ..models.types import utcnow
from ..services import ServiceError, accounts, recovery, sessions, time_zones
from ..services import webauthn as wa
from ..texts import lazy_gettext as _l
from ..web import webauthn_io
from ..web.client import shared_device, wants_json
from ..web.navigation import safe_next
from ..web.refusals import refuse
from ..web.routes import account_route
from ..web.signin import fresh_login_required

bp = Blueprint("security", __name__, url_prefix="/account/security")
log = logging.getLogger("companion.security")


# What a mediator or admin without a key may still reach.
OPEN_WITHOUT_KEY = {
    "auth.logout",
    "auth.reauth",
    "auth.reauth_key_options",
    "auth.reauth_key_check",
    "main.set_language",
    "main.manifest",
    "main.service_worker",
    "main.healthz",
    "main.offline",
    "main.outbox_session",  # the outbox's token: a logout made without network must reach the server
}
KEY_ROLES = ("mediator", "admin")
OFFER_SIGNOUT = "offer_signout"


@bp.before_app_request
def keys_first():
    endpoint = request.endpoint or ""
    # The endpoint first: what is open to all must not load the session (static files never get here).
    if endpoint.startswith("security.") or endpoint in OPEN_WITHOUT_KEY:
        return None
    if not current_user.is_authenticated or current_user.role not in KEY_ROLES or wa.has_key(current_user):
        return None
    message = _l("Your role needs a security key. Please add one to continue.")
    # Background fetches (the worker, a page's script) get a plain refusal: following a redirect to
    # the key page would queue a message and rewrite the session cookie under the page's feet.
    background = request.headers.get("Sec-Fetch-Mode", "navigate") != "navigate"
    if wants_json() or background or request.method != "GET":
        return jsonify(error=403, message=str(message)), 403
    flash(message, "info")
    return redirect(url_for("security.add_key", next=request.full_path.rstrip("?")))


@bp.app_context_processor
def banner():
    def needs_key_banner() -> bool:
        endpoint = request.endpoint or ""
        if not current_user.is_authenticated or endpoint.startswith(("security.", "auth.")):
            return False
        return not wa.has_key(current_user)

    return {"needs_key_banner": needs_key_banner}


def _describe(agent: str) -> str:
    """A few plain words for a browser's User-Agent ("Chrome on Android")."""
    browser = next(
        (
            name
            for key, name in (
                ("Edg/", "Edge"),
                ("Firefox", "Firefox"),
                ("SamsungBrowser", "Samsung Internet"),
                ("Chrome", "Chrome"),
                ("Safari", "Safari"),
            )
            if key in agent
        ),
        "",
    )
    system = next(
        (
            name
            for key, name in (
                ("Android", "Android"),
                ("iPhone", "iPhone"),
                ("iPad", "iPad"),
                ("Windows", "Windows"),
                ("Mac OS", "Mac"),
                ("Linux", "Linux"),
            )
            if key in agent
        ),
        "",
    )
    if browser and system:
        return str(_l("%(browser)s on %(system)s", browser=browser, system=system))
    return browser or system or str(_l("Unknown device"))


@bp.route("/")
@account_route
def index():
    return _page(_zone_form())


def _page(zone_form: TimeZoneForm, status: int = 200):
    current = current_user.current_session
    devices = [
        {"s": s, "label": _describe(s.user_agent), "this": current is not None and s.id == current.id}
        for s in sessions.signed_in_devices(current_user)
    ]
    return render_template(
        "security/index.html",
        keys=wa.credentials_of(current_user),
        devices=devices,
        codes_left=recovery.remaining(current_user),
        offer_signout=session.pop(OFFER_SIGNOUT, False),
        zone_form=zone_form,
    ), status


def _zone_form(form: TimeZoneForm | None = None) -> TimeZoneForm:
    form = form or TimeZoneForm(timezone=current_user.timezone)
    form.timezone.choices = time_zones.choices()
    return form


@bp.route("/time-zone", methods=["POST"])
@account_route
def set_time_zone():
    form = _zone_form(TimeZoneForm())
    if not form.validate_on_submit():
        return redirect(url_for("security.index"))
    try:
        changed = time_zones.set_zone(current_user, form.timezone.data)
    except ServiceError as exc:  # not one of the places listed: the page again, saying so
        db.session.rollback()
        form.timezone.errors = [exc.message]
        return _page(form, exc.status)
    db.session.commit()
    if changed:
        flash(_l("Saved: dates and times now follow the time where you live."), "success")
    return redirect(url_for("security.index") + "#zone-h")


@bp.route("/keys/new")
@account_route
@fresh_login_required
def add_key():
    next_url = safe_next(request.args.get("next"), "security.index")
    return render_template(
        "security/add_key.html",
        next_url=next_url,
        has_key=wa.has_key(current_user),
        shared=shared_device(),
        default_name=_describe(request.headers.get("User-Agent", "")),
    )


def _stale():
    """JSON answer when the login is not fresh: the page sends the person to confirm it is them."""
    if sessions.is_fresh(current_user.current_session, current_app.config["FRESH_LOGIN_MINUTES"]):
        return None
    back = url_for("security.add_key", next=safe_next(request.args.get("next"), "security.index"))
    return jsonify(
        error=401,
        message=str(_l("Please confirm it is you first.")),
        redirect=url_for("auth.reauth", next=back),
    ), 401


@bp.route("/keys/options", methods=["POST"])
@account_route
def key_options():
    return _stale() or webauthn_io.options("register", current_user, "wa_register")


@bp.route("/keys", methods=["POST"])
@account_route
def register_key():
    stale = _stale()
    if stale:
        return stale

    def done(body):
        extra = request.get_json(silent=True) or {}
        name = extra.get("name") if isinstance(extra.get("name"), str) else None
        first = not wa.has_key(current_user)
        cred = wa.register_key(current_user, webauthn_io.relying_party(), body, name,
                               shared_device=shared_device())
        db.session.commit()
        log.info("key added user=%s key=%s", current_user.id, cred.id)
        next_url = safe_next(
            extra.get("next") if isinstance(extra.get("next"), str) else None, "security.index"
        )
        flash(
            _l("Your key “%(name)s” is added. Next time, you will use it to log in.", name=cred.name),
            "success",
        )
        if first and recovery.remaining(current_user) == 0:
            # The first key: without a recovery sheet, losing it would lock the person out.
            return jsonify(redirect=url_for("security.recovery_sheet", next=next_url))
        return jsonify(redirect=next_url)

    return webauthn_io.run("wa_register", done)


@bp.route("/keys/<int:key_id>/rename", methods=["POST"])
@account_route
def rename_key(key_id: int):
    form = RenameKeyForm()
    if form.validate_on_submit():
        wa.rename(current_user, key_id, form.name.data)
        db.session.commit()
        flash(_l("The key is renamed."), "success")
    else:
        flash(_l("Give this key a name."), "error")
    return redirect(url_for("security.index"))


@bp.route("/keys/<int:key_id>/remove", methods=["POST"])
@account_route
@fresh_login_required
def remove_key(key_id: int):
    if ActionForm().validate_on_submit():
        cred = wa.remove(current_user, key_id)
        db.session.commit()
        log.info("key removed user=%s key=%s", current_user.id, key_id)
        flash(
            _l("The key “%(name)s” is removed. It cannot be used to log in any more.", name=cred.name),
            "success",
        )
        session[OFFER_SIGNOUT] = True
    return redirect(url_for("security.index"))


@bp.route("/recovery", methods=["GET", "POST"])
@account_route
@fresh_login_required
def recovery_sheet():
    """GET explains; POST makes a new set of codes and shows them once, as a page to print."""
    form = ActionForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    next_url = safe_next(form.next.data, "security.index")
    if request.method == "POST" and form.validate_on_submit():
        codes = recovery.generate(current_user)
        db.session.commit()
        log.info("recovery codes created user=%s", current_user.id)
        made_at = utcnow()
        # Also as a text file to keep: the codes are shown once and never stored in clear, so the file is
        # made here, inside the page (a data: link), not served later by another request.
        text = "" if shared_device() else render_template("security/recovery_sheet.txt", codes=codes,
                                                           made_at=made_at)
        resp = current_app.make_response(render_template(
            "security/recovery_sheet.html", codes=codes, next_url=next_url, made_at=made_at,
            text_file="data:text/plain;charset=utf-8," + quote(text.replace("\n", "\r\n"))))
        resp.headers["Cache-Control"] = "no-store"  # the codes must not stay in any cache
        return resp
    return render_template(
        "security/recovery.html", form=form, codes_left=recovery.remaining(current_user), next_url=next_url
    )


@bp.route("/devices/others/sign-out", methods=["POST"])
@account_route
def sign_out_others():
    if ActionForm().validate_on_submit():
        sessions.sign_out_others(current_user, current_user.current_session)
        db.session.commit()
        flash(_l("Done: you are now logged in on this device only."), "success")
    return redirect(url_for("security.index"))


@bp.route("/devices/<int:session_id>/sign-out", methods=["POST"])
@account_route
def sign_out_device(session_id: int):
    if ActionForm().validate_on_submit() and sessions.revoke_own(current_user, session_id):
        db.session.commit()
        flash(_l("This device is signed out."), "success")
    return redirect(url_for("security.index"))


@bp.route("/password", methods=["GET", "POST"])
@account_route
@fresh_login_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        cfg = current_app.config
        try:
            accounts.change_password(current_user, form.password.data,
                                     (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"]))
        except ServiceError as exc:
            return refuse(form, exc, "security/password.html")
        db.session.commit()
        flash(_l("Your password is changed."), "success")
        session[OFFER_SIGNOUT] = True
        return redirect(url_for("security.index"))
    return render_template("security/password.html", form=form), (422 if form.errors else 200)
