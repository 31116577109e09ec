"""Showing a profile to a health professional: make a share (what, how long, a passcode), see its QR
code, link and short code, stop it; and the public pages the professional opens with no account (the
page decrypts in their browser with the key from the link's fragment: static/js/share.js)."""

import base64
from typing import Any

import segno
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_login import current_user
from markupsafe import Markup

from ..extensions import db, limiter
from ..forms import options
from ..forms.shares import ShareForm
from ..services import ServiceError, documents, emergency_card, shares, wallet_card
from ..services.access import Access
from ..texts import lazy_gettext as _l
from ..web.refusals import refuse
from ..web.routes import commit_read, profile_route, public_route

bp = Blueprint("shares", __name__)
SESSION_KEY = "share_links"  # share id -> [key, code], for the sharer's own session only
KEPT_LINKS = 3


def _cost() -> tuple[int, int]:
    return current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"]


def _code_limit() -> str:
    return current_app.config["CODE_RATE_LIMIT"]


def share_url(share, key: bytes) -> str:
    """The link a QR code carries: the key only in the fragment, which browsers never send."""
    origin = current_app.config["PUBLIC_ORIGIN"].rstrip("/")
    return f"{origin}/s/{share.public_id}#{shares.b64url(key)}"


def kept_link(share) -> tuple[str, str] | None:
    """(link, short code) while this session still holds them (they are shown only to their maker)."""
    held = (session.get(SESSION_KEY) or {}).get(str(share.id))
    if not held:
        return None
    return share_url(share, base64.urlsafe_b64decode(held[0])), held[1]


def qr_svg(url: str) -> Markup:
    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    label = str(_l("QR code to open the share"))
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))


def _form(access: Access) -> ShareForm:
    form = ShareForm()
    form.documents.choices = options((d.id, d.title) for d in documents.newest(access, 30))
    return form


@bp.route("/p/<int:profile_id>/shares", methods=["GET", "POST"])
@profile_route(shares.SCOPE, "document.list")  # the form lists the newest documents' titles
def index(access: Access):
    form = _form(access)
    ctx: dict[str, Any] = {"access": access, "shares": shares.listed(access, current_user),
                           "is_active": shares.is_active}
    if form.validate_on_submit():
        try:
            made = shares.create(access, current_user, card=form.card.data,
                                 document_ids=form.documents.data or [], vaccinations=form.vaccinations.data,
                                 lifetime=form.lifetime.data,
                                 passcode=form.passcode.data or "", cost=_cost())
        except ServiceError as exc:
            return refuse(form, exc, "shares/index.html", **ctx)
        db.session.commit()
        held = dict(list((session.get(SESSION_KEY) or {}).items())[-(KEPT_LINKS - 1):])
        held[str(made.share.id)] = [base64.urlsafe_b64encode(made.key).decode(), made.code]
        session[SESSION_KEY] = held
        return redirect(url_for("shares.show", profile_id=access.profile.id, share_id=made.share.id))
    return render_template("shares/index.html", form=form, **ctx), (422 if form.errors else 200)


@bp.route("/p/<int:profile_id>/shares/<int:share_id>")
@profile_route(shares.SCOPE)
def show(access: Access, share_id: int):
    share = shares.get(access, current_user, share_id)
    link = kept_link(share) if shares.is_active(share) else None
    return render_template("shares/show.html", access=access, share=share, active=shares.is_active(share),
                           link=link[0] if link else None, code=link[1] if link else None,
                           qr=qr_svg(link[0]) if link else None)


@bp.route("/p/<int:profile_id>/shares/<int:share_id>/revoke", methods=["POST"])
@profile_route(shares.SCOPE)
def revoke(access: Access, share_id: int):
    shares.revoke(access, current_user, shares.get(access, current_user, share_id))
    db.session.commit()
    flash(_l("Done: this share no longer opens."), "success")
    return redirect(url_for("shares.index", profile_id=access.profile.id))


