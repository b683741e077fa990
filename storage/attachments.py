"""Cleaning report attachments before they are encrypted.

A photo's metadata can carry GPS coordinates, the camera's serial number and the exact
time it was taken: enough to identify a whistleblower. So:

* **Images are recognised by their content**, never by the type or name the sender's
  phone gave them: whatever Pillow (with the HEIC/HEIF opener of ``pillow-heif``) can
  open is treated as an image, even if it arrived as ``application/octet-stream``.
* **Images are rebuilt from their pixels alone** (orientation applied first, wide-gamut
  colours converted to sRGB), which drops EXIF, GPS, XMP, IPTC, ICC profiles, comments,
  PNG text chunks, MakerNotes and thumbnails in one go, rather than trying to enumerate
  metadata fields to remove. JPEG stays JPEG; everything else becomes PNG.
* **What looks like an image but cannot be cleaned is refused**, whatever its declared
  type: an image container Pillow cannot decode (e.g. JPEG XL), a multi-page or animated
  image (only one frame could be kept; silently dropping pages of evidence is worse than
  asking), a corrupt or truncated file, or one too large to decode safely. Refusals are
  :class:`~storage.errors.UnreadableImage` with a machine-readable ``reason``; no decoder
  exception ever escapes.

Other documents (PDF, office files, audio, video) cannot be cleaned generically; they are
stored as sent (under a neutral name), and the /report warning and README say so.

Pure and synchronous (Pillow is CPU-bound): call it through ``asyncio.to_thread``.
"""

from __future__ import annotations

import io
import json
import logging
import struct
import warnings
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Final

from storage.errors import UnreadableImage

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "QUIET_LOGGERS",
    "Attachment",
    "UnreadableImage",
    "clean_attachment",
    "pack_attachment",
    "quiet_image_logging",
    "unpack_attachment",
]

#: Larger images are refused rather than decoded (decompression bombs).
MAX_PIXELS = 60_000_000

#: Loggers of the image libraries. At DEBUG, Pillow logs chunk names and TIFF/EXIF tag
#: values of the files it opens: a whistleblower's GPS position in the server log.
QUIET_LOGGERS: Final = ("PIL", "pillow_heif")

# Brands of ISO base media files (the "ftyp" box) that hold still images: HEIC/HEIF from
# phones, AVIF. If such a file cannot be opened, it must be refused, never kept as is.
_IMAGE_BRANDS: Final = frozenset({
    b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs",
    b"mif1", b"msf1", b"mif2", b"avif", b"avis",
})
# Signatures of image formats Pillow cannot decode here but that carry EXIF/XMP.
_OTHER_IMAGE_SIGNATURES: Final = (
    b"\xff\x0a",  # JPEG XL codestream
    b"\x00\x00\x00\x0cJXL \r\n\x87\n",  # JPEG XL container
    b"\xff\xd8\xff",  # JPEG that Pillow failed to identify
    b"\x89PNG\r\n\x1a\n",
    b"GIF8",
    b"II*\x00",  # TIFF and the raw formats built on it (CR2, NEF, DNG …)
    b"MM\x00*",
)


def quiet_image_logging() -> None:
    """Keep the image libraries' DEBUG output (which prints metadata) out of every log.

    Called when this module is imported; idempotent. Logging configuration elsewhere
    that sets these loggers back to DEBUG would undo it.
    """
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)


quiet_image_logging()


@cache
def _open_images() -> None:
    """Import Pillow and let it open HEIC/HEIF photos from phones (and so clean them).

    Done on the first attachment rather than at import: ``storage`` is imported by every
    command, and Pillow with pillow-heif is a fifth of ``consultbot summary``'s start-up.
    """
    import pillow_heif

    pillow_heif.register_heif_opener()


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


def _looks_like_image(data: bytes) -> bool:
    if data[4:8] == b"ftyp" and data[8:12] in _IMAGE_BRANDS:
        return True
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return True
    return any(data.startswith(signature) for signature in _OTHER_IMAGE_SIGNATURES)


def _decode(data: bytes) -> tuple[Image.Image, str] | None:
    """Open and fully decode an image; ``None`` if the content is not an image at all."""
    from PIL import Image, UnidentifiedImageError

    _open_images()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image_format = str(image.format)
            if image.width * image.height > MAX_PIXELS:
                raise UnreadableImage("too_large", "image too large")
            if getattr(image, "n_frames", 1) > 1 and image_format != "MPO":
                # MPO (phone photos with a depth map) keeps its main picture, frame 0.
                raise UnreadableImage("multi_frame", "animated or multi-page image")
            image.load()
    except UnidentifiedImageError:
        return None
    except UnreadableImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise UnreadableImage("too_large", "image too large") from error
    except Exception as error:  # decoders of hostile files raise anything
        raise UnreadableImage("corrupt", type(error).__name__) from error
    return image, image_format


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert colours to sRGB, so dropping the ICC profile does not change how it looks."""
    from PIL import ImageCms

    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        converted = ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile: keep the pixels as they are
    return converted if converted is not None else image


def _rebuild(image: Image.Image, image_format: str) -> Attachment:
    from PIL import Image, ImageOps

    try:
        oriented = ImageOps.exif_transpose(image) or image
    except Exception:  # noqa: BLE001 - a damaged EXIF block: keep the pixels, drop the rest
        oriented = image
    if oriented.mode not in ("RGB", "RGBA", "L", "LA"):
        has_alpha = "A" in oriented.mode or "transparency" in oriented.info
        oriented = oriented.convert("RGBA" if has_alpha else "RGB")
    oriented = _to_srgb(oriented)
    # Rebuild from raw pixels: the new image has an empty .info, so no metadata survives.
    clean = Image.frombytes(oriented.mode, oriented.size, oriented.tobytes())
    out = io.BytesIO()
    if image_format in ("JPEG", "MPO") and clean.mode in ("RGB", "L"):
        clean.save(out, format="JPEG", quality=90)
        return Attachment(name="photo.jpg", mime="image/jpeg", data=out.getvalue())
    clean.save(out, format="PNG")
    return Attachment(name="image.png", mime="image/png", data=out.getvalue())


def clean_attachment(data: bytes, mime: str | None, extension: str = "") -> Attachment:
    """Return the attachment as it may be stored.

    Args:
        data: The downloaded bytes.
        mime: The media type Telegram reported, if any. Only used for documents: an image
            is recognised by its bytes whatever this says.
        extension: The lowercase extension of the original name (``".pdf"``), kept so
            the moderator's computer knows how to open a document; the name itself is not.

    Returns:
        An image rebuilt from its pixels, or the document unchanged under a neutral name.

    Raises:
        UnreadableImage: An image that fails to decode, is absurdly large, has several
            frames, or is in a format that cannot be cleaned (``reason`` says which).
    """
    with warnings.catch_warnings():
        # Pillow warns about each damaged tag it skips: noise in the log, never useful.
        warnings.simplefilter("ignore", UserWarning)
        decoded = _decode(data)
        if decoded is not None:
            try:
                return _rebuild(*decoded)
            except Exception as error:  # e.g. a mode Pillow cannot convert
                raise UnreadableImage("corrupt", type(error).__name__) from error
    if _looks_like_image(data) or (mime or "").lower().startswith("image/"):
        # An image Pillow cannot decode would keep its metadata: refuse it.
        raise UnreadableImage("unsupported", "an image that cannot be cleaned")
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
