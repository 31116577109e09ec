"""Closing a child's profile or the whole account (issue 17): the page that says what is deleted and
what is kept, offers the export first, and asks again for the password; cancelling, from the page or
from the banner on the home page."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from ..extensions import db
from ..forms.closure import CloseForm
from ..services import ServiceError, closure, dates
from ..services.access import Access
from ..texts import lazy_gettext as _l
from ..web.refusals import refuse
from ..web.routes import account_route, profile_route
from ..web.signin import fresh_login_required

bp = Blueprint("closure", __name__)


def _profile_page(access: Access, form: CloseForm, status: int = 200):
    return render_template("closure/profile.html", access=access, form=form,
                           plan=closure.plan_for_profile(access.profile),
                           pending=closure.of_profile(access.profile.id),
                           days=closure.cooling_off().days), status


@bp.route("/p/<int:profile_id>/close", methods=["GET"])
@profile_route("manage")
def profile_page(access: Access):
    return _profile_page(access, CloseForm())


@bp.route("/p/<int:profile_id>/close", methods=["POST"])
@profile_route("manage")
@fresh_login_required  # everything in the profile goes: confirm it is really an owner
def close_profile(access: Access):
    form = CloseForm()
    if not form.validate_on_submit():
        return _profile_page(access, form, 422)
    try:
        row = closure.request_profile(access, current_user)
    except ServiceError as exc:
        return refuse(form, exc, "closure/profile.html", access=access, plan=closure.plan_for_profile(
            access.profile), pending=closure.of_profile(access.profile.id), days=closure.cooling_off().days)
    db.session.commit()
    _send()
    flash(_l("The closure is asked. The profile will be deleted on %(date)s. You can cancel until then.",
             date=dates.day(row.closes_at)), "success")
    return redirect(url_for("closure.profile_page", profile_id=access.profile.id))


@bp.route("/p/<int:profile_id>/close/cancel", methods=["POST"])
@profile_route("manage")
def cancel_profile(access: Access):
    # No fresh login: stopping a deletion must stay easy (as cancelling a recovery is).
    row = closure.of_profile(access.profile.id)
    return _cancel(row, url_for("closure.profile_page", profile_id=access.profile.id))


def _cancel(row, back: str):
    if row is None:
        flash(_l("There is no closure to cancel."), "info")
        return redirect(back)
    try:
        closure.cancel(current_user, row)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("main.home"))
    db.session.commit()
    _send()
    flash(_l("The closure is cancelled. Nothing was deleted."), "success")
    return redirect(back)


def _send():
    from ..services import mail

    mail.send_queued()


def _account_page(form: CloseForm, status: int = 200):
    return render_template("closure/account.html", form=form, plan=closure.plan_for_account(current_user),
                           pending=closure.of_account(current_user.id),
                           days=closure.cooling_off().days), status


@bp.route("/account/close", methods=["GET"])
@account_route
def account_page():
    return _account_page(CloseForm())


@bp.route("/account/close", methods=["POST"])
@account_route
@fresh_login_required
def close_account():
    form = CloseForm()
    if not form.validate_on_submit():
        return _account_page(form, 422)
    try:
        row = closure.request_account(current_user)
    except ServiceError as exc:
        return refuse(form, exc, "closure/account.html", plan=closure.plan_for_account(current_user),
                      pending=closure.of_account(current_user.id), days=closure.cooling_off().days)
    db.session.commit()
    _send()
    flash(_l("The closure is asked. Your account will be deleted on %(date)s. You can cancel until then.",
             date=dates.day(row.closes_at)), "success")
    return redirect(url_for("closure.account_page"))


@bp.route("/account/close/cancel", methods=["POST"])
@account_route
def cancel_account():
    return _cancel(closure.of_account(current_user.id), url_for("closure.account_page"))
