"""Documents, continued: edit, hide, trash, pins, the offline manifest and the data-saver setting.
Routes join the "documents" blueprint (views/documents/__init__.py), which imports this module."""

from types import SimpleNamespace

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ...extensions import db
from ...forms.documents import DataSaverForm, EditForm
from ...services import ServiceError, documents, emergency_card, offline_copies, offline_documents
from ...services.access import Access
from ...texts import lazy_gettext as _l
from ...web.client import locale, shared_device, wants_json
from ...web.devices import device_id
from ...web.idempotency import idempotent
from ...web.inputs import as_db_int
from ...web.navigation import reachable_profiles
from ...web.routes import account_route, profile_route
from . import bp, detail_choices, doc_urls


def _log_read(access: Access, doc):
    """A caregiver's look at a document's details reaches the owner's log, naming the document."""
    documents.record_read(access, current_user, doc, "document.view")
    db.session.commit()


def _doc_url(access: Access, doc):
    return url_for("documents.show", profile_id=access.profile.id, doc_id=doc.id)


@bp.route("/p/<int:profile_id>/documents/<int:doc_id>/edit", methods=["GET", "POST"])
@profile_route("documents:write")
@idempotent
def edit(access: Access, doc_id: int):
    doc = documents.get(access, doc_id)
    if request.method == "GET":  # the form shows the title, type, date and source: a read
        _log_read(access, doc)
    form = detail_choices(EditForm(obj=doc), locale())
    if request.method == "GET":
        form.base_title.data = doc.title
    if form.validate_on_submit():
        try:
            documents.update(access, current_user, doc, title=form.title.data, type_code=form.type_code.data,
                             care_date=form.care_date.data, source=form.source.data,
                             base_title=form.base_title.data)
        except ServiceError as exc:
            if exc.status != 409 or wants_json():
                raise
            db.session.rollback()  # no JavaScript: the form again, saying what changed; saving keeps yours
            form.title.errors = [exc.message, _l("Save again to keep your name, or cancel to keep this one.")]
            form.base_title.data = exc.details["current"]
            return render_template("documents/edit.html", access=access, doc=doc, form=form), 409
        db.session.commit()
        flash(_l("Changes saved."), "success")
        return redirect(_doc_url(access, doc))
    status = 400 if request.method == "POST" else 200
    return render_template("documents/edit.html", access=access, doc=doc, form=form), status


@bp.route("/p/<int:profile_id>/documents/<int:doc_id>/hide", methods=["POST"])
@profile_route("manage")  # the owner's own choice: a caregiver who sees hidden documents must not undo it
@idempotent
def hide(access: Access, doc_id: int):
    doc = documents.get(access, doc_id)
    hidden = request.form.get("hidden") == "1"
    documents.set_hidden(access, current_user, doc, hidden)
    db.session.commit()
    message = (_l("Caregivers no longer see this document.") if hidden
               else _l("Caregivers can see this document."))
    flash(message, "success")
    return redirect(_doc_url(access, doc))


@bp.route("/p/<int:profile_id>/documents/<int:doc_id>/delete", methods=["GET", "POST"])
@profile_route("documents:write")
@idempotent
def delete(access: Access, doc_id: int):
    doc = documents.get(access, doc_id)
    if request.method == "GET":  # the confirmation names the document: a read
        _log_read(access, doc)
    if request.method == "POST":
        documents.trash(access, current_user, doc)
        db.session.commit()
        flash(_l("The document is in the trash. You can take it back for %(days)s days.",
                 days=documents.TRASH_DAYS), "success")
        return redirect(url_for("documents.index", profile_id=access.profile.id))
    return render_template("documents/delete.html", access=access, doc=doc, days=documents.TRASH_DAYS)


@bp.route("/p/<int:profile_id>/documents/trash")
@profile_route("documents:write", "document.trash_list")  # write includes read: the list shows titles
def trash(access: Access):
    docs, after = documents.trashed(access, after=as_db_int(request.args.get("after")))
    more = after and url_for("documents.trash", profile_id=access.profile.id, after=after)
    return render_template("documents/trash.html", access=access, docs=docs, more=more,
                           days=documents.TRASH_DAYS)


