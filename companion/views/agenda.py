"""The prevention agenda of a profile: items from the French calendar, personal reminders, the timeline,
.ics downloads. Every route is scope "agenda"; non-owners' reads and changes go to the access log."""

from datetime import time, timedelta

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from ..extensions import db
from ..forms.agenda import DismissForm, DoneForm, PersonalReminderForm, ReopenForm, SnoozeForm
from ..prevention import load_rules
from ..services import ServiceError, agenda_ics, agenda_refs, agenda_store, dates, ics, timeline
from ..services.access import Access
from ..services.agenda import add_months
from ..texts import lazy_gettext as _l
from ..web.client import locale, wants_json
from ..web.idempotency import idempotent
from ..web.navigation import flash_at
from ..web.public_url import public_url
from ..web.refusals import refuse
from ..web.routes import profile_route
from ..web.sw_contract import keep_offline

bp = Blueprint("agenda", __name__)
load_rules()  # a bad rules file stops the app at start-up, not at the first page

SOON_MONTHS = 12


def _groups(items, today):
    soon = add_months(today, SOON_MONTHS)
    groups = {"now": [], "snoozed": [], "soon": [], "later": [], "done": [], "not_for_me": [], "passed": [],
              "not_recommended": [], "not_applicable": []}
    for it in items:
        if it.status in ("due", "overdue"):
            groups["now"].append(it)
        elif it.status == "coming":
            groups["soon" if it.due_on is None or it.due_on <= soon else "later"].append(it)
        elif it.status in groups:
            groups[it.status].append(it)
    return groups


@bp.route("/p/<int:profile_id>/agenda")
@profile_route("agenda", "agenda.view")
def index(access: Access):
    today = dates.local_today()
    profile = access.profile
    items = agenda_store.items_for(profile, today)
    picture = timeline.layout(items, profile.birth_date, today, locale()) if profile.birth_date else None
    html = render_template(
        "agenda/index.html", access=access, profile=profile, groups=_groups(items, today), today=today,
        picture=picture, lang=locale(), rules=load_rules(), personal=agenda_store.personal_list(profile.id),
        done_form=DoneForm(done_on=today), snooze_form=SnoozeForm(), dismiss_form=DismissForm(),
        reopen_form=ReopenForm(), tz=agenda_store.zone(current_user.timezone))
    return keep_offline(Response(html))


def _finish(access: Access, message, anchor: str):
    """Commit once, then answer the page (redirect) or the offline queue (JSON, with the page to
    open). A replayed action's receipt (web/idempotency.py) is claimed in this same transaction.
    The message is shown in the item it is about, and the page opens at that item."""
    # Shown on the next page, also after a change sent from the outbox.
    url = url_for("agenda.index", profile_id=access.profile.id) + flash_at(message, anchor)
    resp: Response | WerkzeugResponse  # JSON for the queue, a redirect for the page
    if wants_json():
        resp = jsonify(ok=True, message=str(message), url=url)
    else:
        resp = redirect(url)
    db.session.commit()
    return resp


def _form_or_json(form_cls):
    if request.is_json:
        if not isinstance(request.get_json(silent=True), dict):  # a list, a string or broken JSON
            raise ServiceError(_l("Something in the request was wrong"), status=400)
        # Flask-WTF reads the JSON body; the X-CSRFToken header was already checked by CSRFProtect.
        return form_cls(meta={"csrf": False})
    return form_cls()


def _invalid(access: Access, form):
    db.session.rollback()  # a refused action leaves its key free: the corrected replay may apply
    message = next(iter(next(iter(form.errors.values()), [])), _l("Please correct what is shown below."))
    if wants_json():
        resp = jsonify(ok=False, message=str(message))
        resp.status_code = 400
        return resp
    flash(message, "error")
    return redirect(url_for("agenda.index", profile_id=access.profile.id))


@bp.route("/p/<int:profile_id>/agenda/<agenda_rule:rule_id>/done", methods=["POST"])
@profile_route("agenda")
@idempotent
def done(access: Access, rule_id: str):
    form = _form_or_json(DoneForm)
    if not form.validate():
        return _invalid(access, form)
    agenda_store.mark_done(access, current_user, rule_id, form.done_on.data, dates.local_today())
    return _finish(access, _l("Marked as done. Thank you!"), agenda_refs.anchor(rule_id))


@bp.route("/p/<int:profile_id>/agenda/<agenda_rule:rule_id>/snooze", methods=["POST"])
@profile_route("agenda")
@idempotent
def snooze(access: Access, rule_id: str):
    form = _form_or_json(SnoozeForm)
    if not form.validate():
        return _invalid(access, form)
    today = dates.local_today()
    agenda_store.snooze(access, current_user, rule_id, today + timedelta(weeks=int(form.weeks.data)), today)
    return _finish(access, _l("We will remind you again later."), agenda_refs.anchor(rule_id))


@bp.route("/p/<int:profile_id>/agenda/<agenda_rule:rule_id>/dismiss", methods=["POST"])
@profile_route("agenda")
@idempotent
def dismiss(access: Access, rule_id: str):
    form = _form_or_json(DismissForm)
    if not form.validate():
        return _invalid(access, form)
    agenda_store.dismiss(access, current_user, rule_id, form.reason.data or "")
    return _finish(access, _l("This item will no longer be suggested."), agenda_refs.anchor(rule_id))


