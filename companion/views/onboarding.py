"""The person's side of an assisted onboarding: join with a code, consent, then one step per screen.
Also the assisted recovery form (a code from a mediator, a new password)."""

from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as flask_session
from flask_login import current_user, logout_user

from ..extensions import db, limiter
from ..forms.onboarding import AccountForm, ConsentForm, JoinForm, ProfileStepForm, RecoverForm, StepForm
from ..services import ServiceError, accounts, assisted_recovery, onboarding, recovery_hold
from ..services import sessions as user_sessions
from ..services.access import Access
from ..texts import lazy_gettext as _l
from ..web import cookies
from ..web.refusals import refuse, show_refusal
from ..web.routes import account_route, profile_route, public_route
from ..web.signin import start_session
from ..web.sw_contract import wipe_headers

bp = Blueprint("onboarding", __name__)
STEPS = onboarding.STEPS
DEVICE_COOKIE = cookies.ONBOARDING


# Where each step sends the person: (endpoint, needs profile_id). Family offers both a child's
# profile and a caregiver.
TARGETS = {
    "key": [("security.add_key", False)],
    "recovery": [("security.recovery_sheet", False)],
    # The third: a teen at France Services types the login code their parents made (issue 17).
    "family": [("profiles.new_child", False), ("caregivers.index", True), ("family.join", False)],
    "reminders": [("push.settings", False)],
    "document": [("documents.index", True)],
}
TITLES = {
    "account": _l("Create your account"), "key": _l("Use your phone as a key"),
    "recovery": _l("Keep your recovery sheet"), "profile": _l("Complete your profile"),
    "family": _l("Add a child or a helper"), "reminders": _l("Turn on reminders"),
    "document": _l("Keep a first document"),
}


def _code() -> tuple[int, int]:
    return current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"]


def _current():
    """The session this browser or this account is in, or None."""
    sess = onboarding.for_device(cookies.get(DEVICE_COOKIE))
    if sess is None and current_user.is_authenticated and current_user.role == "person":
        sess = onboarding.latest_for_person(current_user)
        if sess is not None:
            onboarding.expire_if_due(sess)
    return sess


def _need():
    sess = _current()
    if sess is None:
        raise ServiceError(
            _l("No help session is open on this phone. Enter the code your advisor gives you."), status=404)
    return sess


def _ran_here(sess) -> bool:
    """Whether this browser joined the session with the code (its `companion_onb` cookie). A session
    found through the account (e.g. on the person's own phone later) is never wiped from here."""
    return onboarding.held_by(sess, cookies.get(DEVICE_COOKIE))


def _wipe_page(sess):
    """End of a session on a shared computer: sign out and wipe; a page, so the worker reads the headers."""
    if current_user.is_authenticated:
        if current_user.current_session is not None:
            user_sessions.revoke(current_user.current_session)
        logout_user()
    flask_session.clear()
    db.session.commit()
    page = make_response(render_template("onboarding/ended.html", shared=True))
    cookies.remove(page, DEVICE_COOKIE)
    return wipe_headers(page, everything=True)


def _gate(sess):
    """Where the person must go instead, or None: a shared-computer session that ended wipes the browser."""
    if sess.ended_at is not None and sess.shared_device and _ran_here(sess):
        return _wipe_page(sess)
    if sess.consent_at is None:
        return redirect(url_for("onboarding.consent"))
    return None


def _step_url(step: str | None):
    if step == "account":
        return url_for("onboarding.account")
    return url_for("onboarding.step", name=step) if step else url_for("onboarding.guide")


def _after(sess, step: str, status: str):
    onboarding.record_step(sess, current_user, step, status)
    db.session.commit()
    return redirect(_step_url(onboarding.next_step(sess)))


