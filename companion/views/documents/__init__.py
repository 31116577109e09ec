"""The documents blueprint: a package, because its routes fill two modules (browse: list, upload,
CDA import, view, download; manage: edit, hide, trash, pins, the offline manifest, data saver).
Both import `bp` and the two helpers below from here; this module imports both once, at the end."""

from flask import Blueprint, url_for

from ...forms import options
from ...services import document_types
from ...services.access import Access

bp = Blueprint("documents", __name__)


def doc_urls(access: Access):
    """(page, file) URLs of a document of this profile, for the offline manifest."""
    return lambda doc: (url_for("documents.show", profile_id=access.profile.id, doc_id=doc.id),
                        url_for("documents.file", profile_id=access.profile.id, doc_id=doc.id))


def detail_choices(form, lang: str, everyday: bool = False):
    """The type list: the short everyday one to add a document (plus the type sent, if it is another
    valid one: a replayed or scripted upload), every type to edit one."""
    pairs = document_types.choices(lang, everyday=everyday)
    sent = document_types.get(form.type_code.data or "")
    if sent is not None and sent.code not in dict(pairs):
        pairs.append((sent.code, sent.label(lang)))
    form.type_code.choices = options(pairs)
    return form


from . import browse, manage, parts  # noqa: E402,F401  (their routes join the blueprint)
