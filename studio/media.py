"""Serving stored files (issue 14.10): nothing under /media/ is served without a check, in any mode.

- `serve(storage, name)`: the bytes of a file the caller has already authorised. X-Accel-Redirect (nginx) when
  STUDIO_MEDIA_ACCEL_PREFIX is set, X-Sendfile (Apache, lighttpd) when STUDIO_MEDIA_SENDFILE is on, else a stream;
  with S3 a redirect to a short-lived presigned URL of our bucket.
- `vendor_url(file)`: a link a vendor can fetch without a session (Uwear and ArtEmotion take images by URL): the
  presigned URL on S3, else /media/<name>?sig=… signed and expiring after STUDIO_MEDIA_LINK_SECONDS.
- CheckedS3Storage: S3 storage whose `url()` points at our checked view; `signed_url()` is the presigned one.
"""
import mimetypes

from django.conf import settings
from django.core import signing
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse

SALT = "studio.media"


def is_remote(storage) -> bool:
    try:
        storage.path("x")
    except NotImplementedError:
        return True
    return False


def signed_storage_url(storage, name: str) -> str:
    return storage.signed_url(name) if hasattr(storage, "signed_url") else storage.url(name)


def serve(storage, name: str) -> HttpResponse:
    if not name:
        raise Http404("No file.")
    if is_remote(storage):
        response = HttpResponseRedirect(signed_storage_url(storage, name))
    else:
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        path = storage.path(name)
        accel = getattr(settings, "STUDIO_MEDIA_ACCEL_PREFIX", "")
        if accel or getattr(settings, "STUDIO_MEDIA_SENDFILE", False):
            if not storage.exists(name):
                raise Http404("The file is missing from storage.")
            response = HttpResponse(content_type=content_type)
            if accel:
                response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + name.lstrip("/")
            else:
                response["X-Sendfile"] = path
        else:
            try:
                response = FileResponse(open(path, "rb"), content_type=content_type)
            except (FileNotFoundError, IsADirectoryError):
                raise Http404("The file is missing from storage.") from None
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
    return response


def _signature(name: str) -> str:
    """"<timestamp>:<signature>" of the name (the name itself travels in the path)."""
    signed = signing.TimestampSigner(salt=SALT).sign(name)
    return signed[len(name) + 1:]


def check_signature(name: str, sig: str) -> bool:
    if not sig:
        return False
    try:
        signing.TimestampSigner(salt=SALT).unsign(f"{name}:{sig}", max_age=settings.STUDIO_MEDIA_LINK_SECONDS)
    except signing.BadSignature:
        return False
    return True


def vendor_url(file) -> str:
    """An absolute URL a vendor can fetch this stored file from, for a limited time, without a session."""
    storage, name = file.storage, file.name
    if is_remote(storage):
        return signed_storage_url(storage, name)
    url = storage.url(name)
    if not url.startswith(("http://", "https://")):
        url = settings.STUDIO_PUBLIC_URL + url
    return f"{url}?sig={_signature(name)}"


def media_path(name: str) -> str:
    return reverse("media_file", kwargs={"name": name})


try:
    from storages.backends.s3 import S3Storage
except ImportError:  # pragma: no cover - django-storages is a dependency
    S3Storage = None

if S3Storage is not None:
    class CheckedS3Storage(S3Storage):
        """Pages link to /media/<name> (team-checked, then a redirect to a presigned URL); only `signed_url` and the
        checked view hand out the bucket's own URL."""

        def url(self, name, parameters=None, expire=None, http_method=None):
            return reverse("media_file", kwargs={"name": name})

        def signed_url(self, name, parameters=None, expire=None, http_method=None):
            return super().url(name, parameters=parameters, expire=expire, http_method=http_method)
