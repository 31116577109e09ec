"""The mediator's side: start a help session (code + QR code), follow its step statuses, end it;
issue an assisted recovery code; the structure's activation figures. Never any health data."""

import csv
import io

import segno
from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, url_for
from flask import session as flask_session
from flask_login import current_user
from markupsafe import Markup

from ..extensions import db
from ..forms.onboarding import IssueRecoveryForm, StepForm
from ..services import ServiceError, activation, assisted_recovery, onboarding
from ..texts import lazy_gettext as _l
from ..web.public_url import public_url
from ..web.refusals import refuse
from ..web.routes import account_route

bp = Blueprint("mediators", __name__, url_prefix="/mediators")

STEP_LABELS = {**onboarding.STEP_LABELS, "sessions": _l("People helped")}
STATUS_LABELS = {"done": _l("Done"), "skipped": _l("Skipped"), "todo": _l("To do")}


@bp.context_processor
def _labels():
    return {"step_labels": STEP_LABELS, "status_labels": STATUS_LABELS}


def _qr_svg(url: str) -> Markup:
    svg = segno.make(url, error="m").svg_inline(scale=5, dark="#000", light="#fff", omitsize=True)
    label = str(_l("QR code to join the help session"))
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))


def _steps(sess) -> list[dict]:
    return [{"name": s, "label": str(STEP_LABELS[s]), "status": sess.status_of(s),
             "status_label": str(STATUS_LABELS[sess.status_of(s)])} for s in onboarding.STEPS]


def _state(sess) -> str:
    """The live sentence over the table: it follows the real step, as the table does."""
    if sess.ended_at:
        return str(_l("Ended"))
    if sess.claimed_at is None:
        return str(_l("Waiting for the person to join."))
    if sess.consent_at is None:
        return str(_l("The person joined and is reading the consent."))
    step = onboarding.next_step(sess)
    if step is None:
        return str(_l("The person agreed to be helped. Every step is done or left for later."))
    return str(_l("The person agreed to be helped. Now: %(step)s.", step=STEP_LABELS[step]))


@bp.route("/")
@account_route
def index():
    structure = onboarding.require_mediator(current_user)
    lead = structure.lead_id == current_user.id
    return render_template("mediators/index.html", structure=structure, lead=lead, form=StepForm(),
                           live=onboarding.live_sessions(current_user))


@bp.route("/sessions", methods=["POST"])
@account_route
def start():
    form = StepForm()
    if not form.validate_on_submit():
        raise ServiceError(_l("This form has expired. Please go back, reload the page and try again."))
    sess, code = onboarding.start(current_user)
    db.session.commit()
    # Only the hash is stored; the mediator's own browser keeps the code until the person joins.
    flask_session["onb_code"] = {"id": sess.id, "code": code}
    return redirect(url_for("mediators.session", session_id=sess.id))


def _shown_code(sess) -> str | None:
    kept = flask_session.get("onb_code") or {}
    if kept.get("id") != sess.id or sess.claimed_at is not None or not onboarding.code_usable(sess):
        return None
    return kept.get("code")


@bp.route("/sessions/<int:session_id>")
@account_route
def session(session_id: int):
    sess = onboarding.for_mediator(current_user, session_id)
    db.session.commit()  # keep a lazy expiry
    code = _shown_code(sess)
    join_url = qr = None
    if code:
        join_url = public_url("onboarding.join", code=code)
        qr = _qr_svg(join_url)
    return render_template("mediators/session.html", sess=sess, steps=_steps(sess), form=StepForm(),
                           state=_state(sess), code=code and f"{code[:3]} {code[3:]}", qr=qr,
                           join_url=join_url, mediator=current_user)


@bp.route("/sessions/<int:session_id>/status.json")
@account_route
def status(session_id: int):
    sess = onboarding.for_mediator(current_user, session_id)
    db.session.commit()
    return jsonify(joined=sess.claimed_at is not None, consented=sess.consent_at is not None,
                   ended=sess.ended_at is not None, steps=_steps(sess), state=_state(sess))


@bp.route("/sessions/<int:session_id>/end", methods=["POST"])
@account_route
def end(session_id: int):
    form = StepForm()
    if not form.validate_on_submit():
        raise ServiceError(_l("This form has expired. Please go back, reload the page and try again."))
    sess = onboarding.for_mediator(current_user, session_id)
    onboarding.end(sess, "mediator")
    db.session.commit()
    return redirect(url_for("mediators.session", session_id=sess.id))


@bp.route("/recovery", methods=["GET", "POST"])
@account_route
def recovery():
    onboarding.require_mediator(current_user)
    form = IssueRecoveryForm()
    limit = current_app.config["ASSISTED_RECOVERY_DAILY_LIMIT"]
    if form.validate_on_submit():
        try:
            _row, code = assisted_recovery.issue(current_user, form.email.data,
                                                 bool(form.identity_checked.data), daily_limit=limit)
        except ServiceError as exc:
            used = assisted_recovery.issued_today(current_user)
            return refuse(form, exc, "mediators/recovery.html", limit=limit, used=used)
        db.session.commit()
        return render_template("mediators/recovery_code.html", code=code), 201
    used = assisted_recovery.issued_today(current_user)
    return render_template("mediators/recovery.html", form=form, limit=limit, used=used), \
        (422 if form.errors else 200)


@bp.route("/recovery/log")
@account_route
def recovery_log():
    rows = assisted_recovery.structure_log(current_user)
    return render_template("mediators/recovery_log.html", rows=rows,
                           hold_hours=current_app.config["RECOVERY_HOLD_HOURS"])


def _figures():
    structure = onboarding.require_mediator(current_user)
    return structure, activation.weekly(structure)


@bp.route("/activation")
@account_route
def figures():
    structure, rows = _figures()
    totals = activation.funnel(rows)
    top = max((n for _s, n in totals), default=0) or 1
    bars = [{"label": str(STEP_LABELS[s]), "count": n, "width": round(240 * n / top)} for s, n in totals]
    peak = max((r.sessions for r in rows), default=0) or 1
    weeks = [{"row": r, "height": round(100 * r.sessions / peak)} for r in rows]
    return render_template("mediators/activation.html", structure=structure, rows=rows, bars=bars,
                           weeks=weeks, funnel=activation.FUNNEL)


@bp.route("/activation.csv")
@account_route
def figures_csv():
    structure, rows = _figures()
    out = io.StringIO()
    csv.writer(out).writerows(activation.csv_lines(rows))
    name = f"activation-{structure.commune_code}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
