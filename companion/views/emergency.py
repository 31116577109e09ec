"""The emergency card: see it (owners and caregivers who read documents; kept for offline use), edit it
(owners), and download it in the IPS shape (FHIR JSON) for a clinician's software."""

from flask import Blueprint, Response, flash, make_response, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..extensions import db
from ..forms.emergency import EmergencyCardForm
from ..services import ServiceError
from ..services import emergency_card as cards
from ..services.access import Access
from ..web.refusals import refuse
from ..web.routes import profile_route
from ..web.sw_contract import CARD_VERSION, COPY_TOKEN, keep_offline

bp = Blueprint("emergency", __name__)


@bp.route("/p/<int:profile_id>/emergency")
@profile_route(cards.READ_SCOPE)  # logged below: the worker's copy is a copy, not an opening
def show(access: Access):
    card = cards.get(access)
    cards.record_read(access, current_user, copy=COPY_TOKEN in request.headers)
    db.session.commit()
    html = render_template("emergency/show.html", access=access, card=cards.snapshot(access.profile, card),
                           updated_at=card.updated_at if card else None)
    resp = keep_offline(make_response(html))
    resp.headers[CARD_VERSION] = cards.version(card)
    return resp


@bp.route("/p/<int:profile_id>/emergency/edit", methods=["GET", "POST"])
@profile_route("manage")
def edit(access: Access):
    card = cards.get(access)
    form = EmergencyCardForm(obj=card)
    if form.validate_on_submit():
        fields = {name: form[name].data for name in (*cards.LIST_FIELDS, *cards.TEXT_FIELDS,
                                                     *cards.LINE_FIELDS)}
        try:
            cards.update(access, current_user, blood_group=form.blood_group.data or "", **fields)
        except ServiceError as exc:
            return refuse(form, exc, "emergency/edit.html", access=access)
        db.session.commit()
        flash(_l("The emergency card is saved."), "success")
        return redirect(url_for("emergency.show", profile_id=access.profile.id))
    return render_template("emergency/edit.html", form=form, access=access), (422 if form.errors else 200)


@bp.route("/p/<int:profile_id>/emergency/ips.json")
@profile_route(cards.READ_SCOPE, "emergency.export")
def ips(access: Access):
    resp = Response(cards.checked_json(access.profile, cards.get(access)), mimetype="application/fhir+json")
    resp.headers["Content-Disposition"] = "attachment; filename=emergency-card-ips.json"
    return resp
