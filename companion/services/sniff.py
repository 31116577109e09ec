"""What a file really is, from its bytes: PDF, JPEG or PNG. The name and declared type are not trusted.
Images are opened by Pillow header-first, so a huge-dimension "image bomb" is refused before decoding."""

import io
import warnings

from PIL import Image

from ..texts import lazy_gettext as _l
from . import ServiceError

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
MAX_PIXELS = 50_000_000  # a 50-megapixel photo; beyond that it is a bomb, not a scan
MAX_SIDE = 20_000
EXECUTABLE_MAGICS = (b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!")

NOT_SUPPORTED = _l("This file is not a PDF, JPEG or PNG document. Please choose a PDF or a photo.")


def detect(data: bytes) -> str:
    """The content type of `data`, or a ServiceError saying plainly what is wrong."""
    if not data:
        raise ServiceError(_l("This file is empty. Please choose another one."), 400, field="file")
    if data.startswith(EXECUTABLE_MAGICS):
        raise ServiceError(NOT_SUPPORTED, 415, field="file")
    if data[:1024].find(b"%PDF-") == 0:
        return _check_pdf(data)
    if data.startswith(b"\xff\xd8\xff"):
        return _check_image(data, "JPEG", JPEG)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _check_image(data, "PNG", PNG)
    raise ServiceError(NOT_SUPPORTED, 415, field="file")


def _check_pdf(data: bytes) -> str:
    # A PDF ends with %%EOF (some writers add a few bytes after it); a cut download does not.
    if b"%%EOF" not in data[-1024:]:
        raise ServiceError(_l("This PDF is incomplete (the end of the file is missing). "
                              "Please download it again and retry."), 422, field="file")
    return PDF


def damaged() -> ServiceError:
    """What a person is told when a photo cannot be read whole."""
    return ServiceError(_l("This image is damaged or incomplete. Please take the photo again."), 422,
                        field="file")


def _check_image(data: bytes, fmt: str, mime: str) -> str:
    broken = damaged()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=[fmt])
            width, height = img.size
            if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                raise ServiceError(_l("This image is far too large (%(w)s × %(h)s pixels). "
                                      "Please send a smaller photo.", w=width, h=height), 422, field="file")
            img.verify()
    except ServiceError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ServiceError(_l("This image is far too large. Please send a smaller photo."), 422,
                           field="file") from None
    except Exception:  # any decoder failure means a broken image
        raise broken from None
    if mime == JPEG and b"\xff\xd9" not in data[-4096:]:
        raise broken
    return mime
