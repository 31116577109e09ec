"""Refused requests are throttled: past REFUSAL_RATE_LIMIT an account (or an address, when signed out)
is answered 429 instead of 404. The refusals are still counted in the owner's log (services/refusals.py)."""

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import parse_many

from ..extensions import limiter


def refused_too_often(actor_id: int | None) -> bool:
    """Count this refusal against the limit; True once the caller is over it."""
    if not limiter.enabled:
        return False
    key = f"user:{actor_id}" if actor_id is not None else f"addr:{get_remote_address()}"
    strategy = limiter.limiter
    over = False
    for item in parse_many(current_app.config["REFUSAL_RATE_LIMIT"]):
        over = not strategy.hit(item, "refusals", key) or over
    return over
