"""PDFs that try to act when opened, built object by object (with a correct cross-reference table)."""

from companion.demo.documents import pdf_from_objects


def pdf_with(catalog_extra: bytes = b"", page_extra: bytes = b"", extra_objects: tuple[bytes, ...] = (),
             text: str = "Compte rendu") -> bytes:
    """A one-page PDF; objects 6 onwards are `extra_objects`, which the extras may refer to."""
    stream = b"BT /F1 16 Tf 56 780 Td (" + text.encode("latin-1") + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> " + page_extra + b" >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *extra_objects,
    ]
    return pdf_from_objects(objects)


def open_action_alert(script: str = "app.alert(1);") -> bytes:
    """Runs `script` as soon as the PDF opens (the case seen in Chromium's viewer)."""
    return pdf_with(b"/OpenAction 6 0 R",
                    extra_objects=(b"<< /Type /Action /S /JavaScript /JS (" + script.encode() + b") >>",))


def named_javascript() -> bytes:
    """Document-level JavaScript in the names tree, plus a page that runs a script when it shows."""
    return pdf_with(b"/Names << /JavaScript << /Names [(x) 6 0 R] >> >>",
                    b"/AA << /O << /S /JavaScript /JS (app.alert(2)) >> >>",
                    extra_objects=(b"<< /S /JavaScript /JS (app.alert(3)) >>",))


def link_annotations() -> bytes:
    """Two links: a web link (kept) and a javascript: one (removed); a launch action chained after it."""
    return pdf_with(page_extra=b"/Annots [6 0 R 7 0 R]", extra_objects=(
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 50 50] /A << /S /URI /URI (https://example.org/) >> >>",
        b"<< /Type /Annot /Subtype /Link /Rect [60 0 90 50] /A << /S /URI /URI (javascript:alert(4)) "
        b"/Next << /S /Launch /F (calc.exe) >> >> >>",
    ))


def escaped_names() -> bytes:
    """/OpenAction and /JS spelt with #xx escapes, which a parser decodes and a byte search would miss."""
    return pdf_with(b"/#4FpenAction 6 0 R", extra_objects=(b"<< /S /JavaScript /J#53 (app.alert(5)) >>",))
