"""The emergency card printed: a one-page wallet card (PDF, credit-card size, ID-1: 85.6 x 53.98 mm) and
an image for a phone's lock screen (PNG, 1080 x 2340, the common 19.5:9 screen), each with the QR code of
a share, in the language asked for.

The PDF is drawn with fpdf2 (maintained, pure Python, nothing to install beyond the wheel; reportlab
would do as well but is ten times larger); its core Helvetica font covers Latin-1, so the few French
characters beyond it are replaced by their plain equivalent. Free text reaches both files only as text:
fpdf2 escapes PDF string delimiters, and the PNG holds pixels and no text chunk."""

import io
import textwrap

import segno
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from ..texts import gettext as _

CARD_MM = (85.6, 53.98)
SCREEN_PX = (1080, 2340)
PLAIN = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "œ": "oe", "Œ": "OE", "…": "...", "–": "-",
                       "—": "-", "€": "EUR"})
FIELD_CHARS = 120


def latin1(text: str) -> str:
    return text.translate(PLAIN).encode("latin-1", "replace").decode("latin-1")


def _short(items, limit: int = FIELD_CHARS) -> str:
    text = ", ".join(items) if isinstance(items, list) else (items or "")
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def lines(card: dict) -> list[tuple[str, str]]:
    """(label, value) of what a printed card says, in the current locale; empty fields left out."""
    rows = [(_("Allergies and intolerances"), _short(card["allergies"])),
            (_("Medicines taken now"), _short(card["treatments"])),
            (_("Illnesses and health problems"), _short(card["conditions"])),
            (_("Blood group"), card["blood_group"]),
            (_("Implanted devices"), _short(card["devices"])),
            (_("To call"), _short(card["contacts"][:1]))]
    return [(label, value) for label, value in rows if value]


def qr_png(url: str, scale: int = 0, fit: int = 0) -> bytes:
    """The QR code as a PNG, `scale` pixels a module, or the largest whole scale that fits `fit` pixels
    (whole pixels a module: a resized code blurs and may not scan)."""
    qr = segno.make(url, error="m")
    out = io.BytesIO()
    qr.save(out, kind="png", scale=scale or max(1, fit // qr.symbol_size(border=2)[0]), border=2)
    return out.getvalue()


def wallet_pdf(card: dict, url: str, code: str) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format=CARD_MM)  # (width, height) as given: landscape
    pdf.set_auto_page_break(False)
    pdf.set_margins(3, 3, 3)
    pdf.set_title(latin1(_("Emergency card")))
    pdf.add_page()
    qr = 25.0
    pdf.image(io.BytesIO(qr_png(url, scale=8)), x=CARD_MM[0] - 3 - qr, y=3, w=qr, h=qr)
    pdf.set_xy(CARD_MM[0] - 3 - qr, 3 + qr)
    pdf.set_font("helvetica", size=5)
    pdf.multi_cell(qr, 2.2, latin1(_("Scan to see the card") + f"\n{code}"), align="C")
    width = CARD_MM[0] - 6 - qr - 2
    pdf.set_xy(3, 3)
    pdf.set_text_color(170, 0, 0)
    pdf.set_font("helvetica", "B", 8)
    pdf.cell(width, 4, latin1(_("Emergency card").upper()), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("helvetica", "B", 8)
    pdf.multi_cell(width, 3.6, latin1(_short(card["name"], 60)), new_x="LMARGIN", new_y="NEXT")
    for label, value in lines(card):
        if pdf.get_y() > CARD_MM[1] - 6:
            break  # one page, always: the QR code leads to the rest
        pdf.set_font("helvetica", "B", 5.5)
        pdf.multi_cell(width, 2.5, latin1(label), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=6)
        pdf.multi_cell(width, 2.7, latin1(value), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def lock_screen_png(card: dict, url: str, code: str) -> bytes:
    width, height = SCREEN_PX
    img = Image.new("RGB", SCREEN_PX, "white")
    draw = ImageDraw.Draw(img)
    big, mid, small = (ImageFont.load_default(size=s) for s in (64, 44, 36))
    y = 620  # the clock and the notifications use the top of a lock screen
    draw.rectangle((0, y, width, y + 110), fill=(170, 0, 0))
    draw.text((60, y + 22), _("Emergency card").upper(), font=big, fill="white")
    y += 150
    draw.text((60, y), _short(card["name"], 40), font=big, fill="black")
    y += 100
    for label, value in lines(card):
        draw.text((60, y), label, font=small, fill=(90, 90, 90))
        y += 48
        for part in textwrap.wrap(value, 40)[:3]:
            draw.text((60, y), part, font=mid, fill="black")
            y += 56
        y += 16
        if y > height - 900:
            break
    qr = Image.open(io.BytesIO(qr_png(url, fit=640))).convert("RGB")
    img.paste(qr, ((width - qr.width) // 2, height - 180 - qr.height))
    caption = _("Scan to see the card") + "  " + code
    draw.text((width // 2, height - 150), caption, font=small, fill="black", anchor="mm")
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
