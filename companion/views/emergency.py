"""The emergency card: see it (owners and caregivers who read documents; kept for offline use), edit it
(owners), and download it in the IPS shape (FHIR JSON) for a clinician's software."""

from flask import Blueprint, Response, flash, make_response, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.exceptions import NotFound

from ..extensions import db
from ..forms import options
from ..forms.emergency import CounterForm, EmergencyCardForm
from ..models.types import utcnow
from ..services import ServiceError, dates, documents, offline_documents
from ..services import emergency_card as cards
from ..services import ips as ips_document
from ..services.access import Access
from ..texts import lazy_gettext as _l
from ..web.client import shared_device
from ..web.devices import device_id
from ..web.refusals import refuse
from ..web.routes import profile_route, public_route
from ..web.sw_contract import CARD_VERSION, background_copy, keep_offline

bp = Blueprint("emergency", __name__)
PRESCRIPTION_TYPES = ("57833-6", "57832-8", "PRESC-BIO")  # the "Prescription" class of document-types.csv


@bp.route("/p/<int:profile_id>/emergency")
@profile_route(cards.READ_SCOPE)  # logged below: the worker's copy is a copy, not an opening
def show(access: Access):
    card = cards.get(access)
    cards.record_read(access, current_user, copy=background_copy())
    db.session.commit()
    html = render_template("emergency/show.html", access=access, card=cards.snapshot(access.profile, card),
                           updated_at=card.updated_at if card else None)
    resp = keep_offline(make_response(html))
    resp.headers[CARD_VERSION] = cards.version(card)
    return resp


@bp.route("/p/<int:profile_id>/emergency/locked")
@profile_route("manage")
def locked(access: Access):
    """The card alone, as the owner's phone keeps it to show without signing in (static/sw/50-lockcard.js
    fetches it when the person chooses so on the card's page): never for a shared computer."""
    if shared_device():
        raise NotFound()
    card = cards.get(access)
    resp = make_response(render_template("emergency/locked.html", card=cards.snapshot(access.profile, card),
                                         birth_date=access.profile.birth_date,
                                         updated_at=card.updated_at if card else None))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/emergency")
@public_route
def public():
    """Where "show when locked" opens: the phone's worker answers with the card kept there; this page is
    what a phone keeping none (or without the worker) gets."""
    return render_template("emergency/none_here.html")


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


def _counter_form(access: Access) -> CounterForm:
    form = CounterForm()
    docs = documents.newest(access, 20, list(PRESCRIPTION_TYPES))
    form.prescription.choices = options([(0, _l("None")), *((d.id, d.title) for d in docs)])
    return form


@bp.route("/p/<int:profile_id>/counter")
@profile_route(cards.READ_SCOPE)  # logged below: the worker's copy is a copy, not an opening
def counter(access: Access):
    """At the pharmacy counter: the current prescription, large, and its renewal date; kept offline."""
    form = _counter_form(access) if access.allows(cards.WRITE_SCOPE) else None
    doc, renewal_on = cards.counter(access)
    if form is not None:
        form.prescription.data, form.renewal_on.data = (doc.id if doc else 0), renewal_on
    cards.record_read(access, current_user, copy=background_copy(), page="counter")
    db.session.commit()
    resp = keep_offline(make_response(render_template("emergency/counter.html", access=access, form=form,
                                                      doc=doc, renewal_on=renewal_on)))
    resp.headers[CARD_VERSION] = cards.version(cards.get(access))
    return resp


@bp.route("/p/<int:profile_id>/counter", methods=["POST"])
@profile_route(cards.WRITE_SCOPE)
def counter_set(access: Access):
    form = _counter_form(access)
    if form.validate_on_submit():
        doc = documents.get(access, form.prescription.data) if form.prescription.data else None
        try:
            cards.set_counter(access, current_user, doc, form.renewal_on.data,
                              today=dates.local_today(now=utcnow()))
            if doc is not None and not shared_device():  # so it opens at the counter with no network
                offline_documents.set_pinned(access, current_user, doc, device_id(create=True), True,
                                             shared_device=False)
        except ServiceError as exc:
            return refuse(form, exc, "emergency/counter.html", access=access, doc=None, renewal_on=None)
        db.session.commit()
        flash(_l("Saved. This screen opens without network on this phone."), "success")
        return redirect(url_for("emergency.counter", profile_id=access.profile.id))
    return render_template("emergency/counter.html", access=access, form=form, doc=None, renewal_on=None), 422


@bp.route("/p/<int:profile_id>/emergency/ips.json")
@profile_route(cards.READ_SCOPE, "emergency.export")
def ips(access: Access):
    resp = Response(ips_document.checked_json(access), mimetype="application/fhir+json")
    resp.headers["Content-Disposition"] = "attachment; filename=emergency-card-ips.json"
    return resp
