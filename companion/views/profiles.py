"""A profile's page, a child's profile, co-owners, and the profile switcher."""

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..forms.profiles import ChildForm, CoOwnerForm, ProfileForm
from ..models.types import utcnow
from ..services import ServiceError, dates, delegation_rows, dependents, profiles
from ..services.access import Access, require_access
from ..texts import lazy_gettext as _l
from ..web.idempotency import idempotent
from ..web.inputs import db_int
from ..web.navigation import reachable_profiles
from ..web.refusals import refuse
from ..web.routes import account_route, profile_route
from ..web.signin import fresh_login_required

bp = Blueprint("profiles", __name__)


def _today() -> date:
    return dates.local_today(now=utcnow())  # the signed-in person's day, not the server's (UTC)


@bp.route("/p/<int:profile_id>/")
@profile_route("profile", "profile.view")
def show(access: Access):
    others = [a for a in reachable_profiles(current_user) if a.profile.id != access.profile.id]
    owners = profiles.owners(access.profile.id) if access.is_owner else []
    helpers = delegation_rows.current_caregivers(access.profile.id) if access.is_owner else []
    # A dependent adult's manager is asked to review the legal basis once its date has passed.
    dependent = dependents.of(access.profile.id) if any(o.relation == "manager" for o, _u in owners) else None
    return render_template("profiles/show.html", access=access, others=others, owners=owners, helpers=helpers,
                           dependent=dependent,
                           dependent_review=dependent and dependents.review_state(dependent, _today()),
                           age=profiles.age(access.profile.birth_date, _today()),
                           months=profiles.age_in_months(access.profile.birth_date, _today()))


@bp.route("/p/<int:profile_id>/edit", methods=["GET", "POST"])
@profile_route("manage")
@idempotent
def edit(access: Access):
    profile = access.profile
    form = ProfileForm(obj=profile)
    if form.validate_on_submit():
        try:
            profiles.update(access, current_user, first_name=form.first_name.data,
                            last_name=form.last_name.data, birth_date=form.birth_date.data, sex=form.sex.data,
                            ins=form.ins.data, today=_today())
        except ServiceError as exc:
            return refuse(form, exc, "profiles/edit.html", access=access)
        db.session.commit()
        flash(_l("The profile is saved."), "success")
        return redirect(url_for("profiles.show", profile_id=profile.id))
    return render_template("profiles/edit.html", form=form, access=access), (422 if form.errors else 200)


@bp.route("/p/<int:profile_id>/owners", methods=["GET", "POST"])
@profile_route("manage")
def owners(access: Access):
    if request.method == "POST":
        return _add_owner(access)
    return render_template("profiles/owners.html", form=CoOwnerForm(),
                           access=access, owners=profiles.owners(access.profile.id))


@fresh_login_required  # another person gets full control of the profile: confirm it is really the owner
def _add_owner(access: Access):
    form = CoOwnerForm()
    ctx: dict[str, Any] = {"access": access, "owners": profiles.owners(access.profile.id)}
    if form.validate_on_submit():
        try:
            profiles.add_co_owner(access, current_user, form.email.data, form.relation.data)
        except ServiceError as exc:
            return refuse(form, exc, "profiles/owners.html", **ctx)
        db.session.commit()
        flash(_l("Done: this person now manages the profile with you."), "success")
        return redirect(url_for("profiles.owners", profile_id=access.profile.id))
    return render_template("profiles/owners.html", form=form, **ctx), (422 if form.errors else 200)


@bp.route("/p/<int:profile_id>/owners/<int:owner_id>/remove", methods=["POST"])
@profile_route("manage")
def remove_owner(access: Access, owner_id: int):
    rows = profiles.owners(access.profile.id)
    leaving = any(o.id == owner_id and o.user_id == current_user.id for o, _ in rows)
    profiles.remove_owner(access, current_user, owner_id)
    db.session.commit()
    flash(_l("Done: this person no longer manages the profile."), "success")
    if leaving:
        return redirect(url_for("main.home"))
    return redirect(url_for("profiles.owners", profile_id=access.profile.id))


@bp.route("/profiles/new", methods=["GET", "POST"])
@account_route
def new_child():
    if current_user.role != "person":
        return render_template("errors/error.html", code=403, title=_l("You cannot do this"),
                               hint=_l("Your account does not allow this action.")), 403
    form = ChildForm()
    if form.validate_on_submit():
        try:
            profile = profiles.create_child(
                current_user, first_name=form.first_name.data, last_name=form.last_name.data,
                birth_date=form.birth_date.data, sex=form.sex.data, ins=form.ins.data, today=_today())
        except ServiceError as exc:
            return refuse(form, exc, "profiles/new.html")
        db.session.commit()
        flash(_l("The profile of %(name)s is ready.", name=profile.full_name), "success")
        return redirect(url_for("profiles.show", profile_id=profile.id))
    return render_template("profiles/new.html", form=form), (422 if form.errors else 200)


@bp.route("/profiles/switch")
@account_route
def switch():
    """The profile switcher: a plain GET form, so it works without JavaScript."""
    target = request.args.get("to", type=db_int)
    if target is None:
        return redirect(url_for("main.home"))
    access = require_access(current_user, target, "profile")
    return redirect(url_for("profiles.show", profile_id=access.profile.id))
