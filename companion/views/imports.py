"""Bringing a health summary (IPS file) into a profile: choose the file, review in plain words what
would be added and what is there already, tick what to keep, confirm. Nothing is written before the
confirmation, and then everything at once."""

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..forms.exports import ConfirmForm, ImportForm
from ..prevention import load_rules
from ..services import ServiceError, dates, ips_import
from ..services.access import Access
from ..texts import gettext as _
from ..texts import ngettext
from ..web.client import locale
from ..web.inputs import check_json_file
from ..web.refusals import refuse
from ..web.routes import profile_route

bp = Blueprint("imports", __name__)


def _label(line: ips_import.Line) -> str:
    """A vaccination the agenda knows is named as the agenda names it, in the page's language."""
    rule = load_rules().get(line.rule_id) if line.rule_id else None
    return rule.label(locale()) if rule else line.text


@bp.route("/p/<int:profile_id>/import", methods=["GET", "POST"])
@profile_route("manage")
def upload(access: Access):
    form = ImportForm()
    context: dict[str, Any] = {"access": access, "profile": access.profile}
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("exports/import.html", form=form, **context), status
    raw = form.file.data.read(ips_import.MAX_BYTES + 1)
    try:
        ips_import.check_size(raw)  # first: the depth check reads every byte
        check_json_file(raw)
        lines = ips_import.read(raw)
        found = ips_import.review(access, lines, dates.local_today())
        about = ips_import.about(raw)
    except ServiceError as exc:
        return refuse(form, exc, "exports/import.html", **context)
    confirm = ConfirmForm(plan=ips_import.pack(access, current_user, found.new))
    return render_template("exports/review.html", form=confirm, found=found, label=_label, about=about,
                           date_of=date.fromisoformat, **context)


@bp.route("/p/<int:profile_id>/import/confirm", methods=["POST"])
@profile_route("manage")
def confirm(access: Access):
    form = ConfirmForm()
    if not form.validate():
        flash(_("This review is too old. Please choose the file again."), "error")
        return redirect(url_for("imports.upload", profile_id=access.profile.id))
    lines = ips_import.unpack(access, current_user, form.plan.data)
    chosen = [lines[i] for i in sorted(set(form.keep.data or [])) if 0 <= i < len(lines)]
    added = ips_import.apply(access, current_user, chosen, dates.local_today())
    db.session.commit()
    flash(ngettext("%(num)s line was added.", "%(num)s lines were added.", added) if added else
          _("Nothing was added."), "success")
    return redirect(url_for("emergency.show", profile_id=access.profile.id))

