"""Every cookie Companion sets, named and flagged in one place.

In production each name carries the `__Host-` prefix: the browser then accepts the cookie only when it is
Secure, has Path=/ and no Domain, so neither a sibling sub-domain nor a plain-HTTP page on the network
can plant or overwrite it (session fixation, a forged device id). Outside production the plain name is
kept: over http://localhost a `__Host-` cookie would be refused by the browser."""

from flask import current_app, request

HOST_PREFIX = "__Host-"
# The browser that joined an assisted help session (views/onboarding.py, views/dependents.py).
ONBOARDING = "companion_onb"


def production_name(base: str, env_name: str) -> str:
    return HOST_PREFIX + base if env_name == "production" else base


def name(base: str) -> str:
    return production_name(base, current_app.config["ENV_NAME"])


def get(base: str) -> str | None:
    return request.cookies.get(name(base))


def put(response, base: str, value: str, *, max_age: int | None = None) -> None:
    """HttpOnly, SameSite=Lax, Path=/, no Domain; Secure whenever the session cookie is."""
    response.set_cookie(name(base), value, max_age=max_age, path="/", domain=None, httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])


def remove(response, base: str) -> None:
    # The deletion must carry the same flags, or a browser ignores it for a `__Host-` cookie.
    response.delete_cookie(name(base), path="/", domain=None, httponly=True, samesite="Lax",
                           secure=current_app.config["SESSION_COOKIE_SECURE"])
