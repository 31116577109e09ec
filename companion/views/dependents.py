"""Dependent adults: create one (with the legal basis and its proof), review the basis, give the code
with which the adult takes the profile back, and the adult's side of that in a help session."""

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db, limiter
from ..forms.dependents import ClaimCodeForm, ClaimForm, DependentForm, ReviewForm
from ..models.types import utcnow
from ..services import ServiceError, dates, dependents, documents, onboarding
from ..services.access import Access
from ..texts import lazy_gettext as _l
from ..web import cookies
from ..web.refusals import refuse
from ..web.routes import account_route, profile_route, public_route
from ..web.signin import fresh_login_required, start_session

bp = Blueprint("dependents", __name__)


def _today() -> date:
    return dates.local_today(now=utcnow())  # the signed-in person's day, not the server's (UTC)


def _max_bytes() -> int:
    return current_app.config["MAX_UPLOAD_BYTES"]


@bp.route("/dependents/new", methods=["GET", "POST"])
@account_route
def new():
    form = DependentForm()
    if form.validate_on_submit():
        try:
            profile, added = dependents.create(
                current_user, first_name=form.first_name.data, last_name=form.last_name.data,
                birth_date=form.birth_date.data, sex=form.sex.data, legal_basis=form.legal_basis.data,
                review_on=form.review_on.data, proof=form.proof.data.read(_max_bytes() + 1), today=_today())
        except ServiceError as exc:
            return refuse(form, exc, "dependents/new.html")
        try:
            db.session.commit()
        except Exception:
            db.session.rollback()
            documents.discard_blob(added.document)  # the row is gone: the file goes too
            raise
        flash(_l("The profile of %(name)s is ready.", name=profile.full_name), "success")
        return redirect(url_for("dependents.show", profile_id=profile.id))
    return render_template("dependents/new.html", form=form), (422 if form.errors else 200)


def _dependent(access: Access):
    dep = dependents.of(access.profile.id)
    if dep is None or dep.claimed_at is not None:
        raise ServiceError(_l("This page does not exist or is not yours to see."), status=404)
    return dep


def _page(access: Access, dep, form=None, status: int = 200):
    form = form or ReviewForm(legal_basis=dep.legal_basis)
    return render_template("dependents/show.html", access=access, dep=dep, form=form,
                           state=dependents.review_state(dep, _today()),
                           basis=dependents.BASIS_LABELS[dep.legal_basis]), status


@bp.route("/p/<int:profile_id>/dependent")
@profile_route("manage")
def show(access: Access):
    return _page(access, _dependent(access))


@bp.route("/p/<int:profile_id>/dependent/review", methods=["POST"])
@profile_route("manage")
def review(access: Access):
    dep = _dependent(access)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _page(access, dep, form, 422)
    try:
        dependents.confirm_review(access, current_user, dep, legal_basis=form.legal_basis.data,
                                  review_on=form.review_on.data, today=_today())
    except ServiceError as exc:
        return refuse(form, exc, "dependents/show.html", access=access, dep=dep,
                      state=dependents.review_state(dep, _today()),
                      basis=dependents.BASIS_LABELS[dep.legal_basis])
    db.session.commit()
    flash(_l("Thank you: the legal basis is confirmed."), "success")
    return redirect(url_for("dependents.show", profile_id=access.profile.id))


@bp.route("/p/<int:profile_id>/dependent/claim-code", methods=["POST"])
@profile_route("manage")
@fresh_login_required  # the code hands the whole profile over: confirm it is really the manager
def claim_code(access: Access):
    dep = _dependent(access)
    if not ClaimCodeForm().validate_on_submit():
        raise ServiceError(_l("This form has expired. Please go back, reload the page and try again."))
    code = dependents.make_claim_code(access, current_user, dep)
    db.session.commit()
    # Shown once, like a recovery code: only its hash is kept, so the page is not a redirect.
    return render_template("dependents/claim_code.html", access=access, code=code,
                           days=dependents.CLAIM_DAYS), 201


@bp.route("/onboarding/claim", methods=["GET", "POST"])
@public_route
@limiter.limit(lambda: current_app.config["CODE_RATE_LIMIT"], methods=["POST"])
def claim():
    """The adult, in a help session at France Services, takes their profile back with the manager's code."""
    sess = onboarding.for_device(cookies.get(cookies.ONBOARDING))
    if sess is None or sess.consent_at is None:
        raise ServiceError(_l("No help session is open on this phone. Enter the code your advisor gives "
                              "you."), status=404)
    form = ClaimForm()
    if form.validate_on_submit():
        cost = current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"]
        try:
            user = dependents.claim(sess, form.code.data, email=form.email.data,
                                    password=form.password.data or None, display_name=form.display_name.data,
                                    cost=cost, locale=request.cookies.get("lang"))
        except ServiceError as exc:
            return refuse(form, exc, "dependents/claim.html", sess=sess, default_field="code")
        start_session(user, shared_device=sess.shared_device)
        onboarding.attach_person(sess, user)
        onboarding.record_step(sess, user, "account", "done")
        db.session.commit()
        flash(_l("Welcome: this profile is yours now. You can end the help of the person who managed it, "
                 "on the page of your helpers."), "success")
        return redirect(url_for("onboarding.guide"))
    return render_template("dependents/claim.html", form=form, sess=sess), (422 if form.errors else 200)
