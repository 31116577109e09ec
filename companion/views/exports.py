""""Download everything": the page (what the archive holds, its size, its progress), starting it, and
the download by byte ranges, so a slow line that drops resumes where it stopped."""

from typing import IO, cast

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_login import current_user
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import parse_range_header
from werkzeug.wsgi import FileWrapper

from .. import tasks
from ..extensions import db
from ..forms.exports import StartForm
from ..services import ServiceError, exports, store_upkeep
from ..services.access import Access
from ..texts import gettext as _
from ..texts import lazy_gettext as _l
from ..web.client import locale
from ..web.routes import profile_route
from ..web.signin import ask_fresh_login, fresh_login_required

bp = Blueprint("exports", __name__)
READ_SIZE = 64 * 1024
# The archive whose download this browser session began after a fresh login: only that one may then be
# resumed without a new one (else any range but the first byte, e.g. `bytes=1-`, would give a stale or
# stolen session the whole archive, all but its first byte, with no password asked).
STARTED_KEY = "export_started"


@bp.route("/p/<int:profile_id>/export")
@profile_route("manage")
def page(access: Access):
    row = exports.current(access)
    running = row is not None and row.status in ("queued", "building")
    estimate = None if running else exports.estimate(access)
    return render_template("exports/page.html", access=access, profile=access.profile, export=row,
                           running=running, estimate=estimate, form=StartForm())


@bp.route("/p/<int:profile_id>/export", methods=["POST"])
@profile_route("manage")
@fresh_login_required  # everything leaves Companion at once: confirm it is really the owner
def start(access: Access):
    form = StartForm()
    if not form.validate():
        flash(_l("This form has expired. Please go back, reload the page and try again."), "error")
        return redirect(url_for("exports.page", profile_id=access.profile.id))
    asked = exports.request(access, current_user, locale())
    export_id = asked.export.id
    db.session.commit()
    store_upkeep.discard(asked.leftover_keys)  # after the commit that removed their rows
    if asked.started:
        tasks.for_app(current_app).build_export(export_id)
        flash(_l("Your archive is being made. This page shows how far it is."), "success")
    else:
        flash(_l("An archive is already being made: here it is."), "info")
    return redirect(url_for("exports.page", profile_id=access.profile.id))


def _resuming() -> bool:
    """A range that does not start at the first byte continues a download already begun."""
    ranges = parse_range_header(request.headers.get("Range"))
    return bool(ranges and ranges.ranges and ranges.ranges[0][0] != 0)


@bp.route("/p/<int:profile_id>/export/<int:export_id>/archive.zip")
@profile_route("manage")
def download(access: Access, export_id: int):
    # A download starts with a fresh login; resuming it (a range further on) needs only the session that
    # began it, or a 2G line cut after the few minutes a login stays fresh could never finish.
    begun_here = _resuming() and flask_session.get(STARTED_KEY) == export_id
    if not begun_here and (ask := ask_fresh_login()) is not None:
        return ask
    try:
        row = exports.get_ready(access, export_id)
    except ServiceError as exc:  # expired, replaced, or its file lost
        if _resuming():  # a download manager: a plain answer it will not save as the archive
            return Response(str(exc.message), status=404, mimetype="text/plain")
        flash(exc.message, "error")  # a person: the page, where a new archive can be made
        return redirect(url_for("exports.page", profile_id=access.profile.id))
    assert row.size is not None and row.finished_at is not None, "a ready export has its size"
    body = FileWrapper(cast(IO[bytes], exports.ArchiveReader(row)), READ_SIZE)
    resp = Response(body, mimetype="application/zip", direct_passthrough=True)
    resp.headers["Content-Disposition"] = f'attachment; filename="companion-{access.profile.id}-{row.id}.zip"'
    resp.headers["Cache-Control"] = "private, no-store"
    resp.set_etag(row.sha256 or "")
    resp.last_modified = row.finished_at
    resp.content_length = row.size
    try:
        resp.make_conditional(request, accept_ranges=True, complete_length=row.size)
    except RequestedRangeNotSatisfiable:
        refused = Response(_("This part of the file does not exist. Please start the download again."),
                           status=416, mimetype="text/plain")
        refused.headers["Content-Range"] = f"bytes */{row.size}"
        refused.headers["Accept-Ranges"] = "bytes"
        return refused
    if resp.status_code == 200 or (resp.status_code == 206 and not _resuming()):
        if request.method == "GET":
            exports.record_download(access, current_user, row)
            db.session.commit()
            flask_session[STARTED_KEY] = row.id
    return resp
