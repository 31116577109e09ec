"""Routes answered without the session: the same bytes for everyone (the service worker's source).

Such a request must not read the session: that would cost a database lookup (the user loader) and
make Flask add `Vary: Cookie`, so no cache could share the answer. The request hooks ask
`sessionless()` before touching current_user, and the session interface saves nothing for it (Flask-Login's
own after-request hook peeks at the session on every response)."""

from flask import current_app, request
from flask.sessions import SecureCookieSessionInterface


def sessionless_route(view):
    """Public, and never reading the session."""
    view.route_kind = "public"
    view.sessionless = True
    return view


def sessionless() -> bool:
    """Whether the current request is for a sessionless_route."""
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "sessionless", False))


def background_start(app) -> bool:
    """A request that comes with no session and that no person is looking at (the service worker's
    sync, a script's fetch: `Sec-Fetch-Mode` other than "navigate"). Starting a session for it (the
    login page it was redirected to makes a form token) would replace, in the browser's one session
    cookie, the session of the sign-in form the person is filling in, and that form would be refused
    as expired. Browsers that send no Sec-Fetch-Mode keep the usual behaviour."""
    mode = request.headers.get("Sec-Fetch-Mode")
    return bool(mode) and mode != "navigate" and app.config["SESSION_COOKIE_NAME"] not in request.cookies


class SessionInterface(SecureCookieSessionInterface):
    def save_session(self, app, session, response) -> None:
        if sessionless():
            return  # no cookie and no `Vary: Cookie`: nothing here depends on who asks
        if background_start(app):
            return  # nothing to keep: the next page the person opens starts the session
        super().save_session(app, session, response)
