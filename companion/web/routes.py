"""Route declarations that the access-matrix test reads, and the access guard they run.

Every view is exactly one of:
- `@profile_route(scope, action)`: reads or writes a profile's data; URL under /p/<profile_id>/;
  the access check runs before the view, which receives `access`; a non-owner's read is logged.
- `@account_route`: the signed-in account's own pages, holding no profile data.
- `@public_route`: open to anyone (login, register, manifest, health check);
  `@sessionless_route` is one that never reads the session (the service worker's source).
A test fails when a view is none of these, so a new route cannot skip the check by accident.
"""

from functools import wraps

from flask import g, request
from flask_login import current_user, login_required

from ..extensions import db
from ..services import audit
from ..services.access import require_access
from .navigation import reachable_profiles


def profile_route(scope: str, action: str | None = None):
    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(*args, profile_id: int, **kwargs):
            # A read already needs the profiles this account reaches (the page's X-Profile-Access
            # header): the access is checked against that list, read once. A write reads afresh.
            among = reachable_profiles(current_user) if request.method in ("GET", "HEAD") else None
            access = require_access(current_user, profile_id, scope, among=among)
            g.acting_for = access
            g.personal_data = True
            response = view(*args, access=access, **kwargs)
            # The read is logged once the page is made (a page that failed was not seen), and written at
            # the commit (services/audit.py). A failed commit is an error page: nothing is shown unlogged.
            if action and request.method in ("GET", "HEAD") and \
                    audit.record_access(access, current_user, action):
                commit_read()  # a read-only view would otherwise drop the log entry
            return response

        wrapper.profile_scope = scope
        wrapper.audit_action = action
        return wrapper

    return decorate


def commit_read() -> None:
    """Commit what a reading request wrote (its access-log entry) without expiring what it loaded: what
    runs after (the response headers) only reads, and would otherwise load the account and session again."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def account_route(view):
    wrapped = login_required(view)
    wrapped.route_kind = "account"
    return wrapped


def public_route(view):
    view.route_kind = "public"
    return view


def route_kind(view) -> str | None:
    if getattr(view, "profile_scope", None):
        return "profile"
    return getattr(view, "route_kind", None)
