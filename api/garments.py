"""A garment image given by URL: fetched through the guarded downloader (generations/vendors/http.py: public
addresses only, pinned, redirects re-checked, bytes capped), then checked and stored like any upload."""
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from generations.vendors.base import VendorError
from generations.vendors.http import fetch_public

from .errors import ApiError


def fetch_garment(url: str, name: str = "") -> SimpleUploadedFile:
    try:
        fetched = fetch_public(url, max_bytes=settings.STUDIO_MAX_IMAGE_BYTES)
    except VendorError as exc:
        raise ApiError(f"The image could not be fetched: {exc.args[0]}.", status_code=422, field="url") from None
    name = name or urlsplit(url).path.rsplit("/", 1)[-1] or "garment"
    return SimpleUploadedFile(name, fetched.data, content_type=fetched.content_type or "application/octet-stream")
