"""A photo is kept without where it was taken, the camera, comments, XMP or a clip after the image; the
picture itself (pixels, colour profile, orientation) is unchanged. Checked on the file the person, a share
or an export gets back, after a real upload."""

import io

import pytest
from PIL import Image, ImageOps

from companion.services import photo_metadata

from .cast import sign_up
from .documents_support import (  # noqa: F401
    HOME,
    SRGB,
    _empty_document_store,
    doc_id,
    image,
    phone_jpeg,
    phone_png,
    upload,
)


@pytest.fixture
def owner(web, ctx):
    return sign_up(web, ctx)


def _stored(web, owner, data: bytes, filename: str) -> bytes:
    resp = upload(web, owner, data, filename=filename, type_code="57833-6")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    got = web.get(f"/p/{owner}/documents/{doc_id(resp)}/download")
    assert got.status_code == 200
    return got.data


def _assert_only_the_picture(sent: bytes, kept: bytes, orientation: int) -> None:
    for secret in (b"Pixel 9", b"Google", b"2026:11:02", HOME.encode(), b"GPS", b"Motion", b"ftyp"):
        assert secret not in kept
    before, after = Image.open(io.BytesIO(sent)), Image.open(io.BytesIO(kept))
    assert dict(after.getexif()) == {0x0112: orientation}  # the orientation alone, no GPS block
    assert after.getexif().get_ifd(0x8825) == {}
    assert after.tobytes() == before.tobytes()  # the same pixels, not a re-encoded copy
    assert ImageOps.exif_transpose(after).size == (48, 64)  # still shown upright


@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
def test_a_phone_photo_is_kept_without_its_place_camera_or_clip(web, owner, progressive):
    sent = phone_jpeg(progressive)
    kept = _stored(web, owner, sent, "IMG_2041.jpg")
    _assert_only_the_picture(sent, kept, 6)
    assert Image.open(io.BytesIO(kept)).info["icc_profile"] == SRGB  # the colours stay true
    assert kept.endswith(b"\xff\xd9") and len(kept) < len(sent)


def test_a_png_is_kept_without_its_text_or_exif(web, owner):
    sent = phone_png()
    kept = _stored(web, owner, sent, "capture.png")
    _assert_only_the_picture(sent, kept, 8)
    assert not {"Location", "XML:com.adobe.xmp"} & set(Image.open(io.BytesIO(kept)).info)


def test_the_same_photo_sent_twice_is_one_document(web, owner):
    first, second = upload(web, owner, phone_jpeg(), "a.jpg"), upload(web, owner, phone_jpeg(), "b.jpg")
    assert doc_id(first) == doc_id(second)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_photo_with_nothing_hidden_is_kept_byte_for_byte(web, owner, fmt):
    sent = image(fmt)
    assert _stored(web, owner, sent, f"scan.{fmt.lower()}") == sent


def test_a_photo_the_walk_does_not_understand_is_redrawn_upright_without_metadata(web, owner):
    sent = phone_jpeg()
    table = sent.index(b"\xff\xdb")
    odd = sent[:table] + b"\x00\x00" + sent[table:]  # stray bytes between segments: Pillow reads on
    kept = _stored(web, owner, odd, "odd.jpg")
    assert b"Pixel 9" not in kept and HOME.encode() not in kept
    after = Image.open(io.BytesIO(kept))
    assert dict(after.getexif()) == {} and after.size == (48, 64)  # turned upright when redrawn


def test_only_exif_sets_the_orientation_not_an_xmp_block_after_it():
    sent = phone_jpeg(orientation=3)
    kept = photo_metadata.strip(sent, photo_metadata.JPEG)
    assert dict(Image.open(io.BytesIO(kept)).getexif()) == {0x0112: 3}


def test_a_pdf_is_not_touched():
    pdf = b"%PDF-1.4 /Author (x) %%EOF"
    assert photo_metadata.strip(pdf, "application/pdf") == pdf


def test_a_cmyk_scan_keeps_the_segment_its_colours_need():
    out = io.BytesIO()
    Image.new("CMYK", (40, 30), (0, 100, 100, 0)).save(out, "JPEG", comment=HOME.encode())
    kept = photo_metadata.strip(out.getvalue(), photo_metadata.JPEG)
    after = Image.open(io.BytesIO(kept))
    assert HOME.encode() not in kept and b"Adobe" in kept and after.mode == "CMYK"
    assert after.tobytes() == Image.open(io.BytesIO(out.getvalue())).tobytes()


def _damaged_jpeg() -> bytes:
    data = image("JPEG")
    return data[:10] + data[11:]  # the JFIF segment one byte short: Pillow opens it, nothing can draw it


def test_a_photo_that_cannot_be_drawn_is_refused_as_damaged_not_a_crash(web, owner):
    resp = upload(web, owner, _damaged_jpeg(), filename="x.jpg", type_code="57833-6")
    assert resp.status_code == 422
    assert "Cette image est abîmée ou incomplète" in resp.get_data(as_text=True)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return photo_metadata._png_chunk(kind, body)


def test_every_png_chunk_that_does_not_draw_the_picture_goes_even_private_ones():
    sent = image("PNG")
    iend = sent.index(b"IEND") - 4
    extra = b"".join(_chunk(k, HOME.encode()) for k in (b"exIf", b"caBX", b"zxIf", b"tEXt"))
    first_idat = sent.index(b"IDAT") - 4
    sent = sent[:first_idat] + extra + sent[first_idat:iend] + extra + sent[iend:]
    kept = photo_metadata.strip(sent, photo_metadata.PNG)
    assert HOME.encode() not in kept
    assert Image.open(io.BytesIO(kept)).tobytes() == Image.open(io.BytesIO(sent)).tobytes()


def test_the_orientation_is_the_one_a_browser_reads():
    """JPEG: the first Exif block (a second one after it is ignored). PNG: an eXIf after the picture's
    data is still honoured, written back where it belongs."""
    second = Image.Exif()
    second[0x0110] = "Pixel 9"
    block = second.tobytes()
    jpeg = phone_jpeg(orientation=6)
    sos = jpeg.index(b"\xff\xda")
    jpeg = jpeg[:sos] + b"\xff\xe1" + (len(block) + 2).to_bytes(2, "big") + block + jpeg[sos:]
    assert dict(Image.open(io.BytesIO(photo_metadata.strip(jpeg, photo_metadata.JPEG))).getexif()) == {274: 6}
    png = image("PNG", size=(64, 48))
    iend = png.index(b"IEND") - 4
    late = _chunk(b"eXIf", photo_metadata._orientation_exif(6)[6:])
    kept = photo_metadata.strip(png[:iend] + late + png[iend:], photo_metadata.PNG)
    assert kept.index(b"eXIf") < kept.index(b"IDAT")
    assert ImageOps.exif_transpose(Image.open(io.BytesIO(kept))).size == (48, 64)


def test_a_jfif_thumbnail_goes_with_the_rest():
    jpeg = image("JPEG")
    assert jpeg[2:4] == b"\xff\xe0" and jpeg[4:6] == b"\x00\x10"
    thumb = bytes([2, 2]) + HOME.encode()[:12]  # a 2 x 2 thumbnail: 12 bytes of RGB
    with_thumb = jpeg[:4] + (16 + 12).to_bytes(2, "big") + jpeg[6:18] + thumb + jpeg[20:]
    kept = photo_metadata.strip(with_thumb, photo_metadata.JPEG)
    assert HOME.encode()[:12] not in kept and kept == jpeg