def _print(access: Access, share_id: int, make, mimetype: str, filename: str):
    """A printed card for this share, in the language asked for (?lang=fr|en), while this session holds
    its link; else 409 (the link is shown only where the share was made)."""
    share = shares.get(access, current_user, share_id)
    link = kept_link(share) if shares.is_active(share) else None
    if link is None:
        return render_template("errors/error.html", code=409, title=_l("Make a new share"),
                               hint=_l("The QR code of this share is no longer on this phone.")), 409
    lang = request.args.get("lang", "")
    with force_locale(lang if lang in current_app.config["LANGUAGES"] else get_locale().language):
        data = make(emergency_card.snapshot(access.profile, emergency_card.get(access)), *link)
    # The printed card is today's card, whatever the share held: a caregiver's print is an opening of it.
    emergency_card.record_read(access, current_user, copy=False)
    commit_read()
    resp = Response(data, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f"attachment; filename={filename}"
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/p/<int:profile_id>/shares/<int:share_id>/wallet.pdf")
@profile_route(shares.SCOPE)
def wallet(access: Access, share_id: int):
    return _print(access, share_id, wallet_card.wallet_pdf, "application/pdf", "emergency-card.pdf")


@bp.route("/p/<int:profile_id>/shares/<int:share_id>/lock-screen.png")
@profile_route(shares.SCOPE)
def lock_screen(access: Access, share_id: int):
    return _print(access, share_id, wallet_card.lock_screen_png, "image/png", "emergency-card.png")


# --- the health professional's side: no account ------------------------------------------------

@bp.route("/s")
@public_route
def by_code():
    return render_template("shares/code.html")


@bp.route("/s/<public_id>")
@public_route
def viewer(public_id: str):
    return render_template("shares/viewer.html", public_id=public_id[:32])


@bp.route("/s/<public_id>/open", methods=["POST"])
@public_route
@limiter.limit(_code_limit)
def open_share(public_id: str):
    body = request.get_json(silent=True) or {}
    passcode = body.get("passcode") if isinstance(body.get("passcode"), str) else None
    try:
        data = shares.open_package(public_id, passcode, cost=_cost())
    except ServiceError as exc:
        db.session.commit()  # the refusal is in the owner's access log, and a wrong try is counted
        return jsonify(message=str(exc.message), **exc.details), exc.status
    db.session.commit()
    resp = jsonify(data=base64.b64encode(data).decode())
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/s/<public_id>/leave", methods=["POST"])
@public_route
@limiter.limit(_code_limit)
def leave(public_id: str):
    """A health professional leaves a document back (a plain form: it works without JavaScript too)."""
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    try:
        shares.leave_document(public_id, request.form.get("passcode") or None, data,
                              request.form.get("title", ""), _source, cost=_cost())
    except ServiceError as exc:
        if exc.status in (401, 410):
            db.session.commit()  # a wrong passcode counts, and the attempt is in the owner's log
        else:
            db.session.rollback()
        return render_template("shares/left.html", title=_l("The document was not left"),
                               hint=exc.message), exc.status
    db.session.commit()
    return redirect(url_for("shares.left", public_id=public_id))


def _source(locale: str) -> str:
    with force_locale(locale):
        return str(_l("From a health professional, to check"))


@bp.route("/s/<public_id>/left")
@public_route
def left(public_id: str):
    return render_template("shares/left.html", title=_l("Thank you: the document was left"),
                           hint=_l("The person finds it in their documents, marked to check."))


@bp.route("/s/code/<lookup>")
@public_route
@limiter.limit(_code_limit)
def code_lookup(lookup: str):
    try:
        public_id, wrapped = shares.by_code(lookup)
    except ServiceError as exc:
        return jsonify(message=str(exc.message)), exc.status
    resp = jsonify(id=public_id, wrapped=base64.b64encode(wrapped).decode())
    resp.headers["Cache-Control"] = "no-store"
    return resp
