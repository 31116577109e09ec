"""A proof printed: one A4 page with the sentence it proves, its details, and the QR code that holds the
signed statement (drawn with fpdf2 and the QR helper of services/wallet_card.py)."""

import io
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from fpdf import FPDF

from ..texts import gettext as _
from .wallet_card import latin1, qr_png

if TYPE_CHECKING:
    from .proofs import Statement

A4 = (210.0, 297.0)
PARIS = ZoneInfo("Europe/Paris")
QR_MM = 80.0
TOKEN_LINE = 70  # characters of the statement per printed line (it has no spaces to break at)


def qr(url: str) -> bytes:
    """The QR code once per proof (most of the work of a proof: both people's PDFs share it). Six
    pixels a module, drawn 80 mm wide: about 100 dpi, sharp enough at print and screen sizes."""
    return qr_png(url, scale=6)


def render(title: str, sentence: str, stmt: "Statement", token: str, url: str, locale: str,
           qr_image: bytes) -> bytes:
    from .proofs import SCOPE_WORDS

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(20, 20, 20)
    pdf.set_title(latin1(title))
    pdf.add_page()
    width = A4[0] - 40
    pdf.set_font("helvetica", "B", 18)
    pdf.multi_cell(width, 9, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("helvetica", size=14)
    pdf.multi_cell(width, 7, latin1(sentence), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    rows = [(_("Person"), stmt.person), (_("Caregiver"), stmt.caregiver),
            (_("Allowed"), ", ".join(str(SCOPE_WORDS[s]) for s in stmt.scopes)),
            (_("From"), format_date(stmt.start, "long", locale=locale)),
            (_("Until") if stmt.kind != "revocation" else _("Ended on"),
             format_date(stmt.until, "long", locale=locale)),
            (_("Issued"), format_datetime(stmt.issued, "long", tzinfo=PARIS, locale=locale)),
            (_("Proof number"), stmt.proof_id)]
    for label, value in rows:
        pdf.set_font("helvetica", "B", 11)
        pdf.cell(45, 7, latin1(label))
        pdf.set_font("helvetica", size=11)
        pdf.multi_cell(width - 45, 7, latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    top = pdf.get_y()
    pdf.image(io.BytesIO(qr_image), x=(A4[0] - QR_MM) / 2, y=top, w=QR_MM, h=QR_MM)
    pdf.set_xy(20, top + QR_MM + 3)
    pdf.set_font("helvetica", size=10)
    pdf.multi_cell(width, 5, latin1(_("To check this proof, scan the code with a phone, or open %(url)s and "
                                      "paste the text below. The check says whether the proof is genuine "
                                      "and whether the access still holds.", url=url.split("#")[0])),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("courier", size=7)
    for start in range(0, len(token), TOKEN_LINE):
        pdf.cell(width, 3.2, token[start:start + TOKEN_LINE], new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
