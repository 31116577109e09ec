"""Documents, continued: edit, hide, trash, pins, the offline manifest and the data-saver setting.
Routes join the "documents" blueprint (views/documents_common.py); views/documents.py imports this module."""

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..audit_phrases import register_phrase
from ..extensions import db
from ..forms.documents import DataSaverForm, EditForm
from ..services import ServiceError, documents, offline_documents
from ..services.access import accessible_profiles
from ..web.idempotency import idempotent
from .documents_common import bp, detail_choices, device_id, doc_urls, locale, shared_device, wants_json
from .guard import account_route, profile_route

for _code, _phrase in {
    "document.list": _l("looked at the list of documents"),
    "document.search": _l("searched the documents"),
    "document.view": _l("looked at a document"),
    "document.trash_list": _l("looked at the documents in the trash"),
    "document.open": _l("opened a document"),
    "document.download": _l("downloaded a document"),
    "document.add": _l("added a document"),
    "document.rename": _l("renamed a document"),
    "document.retype": _l("changed the type of a document"),
    "document.edit": _l("changed the details of a document"),
    "document.hide": _l("hid a document from caregivers"),
    "document.unhide": _l("showed a document to caregivers again"),
    "document.delete": _l("put a document in the trash"),
    "document.restore": _l("took a document out of the trash"),
    "document.pin": _l("kept a document on their device for offline use"),
    "document.unpin": _l("removed a document from their device"),
    "document.offline_list": _l("updated the documents kept on their device"),
}.items():
    register_phrase(_code, _phrase)


def _log_read(access, doc):
    """A caregiver's look at a document's details reaches the owner's log, naming the document."""
    documents.record_read(access, current_user, doc, "document.view")
    db.session.commit()


def _doc_url(access, doc):
    return url_for("documents.show", profile_id=access.profile.id, doc_id=doc.id)


@bp.route("/p/<int:profile_id>/documents/<int:doc_id>/edit", methods=["GET", "POST"])
@profile_route("documents:write")
@idempotent
def edit(access, doc_id: int):
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
@profile_route("documents:write")
@idempotent
def hide(access, doc_id: int):
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
def delete(access, doc_id: int):
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
def trash(access):
    return render_template("documents/trash.html", access=access, docs=documents.trashed(access),
                           days=documents.TRASH_DAYS)


@bp.route("/p/<int:profile_id>/documents/<int:doc_id>/restore", methods=["POST"])
@profile_route("documents:write")
def restore(access, doc_id: int):
    doc = documents.get(access, doc_id, trash=True)
    documents.restore(access, current_user, doc)
    db.session.commit()
    flash(_l("The document is back."), "success")
    return redirect(_doc_url(access, doc))


@bp.route("/p/<int:profile_id>/documents/<int:doc_id>/pin", methods=["POST"])
@profile_route("documents:read")
def pin(access, doc_id: int):
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
def offline_manifest(access):
    data = offline_documents.manifest(access, current_user, device_id(), shared_device=shared_device(),
                                      urls=doc_urls(access))
    data["prefix"] = url_for("documents.index", profile_id=access.profile.id) + "/"
    return jsonify(data)


@bp.route("/documents/offline.json")
@account_route
def offline_profiles():
    """The profiles whose documents this account may still keep: the worker drops the others (a
    caregiver whose access ended keeps nothing)."""
    allowed = [] if shared_device() else [a.profile.id for a in accessible_profiles(current_user)
                                    if a.allows("documents:read")]
    return jsonify(profiles=allowed)


@bp.route("/settings/data", methods=["GET", "POST"])
@account_route
def data_settings():
    form = DataSaverForm(obj=current_user)
    if form.validate_on_submit():
        current_user.data_saver = bool(form.data_saver.data)
        db.session.commit()
        flash(_l("Setting saved."), "success")
        return redirect(url_for("documents.data_settings"))
    return render_template("documents/data_settings.html", form=form)
