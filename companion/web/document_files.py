"""How a document's bytes leave the server: "Open" shows the safe view inline (services/document_view),
"Download" gives the stored file as an attachment, and a file that cannot be shown safely gets a page
that says so in plain words."""

import io

from flask import render_template, send_file

from ..services.access import Access
from ..services.documents import download_name
from . import sw_contract

# Nothing may run in a document's own page, whatever the viewer does with it.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


def file_response(doc, data: bytes, content_type: str, sha256: str, *, attachment: bool):
    resp = send_file(io.BytesIO(data), mimetype=content_type, as_attachment=attachment,
                     download_name=download_name(doc.title, content_type), max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers[sw_contract.DOCUMENT_SHA256] = sha256  # of the bytes sent, which "Open" may have rewritten
    resp.headers[sw_contract.DOCUMENT_VERSION] = doc.sha256  # the stored file's: what the manifest lists
    resp.headers["Content-Security-Policy"] = FILE_CSP
    return resp


def unviewable_page(access: Access, doc, *, shared: bool):
    """qpdf could not read the file (damaged, or locked with a password): never hand it to the browser's
    viewer unchecked. On a person's own device the download stays possible; on a shared computer it
    would stay in the Downloads folder, so the page says where to open it instead."""
    return render_template("documents/unviewable.html", access=access, doc=doc, shared=shared)
