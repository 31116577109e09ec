"""A photo is kept without what it carries besides the picture.

A phone writes into each photo where it was taken (GPS), when, with which camera, and sometimes a
thumbnail, an XMP packet or a whole motion clip after the image. Every share and export hands the stored
file on, so a prescription photographed at home would tell a clinician, or anyone the archive reaches,
where the person lives. Messaging apps remove this for the same reason.

The picture itself is not re-encoded: the file's segments (JPEG) or chunks (PNG) are copied, and only
those that hold metadata are left out. The pixels are byte-for-byte those that were sent, so a scan
loses nothing. Two things are kept because the picture needs them: the colour profile (ICC, and Adobe's
colour transform flag) and the orientation, written back alone, so a photo taken sideways still shows
upright. A file this walk does not understand (Pillow, more lenient, accepted it) is re-drawn by Pillow
instead: slightly lossy, but never kept with what it carried; one Pillow cannot draw either is refused
as damaged, as sniff.py refuses one it cannot open.
"""

import io
import re
import zlib

from PIL import Image, ImageOps

from . import sniff

JPEG, PNG = "image/jpeg", "image/png"
ORIENTATION = 0x0112
# JPEG APPn segments that the picture needs; every other APPn and every comment (COM) is metadata.
KEPT_APP = {0xE0: b"JFIF\x00", 0xE2: b"ICC_PROFILE\x00", 0xEE: b"Adobe"}
COM, SOS, EOI = 0xFE, 0xDA, 0xD9
STANDALONE = {0x01, *range(0xD0, 0xD8)}  # markers without a length: TEM and the restart markers
SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")  # in scan data, 0xFF00 is a byte and RSTn a marker
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG chunks that draw the picture (animation frames included); any other chunk, known or private, goes.
PNG_PICTURE = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sRGB", b"sBIT",
               b"cICP", b"cLLI", b"mDCV", b"bKGD", b"pHYs", b"acTL", b"fcTL", b"fdAT"}


class _Unexpected(Exception):
    """The file's structure is not one this walk copies safely."""


def strip(data: bytes, content_type: str) -> bytes:
    """The same picture without its metadata. Other types (PDF) are returned unchanged."""
    if content_type not in (JPEG, PNG):
        return data
    try:
        return _jpeg(data) if content_type == JPEG else _png(data)
    except (_Unexpected, IndexError, ValueError):
        pass
    try:
        return _redrawn(data, content_type)
    except Exception:  # any decoder failure: the picture itself is broken
        raise sniff.damaged() from None


def _jpeg(data: bytes) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        raise _Unexpected
    kept, orientation, pos, size = [b"\xff\xd8"], None, 2, len(data)
    while pos < size:
        if data[pos] != 0xFF:
            raise _Unexpected
        marker = data[pos + 1]
        if marker == 0xFF:  # a fill byte before a marker
            pos += 1
        elif marker == EOI:  # the picture ends here; a thumbnail or a motion clip after it is left out
            kept.append(b"\xff\xd9")
            return _with_orientation(b"".join(kept), orientation or 1)
        elif marker in STANDALONE:
            kept.append(data[pos:pos + 2])
            pos += 2
        else:
            length = int.from_bytes(data[pos + 2:pos + 4], "big")
            segment = data[pos:pos + 2 + length]
            if length < 2 or len(segment) != 2 + length:
                raise _Unexpected
            if _is_metadata(marker, segment[4:]):
                if marker == 0xE1 and orientation is None and segment[4:].startswith(b"Exif\x00\x00"):
                    orientation = _orientation(segment[4:])  # the first Exif block: the one browsers read
            elif marker == 0xE0 and len(segment) > 18:  # JFIF with a thumbnail: an older crop may show
                kept.append(b"\xff\xe0\x00\x10" + segment[4:16] + b"\x00\x00")
            else:
                kept.append(segment)
            pos += 2 + length
            if marker == SOS:  # the compressed picture follows, up to the next real marker
                end = SCAN_END.search(data, pos)
                if end is None:
                    raise _Unexpected
                kept.append(data[pos:end.start()])
                pos = end.start()
    raise _Unexpected  # no end of image


def _is_metadata(marker: int, body: bytes) -> bool:
    if marker == COM:
        return True
    if 0xE0 <= marker <= 0xEF:
        return not body.startswith(KEPT_APP.get(marker, b"\x00never"))
    return False


def _orientation(exif: bytes) -> int:
    """The orientation (1-8) an Exif block gives, 1 if it gives none or cannot be read."""
    if not exif.startswith(b"Exif\x00\x00"):
        exif = b"Exif\x00\x00" + exif  # PNG's eXIf chunk holds the TIFF part alone
    try:
        values = Image.Exif()
        values.load(exif)
        value = int(values.get(ORIENTATION, 1))
    except Exception:  # a damaged Exif block: the picture is shown as stored
        return 1
    return value if 1 <= value <= 8 else 1


def _orientation_exif(orientation: int) -> bytes:
    values = Image.Exif()
    values[ORIENTATION] = orientation
    return values.tobytes()  # "Exif\0\0" then a TIFF block holding only the orientation


def _with_orientation(jpeg: bytes, orientation: int) -> bytes:
    if orientation == 1:
        return jpeg
    exif = _orientation_exif(orientation)
    segment = b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif
    # JFIF wants its APP0 first; Exif readers find APP1 right after it.
    at = 2 + 2 + int.from_bytes(jpeg[4:6], "big") if jpeg[2:4] == b"\xff\xe0" else 2
    return jpeg[:at] + segment + jpeg[at:]


def _png(data: bytes) -> bytes:
    if not data.startswith(PNG_SIGNATURE):
        raise _Unexpected
    chunks, pos = [], len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind, end = data[pos + 4:pos + 8], pos + 12 + length
        if end > len(data):
            raise _Unexpected
        chunks.append((kind, pos, end))
        pos = end
        if kind == b"IEND":
            break
    else:
        raise _Unexpected  # no end of image
    exif = next((data[p + 8:e - 4] for k, p, e in chunks if k == b"eXIf"), None)
    orientation = _orientation(exif) if exif is not None else 1
    kept = [PNG_SIGNATURE]
    for kind, start, end in chunks:
        if kind == b"IDAT" and orientation != 1:  # eXIf must come before the picture's data
            kept.append(_png_chunk(b"eXIf", _orientation_exif(orientation)[6:]))
            orientation = 1
        if kind in PNG_PICTURE:
            kept.append(data[start:end])
    return b"".join(kept)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def _redrawn(data: bytes, content_type: str) -> bytes:
    with Image.open(io.BytesIO(data)) as img:
        upright = ImageOps.exif_transpose(img).copy()
        # Pillow writes a comment, Exif or text found there back into the new file: only transparency stays.
        upright.info = {k: v for k, v in upright.info.items() if k == "transparency"}
        out = io.BytesIO()
        # The colour profile describes the original's pixels: kept only when they are not converted.
        if content_type == JPEG and upright.mode not in ("RGB", "L"):
            upright.convert("RGB").save(out, "JPEG", quality=92)
        else:
            upright.save(out, "JPEG" if content_type == JPEG else "PNG", quality=92,
                         icc_profile=img.info.get("icc_profile"))
        return out.getvalue()
