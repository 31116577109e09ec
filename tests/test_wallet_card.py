"""The printed emergency card: a one-page credit-card PDF and a lock-screen PNG, in French or English,
whose QR code decodes to the share's link, and where hostile text stays text."""

import html
import io
import re

import pikepdf
import zxingcpp
from pikepdf import PdfImage
from PIL import Image

from companion.extensions import db
from companion.models.profile import Profile

from .cast import signed_in
from .test_emergency_card import _fill
from .test_shares import _share, louis  # noqa: F401  (the fixture)

HOSTILE = ") Tj /JavaScript (app.alert(1)) Tj (\\\\<script>alert(1)</script>"


def _link(web, pid):
    _public_id, _key, code = _share(web, pid)
    page = web.get(f"/p/{pid}/shares/1").get_data(as_text=True)
    return re.search(r'id="share-link" type="text" readonly value="([^"]+)"', html.unescape(page))[1], code


def _decode(img: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(img)]


def test_the_wallet_card_is_one_credit_card_page_whose_qr_opens_the_share(web, louis):  # noqa: F811
    url, code = _link(web, louis)
    resp = web.get(f"/p/{louis}/shares/1/wallet.pdf?lang=fr")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    pdf = pikepdf.open(io.BytesIO(resp.data))
    assert len(pdf.pages) == 1
    x0, y0, x1, y1 = (float(v) for v in pdf.pages[0].mediabox)
    assert abs((x1 - x0) - 85.6 / 25.4 * 72) < 0.5 and abs((y1 - y0) - 53.98 / 25.4 * 72) < 0.5
    images = [PdfImage(obj).as_pil_image() for obj in pdf.pages[0].get_images().values()]
    assert _decode(images[0].convert("RGB")) == [url]
    text = _page_text(pdf)
    assert "CARTE D'URGENCE" in text and "pénicilline" in text and code in text
    english = pikepdf.open(io.BytesIO(web.get(f"/p/{louis}/shares/1/wallet.pdf?lang=en").data))
    assert "EMERGENCY CARD" in _page_text(english) and "Blood group" in _page_text(english)


def _action_keys(pdf) -> set[str]:
    """Keys that make a PDF act (scripts, actions, launches) in any of its dictionaries."""
    found = set()
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            found |= set(obj.keys()) & {"/JS", "/JavaScript", "/AA", "/Launch", "/S"}
    return found


def _page_text(pdf) -> str:
    """The strings the page draws (Tj/TJ operands), decoded as fpdf2 writes them (Latin-1)."""
    out = []
    for operands, op in pikepdf.parse_content_stream(pdf.pages[0]):
        if str(op) == "Tj":
            out.append(bytes(operands[0]).decode("latin-1"))
        elif str(op) == "TJ":
            out += [bytes(x).decode("latin-1") for x in operands[0] if isinstance(x, pikepdf.String)]
    return "\n".join(out)


def test_hostile_text_stays_text_in_the_pdf_and_the_png(web, louis):  # noqa: F811
    _fill(web, louis, allergies=HOSTILE, contacts="x" * 200)
    url, _ = _link(web, louis)
    pdf = pikepdf.open(io.BytesIO(web.get(f"/p/{louis}/shares/1/wallet.pdf").data))
    assert len(pdf.pages) == 1
    assert not _action_keys(pdf) and isinstance(pdf.Root.get("/OpenAction", pikepdf.Array()), pikepdf.Array)
    # Drawn as text (wrapped at its spaces): its brackets did not end the string operand.
    assert ") Tj /JavaScript (app.alert(1)) Tj" in _page_text(pdf).replace("\n", " ")
    png = web.get(f"/p/{louis}/shares/1/lock-screen.png").data
    img = Image.open(io.BytesIO(png))
    assert not img.text and b"script" not in png  # pixels only, no text chunk
    assert _decode(img.convert("RGB")) == [url]


def test_the_lock_screen_image_fits_a_phone_and_its_qr_opens_the_share(web, louis):  # noqa: F811
    url, _ = _link(web, louis)
    resp = web.get(f"/p/{louis}/shares/1/lock-screen.png?lang=en")
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    img = Image.open(io.BytesIO(resp.data))
    assert img.size == (1080, 2340)
    assert _decode(img.convert("RGB")) == [url]


def test_without_the_link_in_this_session_there_is_nothing_to_print(app, web, ctx, louis):  # noqa: F811
    _link(web, louis)
    with ctx():
        owner_id = db.session.get(Profile, louis).user_id
    other_phone = signed_in(app.test_client(), owner_id)
    assert other_phone.get(f"/p/{louis}/shares/1/wallet.pdf").status_code == 409
