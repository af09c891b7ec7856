"""Image intake: the one place that decides whether bytes are an image we accept, and makes thumbnails.

Rules (RELIABILITY.md, "Uploads"): a format allowlist read from the bytes (not the name), a size cap, the
decompression-bomb guard, and a full decode — `verify()` alone lets a truncated JPEG through.
"""
import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageOps

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
THUMBNAIL_SIZE = (480, 480)


class RejectedImage(ValueError):
    """Bytes we refuse, with a message meant for the person who uploaded them."""


@dataclass(frozen=True)
class CheckedImage:
    format: str
    extension: str
    width: int
    height: int
    size_bytes: int
    checksum: str


def check_image(data: bytes, *, max_bytes: int | None = None) -> CheckedImage:
    checked, img = _decode(data, max_bytes)
    img.close()
    return checked


def check_and_thumbnail(data: bytes, *, max_bytes: int | None = None,
                        size: tuple[int, int] = THUMBNAIL_SIZE) -> tuple[CheckedImage, bytes]:
    """Check and thumbnail with ONE full decode (bulk ingest: the decode is most of the cost)."""
    checked, img = _decode(data, max_bytes)
    try:
        return checked, _thumbnail_of(img, size)
    finally:
        img.close()


def _decode(data: bytes, max_bytes: int | None) -> tuple[CheckedImage, Image.Image]:
    max_bytes = max_bytes or settings.STUDIO_MAX_IMAGE_BYTES
    if len(data) > max_bytes:
        raise RejectedImage(f"is {len(data) / 1_048_576:.1f} MB; the limit is {max_bytes / 1_048_576:.0f} MB")
    if not data:
        raise RejectedImage("is empty")
    max_pixels = settings.STUDIO_MAX_IMAGE_PIXELS
    img = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            fmt = img.format
            if fmt not in ALLOWED_FORMATS:
                raise RejectedImage(f"is {fmt or 'not an image'}; only JPEG, PNG and WebP are accepted")
            width, height = img.size
            if width * height > max_pixels:
                raise RejectedImage(f"claims {width}×{height} pixels, over the {max_pixels:,} pixel limit")
            img.load()  # a full decode: truncated or corrupt data fails here
    except RejectedImage:
        _close(img)
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _close(img)
        raise RejectedImage("is too large to decode safely (decompression bomb)") from None
    except Image.UnidentifiedImageError:
        raise RejectedImage("is not an image we can read; only JPEG, PNG and WebP are accepted") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        _close(img)
        raise RejectedImage(f"is damaged or truncated ({exc})") from None
    checked = CheckedImage(fmt, ALLOWED_FORMATS[fmt], width, height, len(data), hashlib.sha256(data).hexdigest())
    return checked, img


def _close(img) -> None:
    if img is not None:
        img.close()


def thumbnail_bytes(data: bytes, size: tuple[int, int] = THUMBNAIL_SIZE) -> bytes:
    """A WebP thumbnail; draft mode lets JPEG decode at reduced scale, which is most of the speed."""
    with Image.open(io.BytesIO(data)) as img:
        img.draft("RGB", (size[0] * 2, size[1] * 2))
        return _thumbnail_of(img, size)


def _thumbnail_of(img: Image.Image, size: tuple[int, int]) -> bytes:
    """Shrinks `img` itself (callers pass an image they are done with); no full-size copy is made."""
    ImageOps.exif_transpose(img, in_place=True)
    img.thumbnail(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    if img.mode not in ("RGB", "RGBA"):
        img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
    out = io.BytesIO()
    img.save(out, "WEBP", quality=82, method=2)
    return out.getvalue()


def save_thumbnail(instance, source_field: str = "image", thumb_field: str = "thumbnail") -> None:
    """Fill `instance.<thumb_field>` from `instance.<source_field>`; runs in a media worker, never in a request."""
    source = getattr(instance, source_field)
    if not source:
        return
    with source.open("rb") as fh:
        data = fh.read()
    getattr(instance, thumb_field).save("thumb.webp", ContentFile(thumbnail_bytes(data)), save=False)
    instance.save(update_fields=[thumb_field])
