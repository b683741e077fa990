"""Cleaning report attachments before they are encrypted.

A photo's EXIF block can carry GPS coordinates, the camera's serial number and the exact
time it was taken: enough to identify a whistleblower. Images are therefore decoded and
re-encoded from their pixels alone (orientation applied first, so nothing looks rotated),
which drops EXIF, XMP, IPTC, ICC profiles, comments and thumbnails in one go, rather than
trying to enumerate metadata fields to remove.

Other documents (PDF, office files) cannot be cleaned generically; they are stored as
sent, and the /report warning tells people so.

Pure and synchronous (Pillow is CPU-bound): call it through ``asyncio.to_thread``.
"""

from __future__ import annotations

import io
import json
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = ["Attachment", "clean_attachment", "pack_attachment", "unpack_attachment"]

#: Larger images are refused rather than decoded (decompression bombs).
MAX_PIXELS = 60_000_000


@dataclass(frozen=True, slots=True)
class Attachment:
    """A cleaned file, ready to be encrypted.

    Attributes:
        name: A neutral file name (never the sender's original name, which may hold
            their name or a device path).
        mime: The media type of ``data``.
        data: The file bytes; for images, pixels re-encoded without metadata.
    """

    name: str
    mime: str
    data: bytes


class UnreadableImage(ValueError):
    """An image that Pillow recognised but could not (or must not) decode."""


def _strip_image(data: bytes) -> Attachment | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            image_format = opened.format
            image: Image.Image = opened
            if image.width * image.height > MAX_PIXELS:
                raise UnreadableImage("image too large")
            image.load()
    except UnidentifiedImageError:
        return None
    except (OSError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise UnreadableImage(str(error)) from error
    image = ImageOps.exif_transpose(image) or image
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        has_alpha = "A" in image.mode or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    # Rebuild from raw pixels: the new image has an empty .info, so no metadata survives.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    if image_format == "JPEG" and clean.mode in ("RGB", "L"):
        clean.save(out, format="JPEG", quality=90)
        return Attachment(name="photo.jpg", mime="image/jpeg", data=out.getvalue())
    clean.save(out, format="PNG")
    return Attachment(name="image.png", mime="image/png", data=out.getvalue())


def clean_attachment(data: bytes, mime: str | None, extension: str = "") -> Attachment:
    """Return the attachment as it may be stored.

    Args:
        data: The downloaded bytes.
        mime: The media type Telegram reported, if any.
        extension: The lowercase extension of the original name (``".pdf"``), kept so
            the moderator's computer knows how to open the file; the name itself is not.

    Returns:
        An image rebuilt from its pixels, or the document unchanged under a neutral name.

    Raises:
        UnreadableImage: An image that fails to decode, is absurdly large, or is in a
            format that cannot be cleaned.
    """
    image = _strip_image(data)
    if image is not None:
        return image
    if (mime or "").startswith("image/"):
        # An image format Pillow cannot decode (e.g. HEIC) would keep its EXIF: refuse it.
        raise UnreadableImage(f"cannot clean an image of type {mime}")
    safe_extension = extension if extension[1:].isalnum() and len(extension) <= 8 else ""
    return Attachment(
        name=f"document{safe_extension}", mime=mime or "application/octet-stream", data=data
    )


def pack_attachment(attachment: Attachment) -> bytes:
    """Serialise name, type and bytes into one plaintext to encrypt as a whole."""
    header = json.dumps({"name": attachment.name, "mime": attachment.mime}).encode("utf-8")
    return struct.pack(">I", len(header)) + header + attachment.data


def unpack_attachment(plaintext: bytes) -> Attachment:
    """Inverse of :func:`pack_attachment`."""
    (length,) = struct.unpack(">I", plaintext[:4])
    header = json.loads(plaintext[4 : 4 + length].decode("utf-8"))
    return Attachment(name=header["name"], mime=header["mime"], data=plaintext[4 + length :])
