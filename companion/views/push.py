"""Reminders on this device: subscribe and unsubscribe (Web Push), and reminder preferences
(which profiles, quiet hours, how long before). Account pages: they hold no health data."""

from datetime import time

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import csrf, db
from ..forms import options
from ..forms.agenda import PreferencesForm
from ..services import ServiceError
from ..services import push as push_service
from ..services import reminders as reminder_service
from ..texts import lazy_gettext as _l
from ..web.navigation import reachable_profiles
from ..web.routes import account_route, public_route

bp = Blueprint("push", __name__)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


_BODY = object()


def _json_object(value=_BODY) -> dict:
    """The JSON body (or a part of it) as an object; anything else is a 400 in plain words."""
    value = request.get_json(silent=True) if value is _BODY else value
    if not isinstance(value, dict):
        raise ServiceError(_l("This device gave keys we cannot use."), status=400)
    return value


def _agenda_profiles():
    return [a.profile for a in reachable_profiles(current_user) if a.allows("agenda")]


@bp.route("/settings/reminders", methods=["GET", "POST"])
@account_route
def settings():
    pref = reminder_service.preferences(current_user.id)
    profiles = _agenda_profiles()
    form = PreferencesForm()
    form.profiles.choices = options((p.id, p.full_name) for p in profiles)
    if request.method == "GET":
        muted = set(pref.muted_profiles.split())
        form.profiles.data = [p.id for p in profiles if str(p.id) not in muted]
        form.quiet_start.data, form.quiet_end.data = _time(pref.quiet_start), _time(pref.quiet_end)
        form.prevention_leads.data = reminder_service.leads(pref.prevention_leads)
        form.appointment_leads.data = reminder_service.leads(pref.appointment_leads)
        form.batching.data = pref.batching
    if form.validate_on_submit():
        reminder_service.save_preferences(
            current_user.id, [p.id for p in profiles], set(form.profiles.data or []),
            _minutes(form.quiet_start.data), _minutes(form.quiet_end.data),
            form.prevention_leads.data or [], form.appointment_leads.data or [], form.batching.data)
        db.session.commit()
        flash(_l("Your reminder settings are saved."), "success")
        return redirect(url_for("push.settings"))
    db.session.commit()  # the default preferences row
    keys = push_service.load_keys(current_app.config)
    return render_template("push/settings.html", form=form, public_key=keys["public_key"] if keys else "",
                           has_profiles=bool(profiles))


@bp.route("/push/subscribe", methods=["POST"])
@account_route
def subscribe():
    data = _json_object()
    keys = _json_object(data.get("keys"))
    if not all(isinstance(v, str) for v in (data.get("endpoint"), keys.get("p256dh"), keys.get("auth"))):
        raise ServiceError(_l("This device gave keys we cannot use."), status=400)
    push_service.subscribe(current_user, data["endpoint"], keys["p256dh"], keys["auth"],
                           label=request.user_agent.string[:120],
                           allowed=push_service.allowed_hosts(current_app.config))
    db.session.commit()
    return jsonify(ok=True, message=str(_l("Reminders are on for this device.")))


@bp.route("/push/unsubscribe", methods=["POST"])
@account_route
def unsubscribe():
    data = _json_object()
    endpoint = data.get("endpoint") if isinstance(data.get("endpoint"), str) else ""
    push_service.unsubscribe(current_user, endpoint)
    db.session.commit()
    return jsonify(ok=True, message=str(_l("Reminders are off for this device.")))


@bp.route("/push/renew", methods=["POST"])
@public_route
@csrf.exempt
def renew():
    """`pushsubscriptionchange` from the service worker (no page, so no CSRF token): the old endpoint,
    an unguessable capability URL known only to the device and us, proves which subscription moves."""
    data = _json_object()
    sub = _json_object(data.get("sub"))
    keys = _json_object(sub.get("keys"))
    values = (data.get("old"), sub.get("endpoint"), keys.get("p256dh"), keys.get("auth"))
    if not all(isinstance(v, str) and v for v in values):
        raise ServiceError(_l("This device gave keys we cannot use."), status=400)
    if not push_service.renew(*values, allowed=push_service.allowed_hosts(current_app.config)):
        raise ServiceError(_l("This device gave keys we cannot use."), status=404)
    db.session.commit()
    return jsonify(ok=True)
