"""Helpers for the documents tests: files good and bad, uploads, and caregivers of the owner's profile."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageDraw, PngImagePlugin

from companion.demo.documents import make_pdf

from .cast import delegate, sign_up

CDA_EXAMPLE = Path(__file__).resolve().parent / "data" / "DOC_NON_STRUCTURE_CDA-R2-N1.xml"
PDF = make_pdf("Bilan sanguin", ["Hemoglobine 13,8 g/dL", "Laboratoire test"])


def image(fmt: str, size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


HOME = "12 rue des Lilas"
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _picture() -> Image.Image:
    img = Image.new("RGB", (64, 48), (250, 250, 240))
    ImageDraw.Draw(img).rectangle((5, 5, 40, 20), fill=(10, 10, 10))  # a line of text on a paper
    return img


def _camera_exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Google", "Pixel 9", orientation
    exif[0x0132] = "2026:11:02 08:15:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (48.0, 51.0, 24.0), "E", (2.0, 21.0, 7.0)
    return exif


def phone_jpeg(progressive=False, orientation=6) -> bytes:
    """What a phone writes: Exif with GPS and camera, a colour profile, a comment, XMP, and a motion clip's
    start after the end of the image."""
    out = io.BytesIO()
    _picture().save(out, "JPEG", exif=_camera_exif(orientation), icc_profile=SRGB, comment=HOME.encode(),
                    xmp=b"<x:xmpmeta>GPSLatitude 48,51.4N</x:xmpmeta>", progressive=progressive, quality=90)
    return out.getvalue() + b"MotionPhoto ftypmp42 " + HOME.encode() + b"\0" * 100


def phone_png(orientation=8) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", HOME)
    info.add_itxt("XML:com.adobe.xmp", "GPSLatitude 48N", zip=True)
    out = io.BytesIO()
    _picture().save(out, "PNG", exif=_camera_exif(orientation), pnginfo=info)
    return out.getvalue()


def png_bomb(width=100_000, height=100_000) -> bytes:
    """A tiny PNG whose header claims huge dimensions."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def cda(body_b64: str = "", *, doctype: str = "", ins: str = "279035121518989",
        media="application/pdf") -> bytes:
    import base64
    body = body_b64 or base64.b64encode(PDF).decode()
    return (f"""<?xml version="1.0" encoding="UTF-8"?>{doctype}
<ClinicalDocument xmlns="urn:hl7-org:v3">
 <code code="57833-6" codeSystem="2.16.840.1.113883.6.1"/>
 <title>Ordonnance &amp; suivi</title>
 <effectiveTime value="20260302101500+0100"/>
 <recordTarget><patientRole><id root="1.2.250.1.213.1.4.10" extension="{ins}"/></patientRole></recordTarget>
 <author><assignedAuthor><assignedPerson><name><given>Anne</given><family>LEFEVRE</family><suffix>DR</suffix>
 </name></assignedPerson></assignedAuthor></author>
 <component><nonXMLBody><text mediaType="{media}" representation="B64">{body}</text></nonXMLBody></component>
</ClinicalDocument>""").encode()


def as_caregiver(web, ctx, profile_id: int, scopes: str, see_hidden=False, who="sophie") -> None:
    """The owner signs out of this browser; `who` signs up on it and helps with the profile."""
    web.logout()
    sign_up(web, ctx, who)
    delegate(ctx, profile_id, who, scopes, see_hidden=see_hidden)


def doc_id(resp) -> int:
    """The id of the document an upload redirected to."""
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def upload(web, profile_id: int, data: bytes, filename="scan.pdf", json=False, **fields):
    url = f"/p/{profile_id}/documents/upload"
    form = {"type_code": "11502-2", "title": "", "source": "", **fields, "file": (io.BytesIO(data), filename)}
    headers = {"Accept": "application/json"} if json else {}
    return web.post(url, form, content_type="multipart/form-data", headers=headers)


@pytest.fixture(autouse=True)
def _empty_document_store(app):
    """The session-wide app keeps its instance folder: start each test with no stored blob."""
    import shutil
    shutil.rmtree(Path(app.config["INSTANCE_DIR"]) / "documents", ignore_errors=True)
    yield
