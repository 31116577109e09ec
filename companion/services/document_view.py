"""What "Open" shows: the document without anything in it that could act.

A PDF may carry JavaScript (run when it opens, when a page shows, when a field is touched), launch
actions, form submissions, XFA forms and attached files. Chromium's own PDF viewer runs such a script
inside Companion's address when the file is served inline, and a `sandbox` CSP does not stop it.

The choice (SECURITY.md, "Files"): open PDFs in the browser as before, but from a copy rewritten by
qpdf (pikepdf) with every active part removed, rather than serving them as downloads or as page
images:
- a download leaves the file in the Downloads folder of a shared computer, and on a desktop it opens
  in whatever reader is installed, scripts included;
- page images weigh several times a text PDF on a 2G line, lose the text (screen readers, zoom, search)
  and cost the server a rendering per page;
- the rewritten PDF is the same size, opens in the same viewer, and leaves nothing on the computer.

A file in which nothing active is found, that qpdf reads without repairing, and whose bytes name no
active key is served unchanged, so its sha256 still matches the stored one (offline copies check it).
Anything else is served as qpdf rewrote it: the browser then reads qpdf's clean output, never the
original's quirks, so a file that two parsers would read differently cannot slip a script through.
The stored file is never changed: "Download" still gives the person's own file.
"""

import hashlib
import io
import re
from dataclasses import dataclass

import pikepdf

PDF = "application/pdf"
# Keys that hold a script, trigger an action by themselves, or carry another file.
ACTIVE_KEYS = ("/JS", "/JavaScript", "/OpenAction", "/AA", "/XFA", "/EmbeddedFiles", "/EF",
               "/RichMediaContent", "/RichMediaSettings")
# Keys whose value is an action that a click starts; only these kinds of action are kept.
ACTION_KEYS = ("/A", "/Next")
SAFE_ACTIONS = ("/GoTo", "/URI", "/Named")  # a place in the document, a web link, next/previous page
SAFE_URI = re.compile(r"^(https?:|mailto:)", re.I)
# The same names as written in the file, also with #xx escapes, which a parser must decode.
RAW_ACTIVE = re.compile(rb"/(JS|JavaScript|OpenAction|AA|Launch|XFA|EmbeddedFiles|RichMedia\w*|SubmitForm|"
                        rb"ImportData|GoToR|GoToE|Rendition)(?![A-Za-z0-9])|/[A-Za-z0-9]*#[0-9A-Fa-f]{2}")


class Unviewable(Exception):
    """qpdf cannot read the file (damaged, or locked with a password): it is not shown in the browser."""


@dataclass(frozen=True)
class View:
    data: bytes
    content_type: str
    rewritten: bool = False  # True: active parts were removed, or the file was rebuilt to be sure

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def view_of(data: bytes, content_type: str) -> View:
    """What the browser may show for these stored bytes. Images are shown as they are (sniffed at
    upload, served with nosniff and a CSP that allows nothing to run)."""
    if content_type != PDF:
        return View(data, content_type)
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            removed = strip_active(pdf)
            if not removed and not pdf.get_warnings() and not RAW_ACTIVE.search(data):
                return View(data, PDF)
            out = io.BytesIO()
            pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
            return View(out.getvalue(), PDF, rewritten=True)
    except (pikepdf.PdfError, pikepdf.PasswordError, ValueError, RecursionError) as exc:
        raise Unviewable(str(exc)) from None


def strip_active(pdf: pikepdf.Pdf) -> int:
    """Remove every active part from every object of the file; return how many were removed."""
    removed = _clean(pdf.trailer)
    for obj in pdf.objects:  # every numbered object, those inside object streams included
        removed += _clean(obj)
    return removed


def _clean(root) -> int:
    """Clean a dictionary and the direct objects nested in it (numbered ones are visited on their own)."""
    removed, stack = 0, [root]
    while stack:
        obj = stack.pop()
        if isinstance(obj, pikepdf.Array):
            stack.extend(item for item in obj if _nested(item))
            continue
        if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            continue
        for key in list(obj.keys()):
            if key in ACTIVE_KEYS or (key in ACTION_KEYS and _unsafe_action(obj[key])):
                del obj[key]
                removed += 1
            elif _nested(obj[key]):
                stack.append(obj[key])
    return removed


def _nested(value) -> bool:
    """A container written inside its parent (numbers and names come back as plain Python values)."""
    return isinstance(value, pikepdf.Array | pikepdf.Dictionary) and not value.is_indirect


def _unsafe_action(value) -> bool:
    if isinstance(value, pikepdf.Array):  # /Next may chain several actions
        return any(_unsafe_action(item) for item in value)
    if not isinstance(value, pikepdf.Dictionary) or "/S" not in value:
        return False  # not an action (a structure element's /A holds attributes)
    kind = str(value.get("/S"))
    if kind not in SAFE_ACTIONS:
        return True
    return kind == "/URI" and not SAFE_URI.match(str(value.get("/URI", "")))
