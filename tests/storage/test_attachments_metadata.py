"""Attacks on the promise that files lose their metadata: every format Pillow opens.

Each test plants identifying metadata (GPS position, camera serial, author, text chunks,
XMP, an ICC profile with a description) and then tries to read it back from what would be
stored. ``test_the_attack_finds_the_metadata_in_the_raw_file`` shows the probe works: on
the sender's original bytes (cleaning switched off) it recovers every planted marker.
"""

from __future__ import annotations

import io

import pillow_heif
import pytest
from PIL import Image, ImageCms, PngImagePlugin

from storage.attachments import clean_attachment
from storage.errors import UnreadableImage

pillow_heif.register_heif_opener()

MARKERS = (b"WhistleCam", b"SN-4471", b"Jane Organiser", b"Northgate")
GPS_IFD = 0x8825


def exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "WhistleCam"  # Make
    exif[0xA431] = "SN-4471"  # BodySerialNumber
    exif[0x013B] = "Jane Organiser"  # Artist
    exif[0x010E] = "Northgate depot"  # ImageDescription
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 12.5)
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 39.0)
    return exif


def picture(mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, (40, 30))
    image.putdata([((x * 7) % 256, (x * 3) % 256, 90)[: len(mode)] if len(mode) > 1
                   else (x * 5) % 256 for x in range(40 * 30)])
    return image


def encode(image_format: str) -> bytes:
    """An image in ``image_format`` carrying every marker the format can hold."""
    out = io.BytesIO()
    image = picture()
    exif = exif_with_gps().tobytes()
    xmp = b'<x:xmpmeta><rdf:Description dc:creator="Jane Organiser"/></x:xmpmeta>'
    if image_format == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Author", "Jane Organiser")
        info.add_itxt("Location", "Northgate depot")
        image.save(out, "PNG", pnginfo=info, exif=exif)
    elif image_format == "JPEG":
        image.save(out, "JPEG", exif=exif, comment=b"WhistleCam at Northgate", xmp=xmp)
    elif image_format == "TIFF":
        image.save(out, "TIFF", exif=exif, description="Northgate depot")
    elif image_format == "HEIF":
        image.save(out, "HEIF", exif=exif, xmp=xmp)
    else:
        image.save(out, image_format, exif=exif)
    return out.getvalue()


def gps_of(data: bytes) -> object:
    """The attacker's probe: a GPS IFD, wherever Pillow finds one."""
    image = Image.open(io.BytesIO(data))
    return dict(image.getexif().get_ifd(GPS_IFD)) or None


def leaked(data: bytes) -> list[bytes]:
    return [marker for marker in MARKERS if marker in data]


FORMATS = ["JPEG", "PNG", "WEBP", "TIFF", "HEIF"]


@pytest.mark.parametrize("image_format", FORMATS)
def test_the_attack_finds_the_metadata_in_the_raw_file(image_format: str) -> None:
    raw = encode(image_format)
    assert gps_of(raw) is not None
    assert leaked(raw)


@pytest.mark.parametrize("image_format", FORMATS)
@pytest.mark.parametrize("declared", ["image/jpeg", "application/octet-stream", None])
def test_metadata_is_gone_whatever_type_was_declared(
    image_format: str, declared: str | None
) -> None:
    cleaned = clean_attachment(encode(image_format), declared, ".bin")
    assert leaked(cleaned.data) == []
    assert gps_of(cleaned.data) is None
    image = Image.open(io.BytesIO(cleaned.data))
    assert dict(image.getexif()) == {}
    assert not {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "Author",
                "Location"} & set(image.info)
    assert image.size == (40, 30)
    assert cleaned.name in ("photo.jpg", "image.png")  # never the sender's name


def test_heic_photo_sent_as_a_generic_file_is_cleaned_not_stored_as_is() -> None:
    raw = encode("HEIF")
    cleaned = clean_attachment(raw, "application/octet-stream", ".heic")
    assert cleaned.mime == "image/png" and gps_of(cleaned.data) is None


def test_icc_profile_is_dropped_and_colours_converted() -> None:
    # An ICC profile records who made it and when (a phone model, a calibration date).
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    picture().save(out, "JPEG", icc_profile=profile)
    assert b"ICC_PROFILE" in out.getvalue() and b"acsp" in out.getvalue()
    cleaned = clean_attachment(out.getvalue(), None, "")
    assert b"ICC_PROFILE" not in cleaned.data and b"acsp" not in cleaned.data
    assert "icc_profile" not in Image.open(io.BytesIO(cleaned.data)).info


@pytest.mark.parametrize("mode", ["P", "CMYK", "1", "LA", "I;16"])
def test_unusual_pixel_modes_are_cleaned_or_refused_cleanly(mode: str) -> None:
    out = io.BytesIO()
    image = Image.new(mode, (16, 16))
    image_format = "TIFF" if mode in ("CMYK", "I;16") else "PNG"
    image.save(out, image_format, exif=exif_with_gps().tobytes())
    try:
        cleaned = clean_attachment(out.getvalue(), "application/octet-stream", "")
    except UnreadableImage as refusal:
        assert refusal.reason == "corrupt"
    else:
        assert leaked(cleaned.data) == [] and gps_of(cleaned.data) is None


def test_animated_images_are_refused_rather_than_losing_frames() -> None:
    frames = [Image.new("RGB", (8, 8), (n * 40, 0, 0)) for n in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    with pytest.raises(UnreadableImage) as refusal:
        clean_attachment(out.getvalue(), "image/gif", ".gif")
    assert refusal.value.reason == "multi_frame"


@pytest.mark.parametrize("signature", [
    b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",  # a HEIC header, body missing
    b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00mif1avif",
    b"\xff\x0a\xfa\x7f",  # JPEG XL: Pillow cannot decode it, so it cannot be cleaned
])
def test_image_containers_that_cannot_be_decoded_are_refused_even_as_documents(
    signature: bytes,
) -> None:
    with pytest.raises(UnreadableImage):
        clean_attachment(signature + b"\0" * 64 + b"GPS", "application/octet-stream", ".bin")


def test_documents_are_kept_as_sent_under_a_neutral_name() -> None:
    cleaned = clean_attachment(b"%PDF-1.4 /Author (Jane Organiser)", "application/pdf",
                               ".pdf")
    assert cleaned.name == "document.pdf"
    assert cleaned.data.endswith(b"(Jane Organiser)")  # documented: not cleaned


def test_pillow_debug_logging_is_off() -> None:
    import logging

    assert logging.getLogger("PIL").getEffectiveLevel() > logging.DEBUG
    assert not logging.getLogger("PIL.TiffImagePlugin").isEnabledFor(logging.DEBUG)