@bp.route("/onboarding/join", methods=["GET", "POST"])
@public_route
@limiter.limit(lambda: current_app.config["CODE_RATE_LIMIT"], methods=["POST"])
def join():
    form = JoinForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = onboarding.normalise_code(request.args["code"])[:6]
    if form.validate_on_submit():
        try:
            sess, token = onboarding.claim(form.code.data, bool(form.shared_computer.data))
        except ServiceError as exc:
            return refuse(form, exc, "onboarding/join.html", default_field="code")
        db.session.commit()
        resp = redirect(url_for("onboarding.consent"))
        cookies.put(resp, DEVICE_COOKIE, token, max_age=3600)
        return resp
    return render_template("onboarding/join.html", form=form), (422 if form.errors else 200)


@bp.route("/onboarding/consent", methods=["GET", "POST"])
@public_route
def consent():
    sess = _need()
    if sess.ended_at is not None:
        return _gate(sess) or redirect(url_for("onboarding.guide"))
    form = ConsentForm()
    if form.validate_on_submit():
        if request.form.get("answer") == "agree":
            onboarding.consent(sess)
            db.session.commit()
            return redirect(_step_url(onboarding.next_step(sess)))
        onboarding.end(sess, "person")
        db.session.commit()
        return _finish(sess)
    return render_template("onboarding/consent.html", form=form, sess=sess,
                           mediator=onboarding.mediator_of(sess), structure=sess.structure)


@bp.route("/onboarding/account", methods=["GET", "POST"])
@public_route
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"])
def account():
    sess = _need()
    detour = _gate(sess)
    if detour:
        return detour
    if current_user.is_authenticated:  # signed in already (e.g. through "I have an account")
        onboarding.attach_person(sess, current_user)
        if sess.shared_device and _ran_here(sess) and current_user.current_session is not None:
            onboarding.bind_login(sess, current_user.current_session)
            flask_session.permanent = False  # and the cookie goes with the browser
        return _after(sess, "account", "done")
    form = AccountForm().keep_nothing() if sess.shared_device else AccountForm()
    if form.validate_on_submit():
        try:
            user = accounts.sign_up(form.email.data, form.password.data or None, form.display_name.data,
                                     locale=request.cookies.get("lang"), cost=_code(),
                                     shared_device=sess.shared_device, timezone=form.timezone.data)
        except ServiceError as exc:
            return refuse(form, exc, "onboarding/account.html", default_field="email", sess=sess)
        start_session(user, shared_device=sess.shared_device)
        onboarding.bind_login(sess, user.current_session)
        onboarding.attach_person(sess, user)
        return _after(sess, "account", "done")
    return render_template("onboarding/account.html", form=form, sess=sess), (422 if form.errors else 200)


def _targets(step: str) -> list[str]:
    """Links to the other areas' pages for a step, with a `next` that comes back here."""
    back = url_for("onboarding.back", name=step)
    own = accounts.own_profile(current_user)
    links = []
    for endpoint, needs_profile in TARGETS.get(step, []):
        if not needs_profile:
            links.append(url_for(endpoint, next=back))
        elif own is not None:
            links.append(url_for(endpoint, next=back, profile_id=own.id))
    return links


@bp.route("/onboarding/step/<name>", methods=["GET", "POST"])
@account_route
def step(name: str):
    if name not in STEPS:
        raise ServiceError(_l("This step does not exist."), status=404)
    sess = _need()
    detour = _gate(sess)
    if detour:
        return detour
    if name == "account" or sess.person_id != current_user.id:
        return redirect(url_for("onboarding.account"))
    if name == "profile":
        own = accounts.own_profile(current_user)
        assert own is not None, "the session's person is a person, created with their own profile"
        return redirect(url_for("onboarding.profile_step", profile_id=own.id))
    form = StepForm()
    if form.validate_on_submit():
        return _answer(sess, name, request.form.get("answer"))
    return render_template("onboarding/step.html", form=form, sess=sess, name=name, steps=STEPS,
                           title=TITLES[name], links=_targets(name))


@bp.route("/onboarding/step/<name>/back")
@account_route
def back(name: str):
    """Coming back from another area's page: that step is done (a key only if one exists)."""
    sess = _need()
    detour = _gate(sess)
    if detour:
        return detour
    if name not in STEPS or sess.person_id != current_user.id:
        return redirect(url_for("onboarding.guide"))
    return _answer(sess, name, "done")


