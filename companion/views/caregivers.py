"""Caregivers: the owner invites, renews and ends; the invited person accepts or declines; either
side can end it. Account pages (invitations, people I help) hold no profile data beyond names."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_login import current_user

from ..extensions import db, limiter
from ..forms import caregivers as forms
from ..forms.caregivers import SCOPE_LABELS, TERM_CHOICES, ButtonForm, CodeForm, InviteForm, RenewForm
from ..services import ServiceError, closure, dates, delegation_mail, delegation_rows, delegations, mail
from ..services.access import Access
from ..texts import lazy_gettext as _l
from ..web.refusals import refuse, show_refusal
from ..web.routes import account_route, profile_route
from ..web.signin import fresh_login_required

bp = Blueprint("caregivers", __name__)
CODE_KEY = "invite_code"


def _code_limit():
    return current_app.config["CODE_RATE_LIMIT"]


@bp.app_context_processor
def _home_helpers():
    """Lazy helpers for the home page: open invitations and delegations ending soon."""
    def caregiving_home():
        if not getattr(current_user, "is_authenticated", False) or current_user.role != "person":
            return {"invitations": [], "reminders": []}
        invitations, reminders = delegation_rows.for_home(current_user)
        return {"invitations": invitations, "reminders": reminders}
    return {"caregiving_home": caregiving_home, "scope_labels": SCOPE_LABELS,
            "term_labels": dict(TERM_CHOICES)}


def _page(access: Access, form=None, status=200):
    delegations.note_expired(profile_ids=[access.profile.id])
    db.session.commit()
    return render_template("caregivers/index.html", access=access, form=form or InviteForm(formdata=None),
                           renew_form=RenewForm(formdata=None), button=ButtonForm(),
                           page=delegation_rows.for_profile(access.profile.id),
                           code=_shown_code(access)), status


def _shown_code(access: Access) -> str | None:
    """The code of the invitation just made, kept by the owner's own browser (only its hash is stored)
    while the invitation waits: a refresh of the page shows it again and never invites twice."""
    kept = flask_session.get(CODE_KEY) or {}
    if kept.get("profile") != access.profile.id:
        return None
    if not delegations.is_pending_for_profile(access.profile.id, kept.get("id", 0)):
        flask_session.pop(CODE_KEY, None)
        return None
    return kept.get("code")


def _back_to(access: Access, anchor: str = ""):
    return redirect(url_for("caregivers.index", profile_id=access.profile.id) + anchor)




@bp.route("/p/<int:profile_id>/caregivers")
@profile_route("manage")
def index(access: Access):
    return _page(access)


@bp.route("/p/<int:profile_id>/caregivers/invite", methods=["POST"])
@profile_route("manage")
@fresh_login_required  # grants someone access to health data: confirm it is really the owner
def invite(access: Access):
    form = InviteForm()
    if not form.validate_on_submit():
        return _page(access, form=form, status=422)
    by_email = form.how.data == "email"
    if by_email and not (form.email.data or "").strip():
        form.email.errors = [_l("Enter their e-mail address, or choose a code.")]
        return _page(access, form=form, status=422)
    term = None if form.term.data == "date" else form.term.data
    if term is None and form.end_date.data is None:
        form.end_date.errors = [_l("Choose the end date.")]
        return _page(access, form=form, status=422)
    try:
        invitation = delegations.invite(
            access, current_user, scopes=form.scopes.data, email=form.email.data if by_email else None,
            label=form.label.data, term=term, end_date=form.end_date.data if term is None else None,
            see_hidden=form.see_hidden.data, tz=current_user.timezone)
    except ServiceError as exc:
        show_refusal(form, exc)
        return _page(access, form=form, status=exc.status)
    if invitation.mailed:
        delegation_mail.send_invitation(invitation, current_user, access.profile)
        db.session.commit()
        mail.send_queued()
        flash(_l("Invitation sent by e-mail to %(email)s, with a code to type after creating an account.",
                 email=invitation.delegation.invited_email), "success")
        return _back_to(access)
    db.session.commit()
    if invitation.code:
        # Shown on the page we redirect to (a refresh must not invite again); never stored in clear.
        flask_session[CODE_KEY] = {"profile": access.profile.id, "id": invitation.delegation.id,
                                   "code": invitation.code}
        return _back_to(access, "#code")
    flash(_l("Invitation sent. %(email)s will see it when they log in to Companion.",
             email=invitation.delegation.invited_email), "success")
    return redirect(url_for("caregivers.index", profile_id=access.profile.id))


@bp.route("/p/<int:profile_id>/caregivers/<int:delegation_id>/end", methods=["GET", "POST"])
@profile_route("manage")
def revoke(access: Access, delegation_id: int):
    """GET asks first (one tap must not end someone's access by mistake); POST ends it."""
    d = delegations.get_for_profile(access.profile.id, delegation_id)
    if request.method == "GET":
        return render_template("caregivers/end_confirm.html", access=access, d=d, button=ButtonForm(),
                               name=delegations.caregiver_name(d))
    if not ButtonForm().validate_on_submit():
        return _page(access, status=400)
    delegations.end(current_user, d, role="owner")
    db.session.commit()
    flash(_l("Done: %(name)s no longer has access.", name=delegations.caregiver_name(d)), "success")
    return redirect(url_for("caregivers.index", profile_id=access.profile.id))


@bp.route("/p/<int:profile_id>/caregivers/<int:delegation_id>/change", methods=["POST"])
@profile_route("manage")
@fresh_login_required
def change(access: Access, delegation_id: int):
    form = forms.ChangeForm()
    d = delegations.get_for_profile(access.profile.id, delegation_id)
    if not form.validate_on_submit():
        return _page(access, status=422)
    try:
        delegations.change(access, current_user, d, scopes=form.scopes.data, see_hidden=form.see_hidden.data)
    except ServiceError as exc:
        show_refusal(None, exc)
        return _page(access, status=exc.status)
    db.session.commit()
    flash(_l("Changed: %(name)s may now do only what is ticked.", name=delegations.caregiver_name(d)),
          "success")
    return redirect(url_for("caregivers.index", profile_id=access.profile.id))


@bp.route("/p/<int:profile_id>/caregivers/<int:delegation_id>/renew", methods=["POST"])
@profile_route("manage")
@fresh_login_required
def renew(access: Access, delegation_id: int):
    form = RenewForm()
    d = delegations.get_for_profile(access.profile.id, delegation_id)
    card = f"#delegation-{d.id}"  # back to the card, with the message above it (POST-redirect-GET)
    if not form.validate_on_submit():
        flash(next(iter(next(iter(form.errors.values()), [])), _l("Choose the end date.")), "error")
        return _back_to(access, card)
    term = None if form.term.data == "date" else form.term.data
    if term is None and form.end_date.data is None:
        flash(_l("Choose the end date."), "error")
        return _back_to(access, card)
    try:
        delegations.renew(access, current_user, d, term=term, tz=current_user.timezone,
                          end_date=form.end_date.data if term is None else None)
    except ServiceError as exc:
        show_refusal(None, exc)
        return _back_to(access, card)
    db.session.commit()
    flash(_l("Saved: %(name)s has access until %(date)s.", name=delegations.caregiver_name(d),
             date=dates.day(d.expires_at)), "success")
    return redirect(url_for("caregivers.index", profile_id=access.profile.id))


@bp.route("/caregiving")
@account_route
def helping():
    return render_template("caregivers/helping.html", people=delegation_rows.helped(current_user),
                           closing=closure.ended_for_helper(current_user),
                           invitations=delegation_rows.invitations_for(current_user), button=ButtonForm())


def _answer(d, accept: bool):
    if accept:
        delegations.accept(current_user, d)
        db.session.commit()
        flash(_l("You now help %(name)s.", name=delegations.profile_name(d)), "success")
        return redirect(url_for("profiles.show", profile_id=d.profile_id))
    delegations.decline(current_user, d)
    db.session.commit()
    flash(_l("Invitation declined. Nothing was shared."), "success")
    return redirect(url_for("caregivers.helping"))


@bp.route("/invitations/<int:delegation_id>/<any(accept, decline):answer>", methods=["POST"])
@account_route
def answer(delegation_id: int, answer: str):
    if not ButtonForm().validate_on_submit():
        return redirect(url_for("caregivers.helping"))
    return _answer(delegations.invitation_for(current_user, delegation_id), answer == "accept")


@bp.route("/invitations/code", methods=["GET", "POST"])
@account_route
@limiter.limit(_code_limit, methods=["POST"])
def code():
    """Step 1: type the code; step 2 shows who invites and what for, then accept or decline."""
    form = CodeForm()
    if form.validate_on_submit():
        try:
            d = delegations.find_by_code(form.code.data)
        except ServiceError as exc:
            return refuse(form, exc, "caregivers/code.html", default_field="code")
        return render_template("caregivers/code_confirm.html", form=form, r=delegation_rows.one(d))
    return render_template("caregivers/code.html", form=form), (422 if form.errors else 200)


@bp.route("/invitations/code/<any(accept, decline):answer>", methods=["POST"])
@account_route
@limiter.limit(_code_limit)
def answer_code(answer: str):
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("caregivers/code.html", form=form), 422
    try:
        d = delegations.find_by_code(form.code.data)
        return _answer(d, answer == "accept")
    except ServiceError as exc:
        return refuse(form, exc, "caregivers/code.html", default_field="code")


@bp.route("/caregiving/<int:delegation_id>/end", methods=["POST"])
@account_route
def leave(delegation_id: int):
    if ButtonForm().validate_on_submit():
        d = delegations.held_by(current_user, delegation_id)
        delegations.end(current_user, d, role="caregiver")
        db.session.commit()
        flash(_l("Done: you no longer help %(name)s.", name=delegations.profile_name(d)), "success")
    return redirect(url_for("caregivers.helping"))
