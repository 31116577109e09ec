"""Companion: an offline-first patient companion.

create_app(config=None, testing=False): config -> extensions -> blueprints -> CLI -> security headers.
What is not a blueprint (profile-card links, background jobs, signal receivers) is declared in
companion/wiring.py and connected here.
"""

import logging
from functools import partial
from pathlib import Path

from flask import Flask, g, session
from flask_babel import format_decimal

from . import errors, headers, i18n, pool_check, texts, wiring
from .assets import StaticFiles, asset_text, asset_url, preload
from .config import PROJECT_ROOT, build_config
from .extensions import babel, compress, csrf, db, limiter, login_manager, migrate
from .services import agenda_refs, dates
from .web import client, devices, navigation, request, sessionless, sw_contract


def create_app(config: dict | None = None, *, testing: bool = False) -> Flask:
    """The app with the environment's settings, then config.TEST_SETTINGS when `testing`, then `config`."""
    app = Flask(__name__, static_folder=None, instance_path=str(PROJECT_ROOT / "instance"))
    app.request_class = request.Request
    app.config.update(build_config(config, (config or {}).get("INSTANCE_DIR"), testing=testing))
    _logging(app)
    Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        # Flask's documented way to add WSGI middleware; mypy sees wsgi_app only as a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    app.session_interface = sessionless.SessionInterface()
    db.init_app(app)
    _plans(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    compress.init_app(app)
    limiter.init_app(app)
    _login(app)

    from .web import inputs

    inputs.register(app)  # before the blueprints, so every `<int:...>` in their rules is bounded
    from . import views  # blueprints import the app's pieces
    views.register(app)
    errors.register(app)
    wiring.connect(app)

    from . import commands
    commands.register(app)

    _templates(app)
    app.after_request(devices.remember_device)  # every page may pin (the counter's too)
    app.after_request(sw_contract.account_headers)
    app.after_request(headers.apply)
    _static_files(app)
    _sweep_leftovers(app)
    return app


def _plans(app: Flask) -> None:
    with app.app_context():
        pool_check.install(db.engine, app.config["DATABASE_CHECK_AFTER_IDLE_SECONDS"])
        if db.engine.dialect.name == "postgresql":
            from . import pg_plans

            pg_plans.install(db.engine)


def _static_files(app: Flask) -> None:
    """/static/ is answered in front of Flask, with every file read and compressed now."""
    security = headers.security_headers(app.config, app.extensions["companion_inline_style_hash"])
    app.extensions["companion_security_headers"] = security
    with app.app_context():
        preload(app)
    # Flask's documented way to add WSGI middleware; mypy sees wsgi_app only as a method.
    app.wsgi_app = StaticFiles(app, app.wsgi_app, security)  # type: ignore[method-assign]


def _sweep_leftovers(app: Flask) -> None:
    """Every start (each web worker, each command) removes the part files of writes a crash cut short,
    instead of leaving them until the hourly housekeeping. No database read, and no listing of the
    store: a start costs the same at ten documents or ten million (services/store_upkeep.py)."""
    from .services import store_upkeep

    with app.app_context():
        try:
            removed = store_upkeep.sweep_parts()
        except OSError:
            app.logger.warning("start-up: leftovers of interrupted writes not swept", exc_info=True)
            return
    if removed:
        logging.getLogger("companion.store").info("start-up: %s half-written files removed", removed)


def _logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def _login(app: Flask) -> None:
    from .models.account import User
    from .services import sessions

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # the server-side session row is the protection
    from .texts import lazy_gettext as _l
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load(token: str):
        sess, wipe_all = sessions.resolve(token)
        if sess is None:
            g.wipe_all = wipe_all  # signed out from elsewhere: sw_contract says so
            db.session.commit()  # keep the expiry mark
            return None
        user: User = sess.user
        user._session_token = token
        user.current_session = sess
        return user  # no commit: the account and session stay loaded for the rest of the request


def _templates(app: Flask) -> None:
    from .headers import style_hash

    with app.app_context():
        css = asset_text("css/app.css")
    app.extensions["companion_inline_style_hash"] = style_hash(css)
    app.jinja_env.globals["get_flashed_messages"] = sw_contract.page_messages
    # Macros imported without the page's context (a document row) use the environment's gettext:
    # Flask-Babel installed one that finds the catalog again for every string.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        gettext=lambda s: texts.catalog().ugettext(s),
        ngettext=lambda s, p, n: texts.catalog().ungettext(s, p, n),
        pgettext=lambda c, s: texts.catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: texts.catalog().unpgettext(c, s, p, n), newstyle=True)

    @app.context_processor
    def inject():
        return {
            "asset_url": asset_url,
            "inline_css": css,
            "current_locale": client.locale(),
            "acting_for": getattr(g, "acting_for", None),
            "shared_device": client.shared_device(),
            **i18n.page_gettext(),
        }

    # One format per kind (services/dates.py): the filters take no format, so no page can pick its own.
    app.jinja_env.filters["date"] = dates.day
    app.jinja_env.filters["datetime"] = dates.moment
    app.jinja_env.filters["chart_day"] = dates.chart_day
    app.jinja_env.filters["decimal"] = format_decimal  # 1,5 in French, 1.5 in English
    app.jinja_env.filters["agenda_anchor"] = agenda_refs.anchor
    app.jinja_env.globals["text_direction"] = client.text_direction
    app.jinja_env.globals["request_path"] = navigation.request_path
    app.jinja_env.globals["session_flag"] = lambda key: session.get(key)
    app.jinja_env.globals["profile_links"] = partial(navigation.profile_links, links=wiring.PROFILE_LINKS)
