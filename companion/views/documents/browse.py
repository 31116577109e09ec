"""Health documents of a profile: list, search, upload, CDA import, view, download."""

from collections.abc import Sequence

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ...extensions import db
from ...forms.documents import CdaImportForm, UploadForm
from ...models.document import Document
from ...services import (
    ServiceError,
    cda,
    document_list,
    document_types,
    documents,
    offline_documents,
    upload_parts,
)
from ...services.access import Access
from ...services.document_list import Filters
from ...services.document_view import Unviewable
from ...texts import lazy_gettext as _l
from ...web import sw_contract as swc
from ...web.client import locale, shared_device, wants_json
from ...web.devices import device_id
from ...web.document_files import file_response, unviewable_page
from ...web.idempotency import idempotent
from ...web.refusals import refuse
from ...web.routes import commit_read, profile_route
from ...web.sw_contract import keep_offline
from . import bp, detail_choices


def _year(raw: str) -> int | None:
    if not raw:
        return None
    year = int(raw) if raw.isdigit() and len(raw) == 4 else None
    if year is None or not document_list.YEARS[0] <= year <= document_list.YEARS[1]:
        flash(_l("The year must be between %(first)s and %(last)s: all years are shown.",
                 first=document_list.YEARS[0], last=document_list.YEARS[1]), "info")
        return None
    return year


def _filters(searching: bool) -> Filters:
    """Category, type, year and the page's position (a document id) may sit in the URL; the search
    words are health detail and come only from a POST body, so they never reach access logs or the
    browser history."""
    args = request.form if searching else request.args
    return Filters(q=args.get("q", "")[:100] if searching else "", class_code=args.get("class", "")[:8],
                   type_code=args.get("type", "")[:16], year=_year(args.get("year", "")[:8]),
                   after=_position(args.get("after", "")), before=_position(args.get("before", "")))


def _position(raw: str) -> int | None:
    """A document id marking where a page starts or ends; anything else is the first page."""
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _groups(docs: Sequence[Document], lang: str) -> list:
    """Rows grouped by category, then by year (the query already sorts that way)."""
    groups: list = []
    for doc in docs:
        label = document_types.class_label(doc.class_code, lang)
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        year = doc.care_date.year if doc.care_date else None
        years = groups[-1][1]
        if not years or years[-1][0] != year:
            years.append((year, []))
        years[-1][1].append(doc)
    return groups


@bp.route("/p/<int:profile_id>/documents", methods=["GET", "POST"])
@profile_route("documents:read", "document.list")
def index(access: Access):
    searching = request.method == "POST"  # a search: the results are rendered here, no redirect
    filters = _filters(searching)
    if searching:  # the guard logs GETs only; the words searched are not logged
        documents.record_search(access, current_user)
        db.session.commit()
    listing = document_list.search(access, filters)
    lang = locale()
    pinned = offline_documents.pinned_ids(access, current_user, device_id())
    html = render_template(
        "documents/index.html", access=access, listing=listing, filters=filters, pinned=pinned,
        key_docs=offline_documents.key_ids(access, current_user),
        groups=_groups(listing.documents, lang), types=document_types.all_types(), locale=lang,
        classes=sorted({t.class_code for t in document_types.all_types().values()}),
        class_label=document_types.class_label, type_choices=document_types.choices(lang),
    )
    resp = current_app.make_response(html)
    if searching:
        resp.headers["Cache-Control"] = "private, no-store"
        return resp
    return keep_offline(resp)


def _commit_added(added) -> None:
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        if added.created:
            documents.discard_blob(added.document)
        raise


def _too_big() -> bool:
    # Refuse on the declared length, before reading the body.
    length = request.content_length
    return length is not None and length > current_app.config["MAX_CONTENT_LENGTH"]


def _read_upload(field) -> bytes:
    return field.data.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)


def _file(form) -> bytes:
    """The file chosen, or the one sent before in parts (its parts go with this form's commit)."""
    if form.upload.data:
        return upload_parts.take(current_user, request.headers.get("Idempotency-Key", ""), form.upload.data)
    return _read_upload(form.file)


def _forget_parts(form) -> None:
    """The file itself was refused (not a PDF or photo, damaged...): sent again it would be refused again,
    so its parts go now rather than wait 30 days in the account's room."""
    if form.upload.data:
        db.session.rollback()
        upload_parts.forget(current_user, request.headers.get("Idempotency-Key", ""))
        db.session.commit()


def _after_add(access: Access, added):
    doc_url = url_for("documents.show", profile_id=access.profile.id, doc_id=added.document.id)
    if added.created:
        message = _l("Document added.")
    elif added.described:
        message = _l("This file was already in the documents: it now has the type, name, date and author "
                     "written in the CDA file.")
    else:
        message = _l("This file is already in the documents: here it is.")
    # Shown on the document's page, also when the page script sent the file (JSON).
    flash(message, "success" if added.created else "info")
    if wants_json():
        status = 201 if added.created else 200
        return jsonify(url=doc_url, created=added.created, message=str(message)), status
    return redirect(doc_url)


