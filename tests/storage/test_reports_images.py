"""Images lose every byte of metadata (EXIF GPS, camera, software) before encryption."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from storage.attachments import UnreadableImage, clean_attachment


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (64, 48), (180, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "WhistleCam"  # Make
    exif[0x0131] = "SecretSoftware 1.0"  # Software
    exif[0x0112] = 6  # orientation: rotate 90
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"taken at the depot")
    return out.getvalue()


def test_jpeg_exif_and_comment_are_removed_and_orientation_applied() -> None:
    raw = jpeg_with_exif()
    assert b"WhistleCam" in raw
    cleaned = clean_attachment(raw, "image/jpeg", ".jpg")
    assert cleaned.mime == "image/jpeg" and cleaned.name == "photo.jpg"
    for marker in (b"WhistleCam", b"SecretSoftware", b"Exif", b"depot"):
        assert marker not in cleaned.data
    image = Image.open(io.BytesIO(cleaned.data))
    assert dict(image.getexif()) == {}
    assert image.size == (48, 64)  # rotated upright before the metadata went


def test_png_text_chunks_are_removed() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Organiser")
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, "PNG", pnginfo=info)
    cleaned = clean_attachment(out.getvalue(), "image/png", ".png")
    assert b"Jane" not in cleaned.data and cleaned.mime == "image/png"


def test_truncated_image_is_refused() -> None:
    with pytest.raises(UnreadableImage):
        clean_attachment(jpeg_with_exif()[:200], "image/jpeg", ".jpg")


def test_images_that_cannot_be_cleaned_are_refused() -> None:
    with pytest.raises(UnreadableImage):
        clean_attachment(b"....ftypheic not decodable", "image/heic", ".heic")
