"""Home, language switch, health check, manifest, service worker and offline page."""

import json

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import text

from ..assets import answer_asset, asset_url, make_asset, service_worker_source
from ..extensions import db, login_manager
from ..i18n import LANG_COOKIE
from ..services import closure, receipts, upload_parts
from ..texts import lazy_gettext as _l
from ..web import cookies
from ..web import sw_contract as swc
from ..web.navigation import reachable_profiles, redirect_next
from ..web.routes import account_route, public_route
from ..web.sessionless import sessionless_route
from ..web.sw_contract import account_key, keep_offline

bp = Blueprint("main", __name__)

# Without network, a file up to this size waits on the phone (IndexedDB) and is sent later.
OUTBOX_MAX_FILE_MB = 10


def outbox_texts() -> Markup:
    """The outbox script's texts, made once per language and app: the same for every account, and
    about 30 translated strings (a twentieth of a signed-in page's CPU) on every signed-in page otherwise."""
    kept: dict[str, Markup] = current_app.extensions.setdefault("companion_outbox_texts", {})
    lang = str(get_locale())
    made = kept.get(lang)
    if made is None:
        made = kept[lang] = Markup(render_template("_outbox_texts.html",
                                                   outbox_max_mb=OUTBOX_MAX_FILE_MB).strip())
    return made


@bp.app_context_processor
def outbox_context():
    signed_in = getattr(current_user, "is_authenticated", False)
    return {"account_key": account_key(current_user) if signed_in else "", "outbox_texts": outbox_texts,
            "outbox_max_mb": OUTBOX_MAX_FILE_MB, "upload_timeout_ms": current_app.config["UPLOAD_TIMEOUT_MS"],
            "outbox_send_within_ms": int(receipts.SEND_WITHIN.total_seconds() * 1000),
            "upload_part": upload_parts.PART}


@bp.app_context_processor
def banners_context():
    def banner_seen(name: str) -> bool:
        """A banner is shown in full once per sign-in, then in one line: the first screen is for
        the person's own things, not for chrome."""
        seen = session.get("banners_seen", [])
        if name in seen:
            return True
        # Only a page the person opens counts, not a copy the service worker fetches for offline use.
        if request.headers.get("Sec-Fetch-Mode", "navigate") == "navigate":
            session["banners_seen"] = [*seen, name]
        return False
    return {"banner_seen": banner_seen}


@bp.route("/")
@public_route
def home():
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    if current_user.role == "mediator":
        # A mediator account never sees health data (services/access.py): its home is its tools.
        return redirect(url_for("mediators.index"))
    # The start screen: kept for the account, so the installed app (start_url /?source=pwa) opens offline.
    html = render_template("main/home.html", accesses=reachable_profiles(current_user),
                           account_key=account_key(current_user), closing=closure.closing_for(current_user))
    return keep_offline(make_response(html))


@bp.route("/on-this-phone")
@account_route
def on_this_phone():
    """What this browser keeps for the account, listed by the page's script from the worker's caches
    (the server cannot see them); the page itself is kept so it opens offline too."""
    return keep_offline(make_response(render_template("main/on_this_phone.html",
                                                      account_key=account_key(current_user),
                                                      accesses=reachable_profiles(current_user))))


@bp.route("/language", methods=["POST"])
@public_route
def set_language():
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        lang = current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    resp = redirect_next(request.form.get("next"))
    cookies.put(resp, LANG_COOKIE, lang, max_age=365 * 86400)
    return resp


@bp.route("/outbox/session")
@public_route
def outbox_session():
    """What the outbox (js/outbox.js, and the worker's Background Sync) needs before it sends: this
    session's form token and account key, in a few bytes of JSON rather than the home page (which
    sends a mediator elsewhere: a mediator's logout made without network was then never sent); {} once
    signed out. Only a 200 says which: anything else means "ask again later", never "signed out"."""
    body = {"token": generate_csrf(), "account": swc.account_key(current_user)} \
        if current_user.is_authenticated else {}
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/healthz")
@public_route
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means unhealthy
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


@bp.route("/offline/<lang>")
@sessionless_route
def offline(lang: str):
    """The worker's page for a place it kept nothing of. It keeps it from one install to the next, for
    whoever signs in after: it names nobody. Made for an account, its logout button would queue, offline,
    the logout of whoever was signed in when it was fetched, and the next person's would be dropped."""
    g._login_user = login_manager.anonymous_user()  # Flask-Login's user for this request
    if lang not in current_app.config["LANGUAGES"]:
        lang = "fr"
    with force_locale(lang):
        html = render_template("main/offline.html", page_lang=lang)
    resp = make_response(html)
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.route("/manifest.webmanifest")
@public_route
def manifest():
    data = {
        "name": str(_l("Companion: my health space")),
        "short_name": "Companion",
        "description": str(_l("Your health documents and prevention agenda, even without network.")),
        "lang": request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "fr",
        "start_url": "/?source=pwa",
        "scope": "/",
        "id": "/",
        "display": "standalone",
        "background_color": "#f6f7f9",
        "theme_color": "#1d3a6e",
        "icons": [
            {"src": asset_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": asset_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": asset_url("icons/maskable-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    }
    resp = Response(json.dumps(data, ensure_ascii=False), mimetype="application/manifest+json")
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.route("/sw.js")
@sessionless_route
def service_worker():
    """Assembled and compressed once per process (brotli 11, as the static files): a browser checks for
    a new worker at its navigations, and gets a 304 while it has not changed, not 8 KB again on 2G."""
    worker = None if current_app.debug else current_app.extensions.get("companion_worker")
    if worker is None:
        offline_pages = [url_for("main.offline", lang=lang) for lang in current_app.config["LANGUAGES"]]
        consts = swc.worker_constants(current_app.config["OFFLINE_COPY_AFTER_MS"])
        worker = make_asset(service_worker_source(offline_pages, consts).encode(), "application/javascript")
        current_app.extensions["companion_worker"] = worker
    status, headers, body = answer_asset(worker, request.environ, immutable=False)
    resp = Response(body, status=int(status[:3]), headers=headers)
    resp.headers["Service-Worker-Allowed"] = "/"
    return resp