def _answer(sess, name: str, answer: str | None):
    """Done or skipped, by the service's rules; a refusal says why on the same step."""
    try:
        if answer == "done":
            onboarding.confirm_done(sess, current_user, name)
        else:
            onboarding.skip(sess, current_user, name)
    except ServiceError as exc:
        show_refusal(None, exc)
        return redirect(url_for("onboarding.step", name=name))
    db.session.commit()
    return redirect(_step_url(onboarding.next_step(sess)))


@bp.route("/p/<int:profile_id>/onboarding/profile", methods=["GET", "POST"])
@profile_route("manage")
def profile_step(access: Access):
    sess = _current()
    if sess is None or access.profile.user_id != current_user.id or sess.person_id != current_user.id:
        return redirect(url_for("onboarding.guide"))  # only the person's own profile is a step
    detour = _gate(sess)
    if detour:
        return detour
    form = ProfileStepForm(obj=access.profile)
    if form.validate_on_submit():
        try:
            onboarding.complete_profile(access, form.birth_date.data, form.sex.data)
        except ServiceError as exc:
            return refuse(form, exc, "onboarding/profile.html", default_field="birth_date", sess=sess,
                          steps=STEPS)
        return _after(sess, "profile", "done")
    if request.method == "POST" and request.form.get("answer") == "skip":
        return _after(sess, "profile", "skipped")
    return render_template("onboarding/profile.html", form=form, sess=sess, steps=STEPS,
                           title=TITLES["profile"]), (422 if form.errors else 200)


@bp.route("/p/<int:profile_id>/onboarding")
@profile_route("manage")
def resume(access: Access):
    return redirect(url_for("onboarding.guide"))


@bp.route("/onboarding/")
@account_route
def guide():
    sess = _current()
    if sess is not None and sess.ended_at is not None and sess.shared_device and _ran_here(sess):
        return _wipe_page(sess)
    return render_template("onboarding/guide.html", sess=sess, steps=STEPS, titles=TITLES,
                           own=accounts.own_profile(current_user))


@bp.route("/onboarding/status.json")
@public_route
def status():
    sess = _current()
    db.session.commit()  # keep a lazy expiry
    return jsonify(ended=bool(sess is None or sess.ended_at is not None))


@bp.route("/onboarding/ended")
@public_route
def ended():
    """Where the page goes when its session was ended by the advisor."""
    sess = _current()
    if sess is not None and sess.ended_at is not None:
        return _finish(sess)
    return redirect(url_for("onboarding.guide") if current_user.is_authenticated else url_for("main.home"))


@bp.route("/onboarding/end", methods=["POST"])
@public_route
def end():
    sess = _need()
    form = StepForm()
    if not form.validate_on_submit():
        raise ServiceError(_l("This form has expired. Please go back, reload the page and try again."))
    onboarding.end(sess, "person")
    db.session.commit()
    return _finish(sess)


def _finish(sess):
    if sess.shared_device and _ran_here(sess):
        return _wipe_page(sess)
    resp = make_response(render_template("onboarding/ended.html", shared=False))
    cookies.remove(resp, DEVICE_COOKIE)
    return resp


@bp.route("/onboarding/recover", methods=["GET", "POST"])
@public_route
@limiter.limit(lambda: current_app.config["CODE_RATE_LIMIT"], methods=["POST"])
def recover():
    """The person at the counter chooses a new password; it waits for the owner's hold (issue 12), so
    nobody is signed in here."""
    form = RecoverForm()
    if form.validate_on_submit():
        hold = timedelta(hours=current_app.config["RECOVERY_HOLD_HOURS"])
        try:
            pending = assisted_recovery.redeem(form.email.data, form.code.data, form.password.data,
                                               cost=_code(), hold=hold)
        except ServiceError as exc:
            return refuse(form, exc, "onboarding/recover.html", default_field="code")
        db.session.commit()
        flask_session["recovery_waiting_until"] = pending.takes_effect_at.isoformat()
        recovery_hold.tell_now(pending.id, current_app.config)
        return redirect(url_for("recovery_requests.waiting"))
    return render_template("onboarding/recover.html", form=form), (422 if form.errors else 200)

