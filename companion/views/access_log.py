"""The owner's access log in plain words: who did what on the profile, filters and a CSV copy."""

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context, url_for
from flask_login import current_user

from ..extensions import db
from ..forms import options
from ..forms.access_log import FilterForm
from ..services import access_log, delegations
from ..services.access import Access
from ..texts import gettext as _
from ..web.inputs import as_db_int, db_int
from ..web.routes import profile_route
from ..web.signin import fresh_login_required

bp = Blueprint("access_log", __name__)


def _rows(events) -> list[dict]:
    return access_log.rows(events, current_user.id if current_user.is_authenticated else None)


def _filters(access: Access, form) -> access_log.Filters:
    own = access.profile.user_id == current_user.id
    base = access_log.Filters(profile_ids=(access.profile.id,), account_id=current_user.id if own else None,
                              tz=current_user.timezone)
    form.who.choices = options([("", _("Everyone"))] + [(str(i), n) for i, n in access_log.actors(base)])
    return access_log.Filters(base.profile_ids, base.account_id, as_db_int(form.who.data),
                              form.since.data, form.until.data, base.tz)


@bp.route("/p/<int:profile_id>/access-log")
@profile_route("manage")
def show(access: Access):
    if delegations.note_expired(profile_ids=[access.profile.id]):
        db.session.commit()  # only when something was written: a commit makes the page reload what it holds
    form = FilterForm(request.args)
    form.validate()
    found = access_log.page(_filters(access, form), before=request.args.get("before", type=db_int),
                            after=request.args.get("after", type=db_int),
                            size=current_app.config["ACCESS_LOG_PAGE_SIZE"])
    # The filters travel with the page links and the CSV; the page position does not go into the CSV.
    kept: dict[str, Any] = {k: v for k, v in request.args.items() if k in ("who", "since", "until") and v}
    pid = access.profile.id
    links = {
        "older": found.older and url_for("access_log.show", profile_id=pid, before=found.older, **kept),
        "newer": found.newer and url_for("access_log.show", profile_id=pid, after=found.newer, **kept),
    }
    return render_template("access_log/show.html", access=access, form=form, rows=_rows(found.events),
                           links=links, csv_url=url_for("access_log.csv", profile_id=pid, **kept))


@bp.route("/p/<int:profile_id>/access-log.csv")
@profile_route("manage")
@fresh_login_required  # a copy that leaves Companion: confirm it is really the owner
def csv(access: Access):
    form = FilterForm(request.args)
    form.validate()
    filters = _filters(access, form)

    def lines():
        # Streamed a batch at a time: the whole retained history, however long, without holding it in memory.
        yield access_log.csv_text([], access_log.csv_header())
        for batch in access_log.every_event(filters):
            yield access_log.csv_text(_rows(batch))

    resp = Response(stream_with_context(lines()), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="access-log-{access.profile.id}.csv"'
    resp.headers["Cache-Control"] = "no-store"
    return resp
