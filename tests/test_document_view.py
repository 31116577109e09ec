"""Opening a document never runs what the file carries: "Open" serves the PDF without its scripts and
actions; "Download" gives the person's own file; on a shared computer there is no download at all."""

import hashlib
import io

import pikepdf
import pytest

from companion.services.document_view import Unviewable, view_of

from . import hostile_pdf
from .cast import sign_up
from .documents_support import PDF, image, upload

ACTIVE = (b"/JavaScript", b"/JS", b"/OpenAction", b"/AA", b"/Launch", b"app.alert", b"calc.exe")


def _active_left(data: bytes) -> list[str]:
    """Active keys anywhere in the rewritten file, read back by qpdf (so escapes are decoded)."""
    found = [marker.decode() for marker in ACTIVE if marker in data]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary):
                found += [k for k in obj.keys() if k in ("/JS", "/OpenAction", "/AA", "/JavaScript")]
    return found


@pytest.mark.parametrize("hostile", [hostile_pdf.open_action_alert, hostile_pdf.named_javascript,
                                     hostile_pdf.link_annotations, hostile_pdf.escaped_names])
def test_every_script_and_unsafe_action_is_removed(hostile):
    view = view_of(hostile(), "application/pdf")
    assert view.rewritten and view.data.startswith(b"%PDF")
    assert _active_left(view.data) == []
    with pikepdf.open(io.BytesIO(view.data)) as pdf:
        assert len(pdf.pages) == 1  # the page itself is still there


def test_a_web_link_is_kept():
    view = view_of(hostile_pdf.link_annotations(), "application/pdf")
    with pikepdf.open(io.BytesIO(view.data)) as pdf:
        actions = [a.get("/A") for a in pdf.pages[0].Annots]
    assert [str(a.URI) for a in actions if a is not None] == ["https://example.org/"]


def test_a_plain_pdf_and_images_are_served_as_stored():
    """Unchanged bytes keep their sha256, which the offline copies check."""
    assert view_of(PDF, "application/pdf").data == PDF
    png = image("PNG")
    assert view_of(png, "image/png").data == png


def test_a_file_qpdf_cannot_read_is_not_viewable():
    with pytest.raises(Unviewable):
        view_of(b"%PDF-1.4\nnothing here\n%%EOF\n", "application/pdf")


def test_open_serves_the_safe_copy_and_download_the_persons_own_file(app, web, ctx):
    owner = sign_up(web, ctx)
    hostile = hostile_pdf.open_action_alert()
    doc_url = upload(web, owner, hostile).headers["Location"]
    opened = web.get(doc_url + "/file")
    assert opened.status_code == 200 and opened.mimetype == "application/pdf"
    assert "attachment" not in opened.headers.get("Content-Disposition", "")
    assert _active_left(opened.get_data()) == []
    assert opened.headers["X-Document-Sha256"] == hashlib.sha256(opened.get_data()).hexdigest()
    assert opened.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in opened.headers["Content-Security-Policy"]
    downloaded = web.get(doc_url + "/download")
    assert downloaded.headers["Content-Disposition"].startswith("attachment")
    assert downloaded.get_data() == hostile  # the stored file is never changed


def test_a_damaged_pdf_gets_a_plain_page_instead_of_the_viewer(app, web, ctx):
    owner = sign_up(web, ctx)
    doc_url = upload(web, owner, b"%PDF-1.4\nnothing here\n%%EOF\n").headers["Location"]
    page = web.get(doc_url + "/file")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "le fichier est abîmé ou protégé par un mot de passe" in html
    assert doc_url + "/download" in html


def _shared_login(web):
    web.logout()
    resp = web.login(shared_computer="y")
    assert resp.status_code == 302


def test_on_a_shared_computer_the_page_offers_open_only(app, web, ctx):
    owner = sign_up(web, ctx)
    doc_url = upload(web, owner, PDF).headers["Location"]
    assert "Télécharger" in web.get(doc_url).get_data(as_text=True)
    _shared_login(web)
    html = web.get(doc_url).get_data(as_text=True)
    assert "Télécharger" not in html and doc_url + "/download" not in html
    assert "Ouvrir" in html and "n’est pas enregistré sur l’ordinateur" in html
    # An old link to the download opens the document instead of leaving it in Downloads.
    resp = web.get(doc_url + "/download")
    assert resp.status_code == 200 and "attachment" not in resp.headers.get("Content-Disposition", "")


def test_on_a_shared_computer_a_damaged_pdf_is_not_offered_for_download(app, web, ctx):
    owner = sign_up(web, ctx)
    doc_url = upload(web, owner, b"%PDF-1.4\nnothing here\n%%EOF\n").headers["Location"]
    _shared_login(web)
    html = web.get(doc_url + "/file").get_data(as_text=True)
    assert "Ouvrez-le sur votre propre téléphone ou ordinateur" in html
    assert doc_url + "/download" not in html