@bp.route("/p/<int:profile_id>/agenda/<agenda_rule:rule_id>/reopen", methods=["POST"])
@profile_route("agenda")
@idempotent
def reopen(access: Access, rule_id: str):
    form = _form_or_json(ReopenForm)
    if not form.validate():
        return _invalid(access, form)
    agenda_store.reopen(access, current_user, rule_id)
    return _finish(access, _l("The item is back in the agenda."), agenda_refs.anchor(rule_id))


def _precise() -> bool:
    """The person chose, on the page, to have the calendar title say what it is (stored nowhere)."""
    return request.args.get("label") == "1"


def _ics_response(text: str, name: str):
    resp = Response(text, mimetype="text/calendar")
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}.ics"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.route("/p/<int:profile_id>/agenda/<agenda_rule:rule_id>.ics")
@profile_route("agenda", "agenda.export")
def item_ics(access: Access, rule_id: str):
    today = dates.local_today()
    items = {it.id: it for it in agenda_store.items_for(access.profile, today)}
    item = items.get(rule_id)
    if item is None or item.remind_on is None:
        raise ServiceError(_l("This agenda item has no date to add to a calendar."), status=404)
    event = agenda_ics.item_event(item, access.profile, locale(), today, precise=_precise(),
                                  alarm_at=agenda_ics.reminder_hour(current_user.id),
                                  url=public_url("agenda.index", profile_id=access.profile.id))
    return _ics_response(ics.calendar([event]), f"prevention-{agenda_refs.ref(item.rule.id)}")


@bp.route("/p/<int:profile_id>/agenda/reminders/new", methods=["GET", "POST"])
@profile_route("agenda")
@idempotent
def reminder_new(access: Access):
    form = PersonalReminderForm()
    if request.method == "GET":
        form.day.data, form.at.data = dates.local_today() + timedelta(days=1), time(9, 0)
    if form.validate_on_submit():
        try:
            rem = agenda_store.add_personal(access, current_user, kind=form.kind.data, title=form.title.data,
                                      day=form.day.data, at=form.at.data, tz=current_user.timezone,
                                      repeat=form.repeat.data, until_on=form.until_on.data,
                                      notes=form.notes.data or "")
        except ServiceError as exc:
            return refuse(form, exc, "agenda/reminder_form.html", access=access, profile=access.profile)
        return _finish(access, _l("Reminder added."), f"reminder-{rem.id}")
    status = 400 if request.method == "POST" else 200  # a refused form is not a success for the outbox
    return render_template("agenda/reminder_form.html", form=form, access=access,
                           profile=access.profile), status


@bp.route("/p/<int:profile_id>/agenda/reminders/<int:reminder_id>/edit", methods=["GET", "POST"])
@profile_route("agenda", "agenda.view")  # the form shows the reminder's title and notes
@idempotent
def reminder_edit(access: Access, reminder_id: int):
    rem = agenda_store.personal_get(access.profile.id, reminder_id)
    form = PersonalReminderForm()
    if request.method == "GET":
        local = rem.starts_at.astimezone(agenda_store.zone(rem.timezone))
        form.kind.data, form.title.data, form.repeat.data = rem.kind, rem.title, rem.repeat
        form.day.data, form.at.data = local.date(), local.time().replace(tzinfo=None)
        form.until_on.data, form.notes.data = rem.until_on, rem.notes
    if form.validate_on_submit():
        try:
            agenda_store.update_personal(access, current_user, rem, kind=form.kind.data,
                                         title=form.title.data, day=form.day.data, at=form.at.data,
                                         tz=current_user.timezone,
                                         repeat=form.repeat.data, until_on=form.until_on.data,
                                         notes=form.notes.data or "")
        except ServiceError as exc:
            return refuse(form, exc, "agenda/reminder_form.html", access=access, profile=access.profile,
                          reminder=rem)
        return _finish(access, _l("Reminder saved."), f"reminder-{rem.id}")
    status = 400 if request.method == "POST" else 200  # a refused form is not a success for the outbox
    return render_template("agenda/reminder_form.html", form=form, access=access, profile=access.profile,
                           reminder=rem), status


@bp.route("/p/<int:profile_id>/agenda/reminders/<int:reminder_id>/delete", methods=["POST"])
@profile_route("agenda")
@idempotent
def reminder_delete(access: Access, reminder_id: int):
    form = ReopenForm()
    if not form.validate():
        return _invalid(access, form)
    agenda_store.delete_personal(access, current_user, reminder_id)
    return _finish(access, _l("Reminder deleted."), "personal-h")


@bp.route("/p/<int:profile_id>/agenda/reminders/<int:reminder_id>.ics")
@profile_route("agenda", "agenda.export")
def reminder_ics(access: Access, reminder_id: int):
    rem = agenda_store.personal_get(access.profile.id, reminder_id)
    event = agenda_ics.reminder_event(rem, access.profile, precise=_precise())
    return _ics_response(ics.calendar([event]), f"reminder-{rem.id}")
