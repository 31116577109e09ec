"""Proofs of delegation, for anyone: the published keys, the verifier page (the check runs in the
browser, static/js/verify.js, and works offline once the keys are kept), and the status of a proof."""

from flask import Blueprint, jsonify, render_template

from ..services import proof_keys, proofs
from ..texts import lazy_gettext as _l
from ..web.routes import public_route
from ..web.sessionless import sessionless_route

bp = Blueprint("proofs", __name__)

# What the page says of each answer; the sentences themselves come from services/proofs.SENTENCES.
STATUS_WORDS = {"active": _l("This access still holds today."),
                "replaced": _l("A newer proof replaces this one: what it says may no longer be true. "
                               "Ask for the newest proof."),
                "ended": _l("This access has ended: it no longer holds."),
                "expired": _l("This access reached its end date: it no longer holds."),
                "unknown": _l("Companion does not know this proof: do not trust it.")}


@bp.route("/.well-known/companion-proof-keys.json")
@sessionless_route
def keys():
    resp = jsonify(keys=proof_keys.published())
    resp.headers["Cache-Control"] = "public, max-age=3600"
    resp.headers["Access-Control-Allow-Origin"] = "*"  # public keys: any verifier may read them
    return resp


@bp.route("/verify")
@public_route
def verify():
    words = {"sentences": {k: str(v) for k, v in proofs.SENTENCES.items()},
             "scopes": {k: str(v) for k, v in proofs.SCOPE_WORDS.items()},
             "status": {k: str(v) for k, v in STATUS_WORDS.items()}}
    return render_template("proofs/verify.html", words=words)


@bp.route("/verify/status/<proof_id>.json")
@sessionless_route
def status(proof_id: str):
    """Only the random proof id the statement carries, and only the state: who and what are in the
    statement the verifier already holds."""
    state = proofs.status(proof_id)
    resp = jsonify(state=state or "unknown")
    resp.headers["Cache-Control"] = "no-store"
    return resp, (200 if state else 404)
