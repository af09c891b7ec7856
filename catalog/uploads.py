"""Image uploads from the browser: garment images (many at once), model images and pose references.

Every file goes the same way (RELIABILITY.md, "Uploads"):
1. The request body is parsed by `CappedUploadHandler`, which stops keeping a file's bytes as soon as it passes
   the cap, so a huge body never fills memory or disk.
2. `read_capped` reads the UploadedFile in chunks and refuses it as soon as it exceeds the cap.
3. `images.check_image` decodes it fully: format allowlist from the bytes, pixel cap, truncation.
4. `store` saves file and row together: a storage name of ours (upload_to; the extension comes from the decoded
   format), the row in one transaction, and the file deleted again if the row fails. Nothing is half-saved.
5. The thumbnail is queued for the media worker after commit; a down broker is logged, not an error — the page
   shows the full image scaled by CSS until the thumbnail exists.
"""
import logging
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.db import DatabaseError, IntegrityError, transaction
from django.template.defaultfilters import filesizeformat

from . import images, jobs
from .images import CheckedImage, RejectedImage
from .models import SKU, GarmentImage
from .naming import guess_garment

log = logging.getLogger(__name__)

ORIGINAL_NAME_MAX = 120
CHUNK = 64 * 1024


def max_image_bytes() -> int:
    return settings.STUDIO_MAX_IMAGE_BYTES


def over_cap_message(cap: int) -> str:
    return f"is larger than the {filesizeformat(cap).replace(chr(160), ' ')} limit per image"


# --- 1. request parsing -----------------------------------------------------------------------------------------

class RefusedUpload(UploadedFile):
    """What the handler hands over instead of a file that went past the cap: its name, no bytes."""

    def __init__(self, name: str, reason: str):
        super().__init__(file=None, name=name, size=0)
        self.refused_reason = reason

    def close(self):
        pass


def max_request_bytes() -> int:
    """The largest honest upload: every allowed file at the cap, plus room for the form fields and boundaries."""
    return settings.DATA_UPLOAD_MAX_NUMBER_FILES * max_image_bytes() + 1024 * 1024


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Spools each file to a temporary file like Django's default handler, but drops a file (and its temporary
    file) the moment it passes the per-image cap and discards the rest of its bytes as they stream in. A body
    that announces more than any honest upload is refused before a byte of it is read."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > max_request_bytes():
            self.request.upload_refused = (
                f"This upload is {filesizeformat(content_length)}, more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES}"
                f" images of {filesizeformat(max_image_bytes())} each. Nothing was added.").replace(chr(160), " ")
            raise StopUpload(connection_reset=True)
        return super().handle_raw_input(input_data, META, content_length, boundary, encoding)

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        self.refused = False

    def receive_data_chunk(self, raw_data, start):
        if self.refused:
            return None
        self.received += len(raw_data)
        if self.received > max_image_bytes():
            self.refused = True
            self.file.close()  # the temporary file is deleted on close
            return None
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size):
        if self.refused:
            return RefusedUpload(self.file_name, over_cap_message(max_image_bytes()))
        return super().file_complete(file_size)


def install_upload_handler(request) -> None:
    """Call before anything reads request.POST or request.FILES (so the view must be csrf_exempt outside and
    csrf_protect inside; see Django's "CSRF protection and upload handlers")."""
    request.upload_handlers = [CappedUploadHandler(request)]


# --- 2. and 3. reading and checking ---------------------------------------------------------------------------

def display_name(name: str | None) -> str:
    """The user's file name, for people only: no directories, no control characters, bounded length.
    It is never used in a path; templates escape it like any text."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > ORIGINAL_NAME_MAX:
        name = name[: ORIGINAL_NAME_MAX - 1] + "…"
    return name or "unnamed file"


def read_capped(uploaded: UploadedFile, cap: int | None = None) -> bytes:
    """The file's bytes, read in chunks; refused as soon as more than `cap` bytes have been read."""
    reason = getattr(uploaded, "refused_reason", None)
    if reason:
        raise RejectedImage(reason)
    cap = cap or max_image_bytes()
    parts, total = [], 0
    uploaded.seek(0)
    for chunk in uploaded.chunks(CHUNK):
        total += len(chunk)
        if total > cap:
            raise RejectedImage(over_cap_message(cap))
        parts.append(chunk)
    return b"".join(parts)


