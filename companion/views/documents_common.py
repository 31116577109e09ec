"""What the two documents view modules share: the blueprint, the device id behind pins, and small
request helpers. Both import this module; neither imports the other's private names."""

import re
import secrets

from flask import Blueprint, g, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..forms import options
from ..services import document_types
from ..web import cookies
from .navigation import add_profile_link

bp = Blueprint("documents", __name__)
add_profile_link("documents.index", _l("Documents"), "documents:read", order=20)

DEVICE_COOKIE = "companion_device"
DEVICE_RE = re.compile(r"^[0-9a-f]{32}$")


def device_id(create: bool = False) -> str:
    """Pins are per account and device: a random, meaningless id in a cookie."""
    raw = cookies.get(DEVICE_COOKIE) or ""
    if DEVICE_RE.match(raw):
        return raw
    if create and "new_device_id" not in g:
        g.new_device_id = secrets.token_hex(16)
    return g.get("new_device_id", "")


@bp.after_request
def _device_cookie(response):
    # Never on a shared computer: nothing of this device is worth remembering there.
    known = DEVICE_RE.match(cookies.get(DEVICE_COOKIE) or "")
    if current_user.is_authenticated and not shared_device() and not known:
        cookies.put(response, DEVICE_COOKIE, device_id(create=True), max_age=5 * 365 * 86400)
    return response


def shared_device() -> bool:
    return bool(getattr(getattr(current_user, "current_session", None), "shared_device", False))


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def locale() -> str:
    return str(get_locale() or "fr")


def doc_urls(access):
    """(page, file) URLs of a document of this profile, for the offline manifest."""
    return lambda doc: (url_for("documents.show", profile_id=access.profile.id, doc_id=doc.id),
                        url_for("documents.file", profile_id=access.profile.id, doc_id=doc.id))


def detail_choices(form, lang: str):
    form.type_code.choices = options(document_types.choices(lang))
    return form