@bp.route("/p/<int:profile_id>/documents/<int:doc_id>/restore", methods=["POST"])
@profile_route("documents:write")
def restore(access: Access, doc_id: int):
    doc = documents.get(access, doc_id, trash=True)
    documents.restore(access, current_user, doc)
    db.session.commit()
    flash(_l("The document is back."), "success")
    return redirect(_doc_url(access, doc))


@bp.route("/p/<int:profile_id>/documents/<int:doc_id>/pin", methods=["POST"])
@profile_route("documents:read")
def pin(access: Access, doc_id: int):
    doc = documents.get(access, doc_id)
    pinned = request.form.get("pinned", "1") == "1"
    offline_documents.set_pinned(access, current_user, doc, device_id(create=True), pinned,
                                   shared_device=shared_device())
    db.session.commit()
    if wants_json():
        return jsonify(pinned=pinned, manifest=url_for("documents.offline_manifest",
                                                       profile_id=access.profile.id))
    flash(_l("This document will open without network on this phone.") if pinned
          else _l("This document is no longer kept on this phone."), "success")
    return redirect(_doc_url(access, doc))


@bp.route("/p/<int:profile_id>/documents/offline.json")
@profile_route("documents:read", "document.offline_list")
def offline_manifest(access: Access):
    data = offline_documents.manifest(access, current_user, device_id(), shared_device=shared_device(),
                                      urls=doc_urls(access))
    data["prefix"] = url_for("documents.index", profile_id=access.profile.id) + "/"
    return jsonify(data)


@bp.route("/documents/offline.json")
@account_route
def offline_profiles():
    """The profiles whose documents this account may still keep: the worker drops the others (a
    caregiver whose access ended keeps nothing)."""
    allowed = [] if shared_device() else [a.profile.id for a in reachable_profiles(current_user)
                                    if a.allows("documents:read")]
    return jsonify(profiles=allowed)


def _account_urls():
    has_agenda = "agenda.index" in current_app.view_functions
    return SimpleNamespace(
        agenda=(lambda a: url_for("agenda.index", profile_id=a.profile.id)) if has_agenda else None,
        documents=lambda a: url_for("documents.index", profile_id=a.profile.id),
        doc=lambda a, doc: doc_urls(a)(doc),
    )


@bp.route("/offline/manifest.json")
@account_route
def offline_account_manifest():
    """One manifest per account and device, for the worker's single sync: every page and file this
    device should hold across all the profiles the account reaches (services.offline_documents)."""
    data = offline_documents.account_manifest(reachable_profiles(current_user), current_user, device_id(),
                                              shared_device=shared_device(), urls=_account_urls())
    if not data["shared_device"]:
        data["pages"] = [url_for("main.home"), url_for("main.on_this_phone"), *data["pages"]]
        if "family.agenda" in current_app.view_functions and any(
                a.allows("agenda") for a in reachable_profiles(current_user)):
            data["pages"].insert(2, url_for("family.agenda"))  # the family agenda opens offline too
        data["cards"] = emergency_card.offline_entries(
            reachable_profiles(current_user), lambda a: url_for("emergency.show", profile_id=a.profile.id),
            lambda a: url_for("emergency.counter", profile_id=a.profile.id))
    data["csrf"] = generate_csrf()  # for the report below; a JSON GET cannot be read by another site
    return jsonify(data)


@bp.route("/offline/report", methods=["POST"])
@account_route
def offline_report():
    """The worker's report: the files it is about to copy (logged once as a copy, see
    services.offline_copies) and the openings made without network. Answers the copy token."""
    body = request.get_json(silent=True) or {}
    if shared_device():
        return jsonify(token=""), 403
    token = offline_copies.announce(current_user, device_id(), body.get("copy") or [])
    opened = offline_copies.report_opened(current_user, body.get("opened") or [])
    db.session.commit()
    return jsonify(token=token, opened=opened)


@bp.route("/settings/data", methods=["GET", "POST"])
@account_route
def data_settings():
    form = DataSaverForm(obj=current_user)
    if form.validate_on_submit():
        current_user.data_saver = bool(form.data_saver.data)
        current_user.monthly_cap_mb = form.monthly_cap_mb.data
        db.session.commit()
        flash(_l("Setting saved."), "success")
        return redirect(url_for("documents.data_settings"))
    return render_template("documents/data_settings.html", form=form), (422 if form.errors else 200)
