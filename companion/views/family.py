"""The family agenda (one page with what is due for everyone the account manages or helps; kept by the
service worker like the agenda, it is in the account's offline manifest), and a child growing up: the
page about the coming stages, the teen's login code, and what the teen lets the parents see."""


from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as flask_session
from flask_login import current_user

from ..extensions import db, limiter
from ..forms.family import MakeCodeForm, ParentViewForm, TeenCodeForm
from ..models.types import utcnow
from ..prevention import load_rules
from ..services import ServiceError, dates, family_agenda, family_stages, mail, teen_codes
from ..services.access import Access
from ..texts import lazy_gettext as _l
from ..web.client import locale
from ..web.navigation import reachable_profiles, redirect_next
from ..web.refusals import refuse
from ..web.routes import account_route, commit_read, profile_route
from ..web.signin import ask_fresh_login, fresh_login_required
from ..web.sw_contract import background_copy, keep_offline, page_profiles

bp = Blueprint("family", __name__)
CODE_KEY = "teen_code"


@bp.app_context_processor
def _home_notices():
    return {"family_notices": lambda: family_stages.notices(current_user, reachable_profiles(current_user))}


@bp.route("/family")
@account_route
def agenda():
    """Reaches profiles only through accessible_profiles (web.navigation.reachable_profiles); each helped
    person's read goes to that person's access log, once for this view."""
    accesses = reachable_profiles(current_user)
    now = utcnow()
    today = dates.local_today()
    people = family_agenda.people(accesses, current_user, today, now)
    if family_agenda.record_reads(accesses, current_user, copy=background_copy()):
        commit_read()  # the helped people's log entries, without reloading what the page holds
    html = render_template("family/agenda.html", people=people, today=today, lang=locale(),
                           rules=load_rules())
    return page_profiles(keep_offline(make_response(html)), [p.access.profile.id for p in people])


def _page(access: Access, view_form=None, status=200):
    profile = access.profile
    kept = flask_session.get(CODE_KEY) or {}
    code = kept.get("code") if kept.get("profile") == profile.id else None
    form = view_form or ParentViewForm(formdata=None, scopes=profile.parent_scopes.split(),
                                       keep_parents=profile.keep_parents)
    ages = family_stages.Ages.from_config()
    child = profile.birth_date is not None and family_stages.made_for_a_minor(profile, ages)
    return render_template("family/growing_up.html", access=access, profile=profile,
                           is_teen=profile.user_id == current_user.id, code=code,
                           dates=ages.dates(profile.birth_date) if child else {},  # type: ignore[arg-type]
                           button=MakeCodeForm(), form=form), status


@bp.route("/p/<int:profile_id>/growing-up")
@profile_route("manage")
def growing_up(access: Access):
    return _page(access)


@bp.route("/p/<int:profile_id>/growing-up/code", methods=["POST"])
@profile_route("manage")
@fresh_login_required  # whoever types the code owns the profile, the parents narrowed: confirm it is one
def make_code(access: Access):
    if not MakeCodeForm().validate_on_submit():
        return _page(access, status=400)
    try:
        code = teen_codes.make(access, current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _page(access, status=exc.status)
    db.session.commit()
    # Shown on the page by this browser only (only the code's hash is stored), until it is replaced.
    flask_session[CODE_KEY] = {"profile": access.profile.id, "code": code}
    flash(_l("Here is the code. Give it to %(name)s.", name=access.profile.first_name), "success")
    return redirect(url_for("family.growing_up", profile_id=access.profile.id) + "#teen-code")


@bp.route("/p/<int:profile_id>/growing-up/parents", methods=["POST"])
@profile_route("manage")
def parent_view(access: Access):
    form = ParentViewForm()
    if not form.validate_on_submit():
        return _page(access, form, 400)
    scopes, keep = form.scopes.data or [], bool(form.keep_parents.data)
    # Giving the parents more is a grant of health data: whoever holds the teen's open phone must
    # prove they are the teen (the parents' view is only ever widened by a fresh login).
    if teen_codes.widens_parent_view(access.profile, scopes, keep) and (again := ask_fresh_login()):
        return again
    try:
        teen_codes.set_parent_view(access, current_user, scopes, keep)
    except ServiceError as exc:
        return refuse(form, exc, "family/growing_up.html", access=access, profile=access.profile,
                      is_teen=False, code=None, dates={}, button=MakeCodeForm())
    db.session.commit()
    flash(_l("Saved. Your parents now see only what you chose."), "success")
    return redirect(url_for("family.growing_up", profile_id=access.profile.id))


def _code_limit():
    return current_app.config["CODE_RATE_LIMIT"]


@bp.route("/family/join", methods=["GET", "POST"])
@account_route
@limiter.limit(_code_limit, methods=["POST"])
def join():
    """The teen types the code their parents gave them (alone, or with a France Services mediator)."""
    form = TeenCodeForm()
    if form.validate_on_submit():
        try:
            profile = teen_codes.claim(current_user, form.code.data)
        except ServiceError as exc:
            db.session.rollback()
            return refuse(form, exc, "family/join.html", default_field="code")
        db.session.commit()
        mail.send_queued()
        flash(_l("Welcome! Your health space is now yours too."), "success")
        if request.args.get("next"):  # back to the France Services guided session
            return redirect_next(request.args.get("next"))
        return redirect(url_for("family.growing_up", profile_id=profile.id))
    return render_template("family/join.html", form=form), (422 if form.errors else 200)