def accept_image(uploaded: UploadedFile) -> tuple[bytes, CheckedImage]:
    """Bytes and their facts, or RejectedImage with a reason meant for the user."""
    data = read_capped(uploaded)
    return data, images.check_image(data, max_bytes=max_image_bytes())


# --- 4. and 5. storing ------------------------------------------------------------------------------------------

def queue_thumbnail(kind: str, pk: int) -> None:
    """Runs after commit. The broker being down must not fail an upload that is already saved."""
    try:
        jobs.make_thumbnail.delay(kind, pk)
    except Exception:
        log.warning("could not queue the %s thumbnail for %s; the full image is shown until one exists",
                    kind, pk, exc_info=True)


def store(instance, data: bytes, checked: CheckedImage, *, kind: str, file_field: str = "image"):
    """Save the file under a name of ours and the row, together; queue its thumbnail after commit."""
    file = getattr(instance, file_field)
    try:
        with transaction.atomic():
            file.save(f"upload.{checked.extension}", ContentFile(data), save=False)
            if hasattr(instance, "width"):  # known from the decode; no need to open the stored file again
                instance.width, instance.height = checked.width, checked.height
            instance.save()
            transaction.on_commit(lambda: queue_thumbnail(kind, instance.pk))
    except BaseException:
        if file.name:
            file.storage.delete(file.name)  # the row did not make it: leave no orphan file behind
        raise
    return instance


# --- garment images ---------------------------------------------------------------------------------------------

@dataclass
class FileOutcome:
    name: str
    saved: bool
    message: str
    image: GarmentImage | None = None


@dataclass
class UploadReport:
    outcomes: list[FileOutcome] = field(default_factory=list)

    @property
    def saved(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.saved]

    @property
    def refused(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if not o.saved]

    def summary(self) -> str:
        saved, refused = len(self.saved), len(self.refused)
        parts = [f"{saved} image{'s' if saved != 1 else ''} added"]
        if refused:
            parts.append(f"{refused} not added")
        return ", ".join(parts) + "."


def upload_garment_images(sku: SKU, files: list[UploadedFile], user=None) -> UploadReport:
    """Each file on its own: accepted ones are saved, each refused one is reported with its name and reason."""
    report = UploadReport()
    for uploaded in files:
        report.outcomes.append(_upload_one_garment(sku, uploaded, user))
    return report


def _upload_one_garment(sku: SKU, uploaded: UploadedFile, user) -> FileOutcome:
    name = display_name(uploaded.name)
    try:
        data, checked = accept_image(uploaded)
    except RejectedImage as exc:
        return FileOutcome(name, False, f"{name} {exc}")
    duplicate = GarmentImage.objects.filter(sku=sku, checksum=checked.checksum).first()
    if duplicate:
        return FileOutcome(name, False, f"{name} is already on this SKU (as {duplicate.original_name or 'an image'})")
    garment_type, view = guess_garment(name, sku.garment_type)
    image = GarmentImage(sku=sku, original_name=name, garment_type=garment_type, view=view,
                         size_bytes=checked.size_bytes, checksum=checked.checksum, uploaded_by=user)
    try:
        store(image, data, checked, kind="garment")
    except IntegrityError:
        # The same bytes arrived in a parallel request between our check and our insert.
        return FileOutcome(name, False, f"{name} is already on this SKU")
    except (DatabaseError, OSError):
        # store() removed whatever it had written; the other files of the request are unaffected.
        log.exception("could not save garment image %r for SKU %s", name, sku.pk)
        return FileOutcome(name, False, f"{name} could not be saved (storage or database error); try again")
    return FileOutcome(name, True, f"{name} added as {image.garment_type}, {image.view}", image)
