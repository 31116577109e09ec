"""A forgotten password: the link by e-mail (services/password_reset.py), then a new password.
Every answer is a redirect after a POST; the request page answers the same for any address."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for

from ..extensions import db, limiter
from ..forms.auth import ForgotPasswordForm
from ..forms.security import PasswordChangeForm
from ..services import ServiceError, mail, password_reset
from ..texts import lazy_gettext as _l
from ..web.refusals import refuse
from ..web.routes import public_route

bp = Blueprint("forgot", __name__)


@bp.route("/password/forgot", methods=["GET", "POST"])
@public_route
@limiter.limit(lambda: current_app.config["CODE_RATE_LIMIT"], methods=["POST"])
def request_link():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        password_reset.request_link(form.email.data)
        db.session.commit()
        mail.send_queued()
        return redirect(url_for("forgot.sent"))
    return render_template("auth/forgot.html", form=form), (422 if form.errors else 200)


@bp.route("/password/forgot/sent")
@public_route
def sent():
    return render_template("auth/forgot_sent.html")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public_route
@limiter.limit(lambda: current_app.config["CODE_RATE_LIMIT"], methods=["POST"])
def reset(token: str):
    try:
        user = password_reset.user_for(token)
    except ServiceError as exc:
        return render_template("auth/reset_refused.html", message=exc.message), exc.status
    form = PasswordChangeForm()
    if form.validate_on_submit():
        cfg = current_app.config
        cost = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"])
        try:
            password_reset.reset(token, form.password.data, cost)
        except ServiceError as exc:
            if exc.status == 410:  # used meanwhile (the same link sent twice at once): as when opened again
                db.session.rollback()
                return render_template("auth/reset_refused.html", message=exc.message), exc.status
            return refuse(form, exc, "auth/reset.html", user=user)
        db.session.commit()
        flash(_l("Your password is changed. Log in with it now."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=user), (422 if form.errors else 200)