@bp.route("/p/<int:profile_id>/documents/upload", methods=["GET", "POST"])
@profile_route("documents:write")
@idempotent
def upload(access: Access):
    if request.method == "POST" and _too_big():
        return _refuse_big()
    form = detail_choices(UploadForm(), locale(), everyday=True)
    if not form.type_code.data:
        form.type_code.data = document_types.OTHER
    ctx = {"access": access, "max_mb": current_app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024)}
    if form.validate_on_submit():
        try:
            added = documents.add(access, current_user, _file(form), title=form.title.data,
                                  type_code=form.type_code.data, care_date=form.care_date.data,
                                  source=form.source.data)
        except upload_parts.Incomplete as exc:  # its parts stay for the next try
            return refuse(form, exc, "documents/upload.html", default_field="file", **ctx)
        except ServiceError as exc:
            _forget_parts(form)
            return refuse(form, exc, "documents/upload.html", default_field="file", **ctx)
        _commit_added(added)
        return _after_add(access, added)
    status = 400 if request.method == "POST" else 200
    if status == 400 and wants_json():
        errors = [str(e) for errs in form.errors.values() for e in errs]
        return jsonify(error=400, message=" ".join(errors)), 400
    return render_template("documents/upload.html", form=form, **ctx), status


def _refuse_big():
    mb = current_app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024)
    message = _l("This file is too big: the limit is %(mb)s MB.", mb=mb)
    if wants_json():
        return jsonify(error=413, message=str(message)), 413
    return render_template("errors/error.html", code=413, title=message,
                           hint=_l("Choose a smaller file and try again.")), 413


@bp.route("/p/<int:profile_id>/documents/import", methods=["GET", "POST"])
@profile_route("documents:write")
def import_cda(access: Access):
    if request.method == "POST" and _too_big():
        return _refuse_big()
    form = CdaImportForm()
    ctx = {"access": access, "warning": None}
    if form.validate_on_submit():
        try:
            raw = _read_upload(form.file)
            if len(raw) > current_app.config["MAX_UPLOAD_BYTES"]:
                return _refuse_big()
            parsed = cda.parse(raw)
            warning = cda.identity_warning(access.profile, parsed)
            if warning and not form.confirm_identity.data:
                if wants_json():  # the page script keeps the chosen file: no second upload
                    return jsonify(error=409, kind="identity", message=str(warning)), 409
                ctx["warning"] = warning
                return render_template("documents/import.html", form=form, **ctx), 409
            added = documents.add(access, current_user, parsed.pdf, title=parsed.title,
                                  type_code=parsed.type_code, care_date=parsed.care_date,
                                  source=parsed.source, origin="cda")
        except ServiceError as exc:
            return refuse(form, exc, "documents/import.html", default_field="file", **ctx)
        _commit_added(added)
        return _after_add(access, added)
    status = 400 if request.method == "POST" else 200
    if status == 400 and wants_json():
        errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
        return jsonify(error=400, message=errors), 400
    return render_template("documents/import.html", form=form, **ctx), status


@bp.route("/p/<int:profile_id>/documents/<int:doc_id>")
@profile_route("documents:read")
def show(access: Access, doc_id: int):
    doc = documents.get(access, doc_id)
    pinned = doc.id in offline_documents.pinned_ids(access, current_user, device_id())
    key = doc.id in offline_documents.key_ids(access, current_user)
    doc_type = document_types.get(doc.type_code)
    html = render_template("documents/show.html", access=access, doc=doc, pinned=pinned, key=key,
                           type_label=doc_type.label(locale()) if doc_type else doc.type_code,
                           official=doc_type.official(locale()) if doc_type else "")
    # Logged and committed once the page is made (the log's head of this profile is held from the
    # append to the commit; a commit earlier would make the page reload what it holds); a failed
    # commit is an error page: the document is never shown unlogged.
    if not swc.background_copy(doc.id):
        documents.record_read(access, current_user, doc, "document.view")
    commit_read()
    resp = current_app.make_response(html)
    return keep_offline(resp) if pinned or key else resp


def _send(access: Access, doc_id: int, *, attachment: bool):
    doc = documents.get(access, doc_id)
    if attachment:
        data, content_type, sha256 = documents.read_bytes(doc), doc.content_type, doc.sha256
    else:
        try:
            view = documents.open_view(doc)  # without anything in it that could act
        except Unviewable:
            return unviewable_page(access, doc, shared=shared_device())
        data, content_type, sha256 = view.data, view.content_type, view.sha256
    # The worker's background copy was logged as a copy when announced (services.offline_copies).
    if attachment or not swc.background_copy(doc.id):
        action = "document.download" if attachment else "document.open"
        documents.record_read(access, current_user, doc, action)
        db.session.commit()
    return file_response(doc, data, content_type, sha256, attachment=attachment)


@bp.route("/p/<int:profile_id>/documents/<int:doc_id>/file")
@profile_route("documents:read")
def file(access: Access, doc_id: int):
    return _send(access, doc_id, attachment=False)


@bp.route("/p/<int:profile_id>/documents/<int:doc_id>/download")
@profile_route("documents:read")
def download(access: Access, doc_id: int):
    # A download would stay in a shared computer's Downloads folder for the next person: open instead.
    return _send(access, doc_id, attachment=not shared_device())

