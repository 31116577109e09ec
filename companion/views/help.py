"""Help pages anyone can read, signed in or not: the glossary of the few words that must stay."""

from flask import Blueprint, render_template

from ..web.routes import public_route

bp = Blueprint("help", __name__)


@bp.route("/glossary")
@public_route
def glossary():
    return render_template("help/glossary.html")
