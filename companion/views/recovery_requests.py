"""The owner's answer to an assisted recovery waiting on her account (issue 12): a banner on every page,
a page listing the requests with "Yes, it is me" (after a fresh login) and "No, cancel it" (from any
signed-in device); and the page the person at the counter sees after choosing the new password."""

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, url_for
from flask import session as flask_session
from flask_login import current_user

from ..extensions import db
from ..forms.onboarding import StepForm
from ..services import ServiceError, recovery_hold
from ..texts import lazy_gettext as _l
from ..web.routes import account_route, public_route
from ..web.signin import fresh_login_required

bp = Blueprint("recovery_requests", __name__)



@bp.app_context_processor
def _banner():
    def recovery_waiting() -> bool:
        return (current_user.is_authenticated and current_user.role == "person"
                and recovery_hold.has_waiting(current_user))
    return {"recovery_waiting": recovery_waiting}


@bp.route("/account/recovery-requests")
@account_route
def index():
    return render_template("recovery_requests/index.html", form=StepForm(),
                           requests=recovery_hold.waiting_for(current_user))


def _answer(action):
    form = StepForm()
    if not form.validate_on_submit():
        raise ServiceError(_l("This form has expired. Please go back, reload the page and try again."))
    try:
        action()
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("recovery_requests.index"))
    db.session.commit()
    return None


@bp.route("/account/recovery-requests/<int:pending_id>/cancel", methods=["POST"])
@account_route
def cancel(pending_id: int):
    # No fresh login: stopping a change to the account can only protect its owner.
    detour = _answer(lambda: recovery_hold.cancel(current_user, pending_id))
    if detour is None:
        flash(_l("Stopped. Nothing changes on your account: your password and your keys still work. "
                 "If you did not ask for it, tell your France Services office."), "success")
    return detour or redirect(url_for("recovery_requests.index"))


@bp.route("/account/recovery-requests/<int:pending_id>/confirm", methods=["POST"])
@account_route
@fresh_login_required
def confirm(pending_id: int):
    detour = _answer(lambda: recovery_hold.confirm(current_user, pending_id, current_user.current_session))
    if detour is None:
        flash(_l("Done. Your new password works now. Your old keys were removed: add this phone as a key."),
              "success")
    return detour or redirect(url_for("main.home"))


@bp.route("/onboarding/recover/waiting")
@public_route
def waiting():
    """For the person at the counter: when the new password will work, and who was told."""
    raw = flask_session.get("recovery_waiting_until")
    try:
        until = datetime.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        until = None
    if until is None:
        return redirect(url_for("main.home"))  # nothing chosen in this browser
    return render_template("recovery_requests/waiting.html", until=until)
