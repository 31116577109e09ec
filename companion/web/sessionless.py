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


class SessionInterface(SecureCookieSessionInterface):
    def save_session(self, app, session, response) -> None:
        if sessionless():
            return  # no cookie and no `Vary: Cookie`: nothing here depends on who asks
        super().save_session(app, session, response)
