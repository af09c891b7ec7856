"""Zip imports the browser uploads straight to S3 with presigned multipart URLs: the archive never passes through
Django, however large (issue #8).

The studio starts a multipart upload and hands the browser one presigned UploadPart URL per part; the browser PUTs
each slice of the file and reports the ETags; the studio completes the upload, checks the stored object's real size
against the cap, and queues the same ingest job as a form upload (zip_ingest.queue_stored_import).

S3's rules, as AWS documents them (API reference: CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
AbortMultipartUpload; user guide: "Amazon S3 multipart upload limits"): parts of 5 MiB to 5 GiB except the last,
numbered 1 to 10,000; completion lists every part's number and the ETag its PUT answered, in ascending order. The
browser can read that ETag only if the bucket's CORS exposes it (README, "Direct upload to S3").

The row is written before the first S3 call (status UPLOADING) and every later change is a conditional update on
that status: a repeated or racing complete queues the ingest once, and a failure never overwrites a queued import.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import zip_ingest
from .models import ImportStatus, Project, ZipImport, archive_upload_to
from .uploads import display_name

log = logging.getLogger(__name__)

MiB = 1024 * 1024
MIN_PART_SIZE = 5 * MiB
PART_SIZE = 16 * MiB  # grows for an archive that would need more than MAX_PARTS parts
MAX_PARTS = 10_000
MAX_ETAG_LENGTH = 200
STORAGE_ERRORS = (ClientError, BotoCoreError)  # S3's answers, and no answer at all (connection, timeout)


class DirectUploadError(Exception):
    """The upload cannot go on; the message is for the user. Nothing was imported, and the file is still theirs."""


@dataclass(frozen=True)
class Part:
    number: int
    etag: str


@dataclass(frozen=True)
class StartedUpload:
    zip_import: ZipImport
    part_size: int
    urls: list[str]  # the presigned UploadPart URL of part 1, 2, …


# --- storage -------------------------------------------------------------------------------------------------------
def _storage():
    return ZipImport._meta.get_field("archive").storage


def enabled() -> bool:
    """Direct upload needs S3 storage for archives, and the flag (off when the bucket's CORS is not set up)."""
    from storages.backends.s3 import S3Storage

    return bool(settings.STUDIO_S3_DIRECT_UPLOAD) and isinstance(_storage(), S3Storage)


def _client():
    return _storage().connection.meta.client


def _object(job: ZipImport) -> dict:
    """Bucket and key of the import's archive: the storage name under the storage's location, as S3Storage
    computes it when it opens the file for the ingest."""
    from storages.utils import clean_name

    storage = _storage()
    return {"Bucket": storage.bucket_name, "Key": storage._normalize_name(clean_name(job.archive.name))}


def _why(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return str(exc)


def _fail(job: ZipImport, message: str) -> ZipImport:
    """Mark a still-uploading import failed; an import another request completed or ended keeps its status."""
    ZipImport.objects.filter(pk=job.pk, status=ImportStatus.UPLOADING).update(
        status=ImportStatus.FAILED, message=message, finished_at=timezone.now())
    job.refresh_from_db()
    return job


# --- start ---------------------------------------------------------------------------------------------------------
def part_size_for(size: int) -> int:
    """PART_SIZE, or a whole number of MiB large enough to stay within S3's 10,000 parts."""
    return max(PART_SIZE, MIN_PART_SIZE, math.ceil(size / MAX_PARTS / MiB) * MiB)


def part_count(size: int, part_size: int) -> int:
    return max(1, math.ceil(size / part_size))


def _refusal(filename: str, size: int) -> str | None:
    if not filename.lower().endswith(".zip"):
        return "Choose a .zip archive with one folder per SKU."
    if size <= 0:
        return "The archive is empty. Nothing was imported."
    if size > settings.STUDIO_ZIP_MAX_ARCHIVE_BYTES:
        return zip_ingest.archive_too_big(settings.STUDIO_ZIP_MAX_ARCHIVE_BYTES)
    return None


def start(project: Project, user, filename: str, size: int) -> StartedUpload:
    """Record the import, start the multipart upload, and presign a PUT for every part. The key is ours."""
    problem = _refusal(filename, size)
    if problem:
        raise DirectUploadError(problem)
    part_size = part_size_for(size)
    job = ZipImport.objects.create(
        project=project, archive=archive_upload_to(None, filename), original_name=display_name(filename),
        size_bytes=size, status=ImportStatus.UPLOADING, upload_part_size=part_size, created_by=user)
    target, storage = _object(job), _storage()
    try:
        created = _client().create_multipart_upload(**target, **storage._get_write_parameters(job.archive.name))
        urls = [_client().generate_presigned_url(
                    "upload_part", ExpiresIn=storage.querystring_expire,
                    Params={**target, "UploadId": created["UploadId"], "PartNumber": number})
                for number in range(1, part_count(size, part_size) + 1)]
    except STORAGE_ERRORS as exc:
        log.warning("could not start the direct upload of import %s", job.pk, exc_info=True)
        _fail(job, f"Storage refused the upload ({_why(exc)}). Nothing was imported.")
        raise DirectUploadError(job.message) from exc
    ZipImport.objects.filter(pk=job.pk).update(upload_id=created["UploadId"])
    job.upload_id = created["UploadId"]
    return StartedUpload(job, part_size, urls)


# --- complete ------------------------------------------------------------------------------------------------------
def parse_parts(raw, expected: int) -> list[Part]:
    """The browser's [{PartNumber, ETag}, …]: every part from 1 to `expected` once, each with its ETag."""
    malformed = DirectUploadError(f"The browser's list of uploaded parts is incomplete or malformed: it must name "
                                  f"parts 1 to {expected}, each once, with its ETag. Nothing was imported.")
    if not isinstance(raw, list) or len(raw) != expected:
        raise malformed
    parts = []
    for item in raw:
        number = item.get("PartNumber") if isinstance(item, dict) else None
        etag = item.get("ETag") if isinstance(item, dict) else None
        if type(number) is not int or not 1 <= number <= expected:
            raise malformed
        if not isinstance(etag, str) or not etag.strip() or len(etag) > MAX_ETAG_LENGTH:
            raise malformed
        parts.append(Part(number, etag.strip()))
    if len({p.number for p in parts}) != expected:
        raise malformed
    return sorted(parts, key=lambda p: p.number)


def complete(job: ZipImport, raw_parts) -> ZipImport:
    """Complete the upload, check the stored size, queue the ingest once. Any failure ends the upload."""
    if job.status != ImportStatus.UPLOADING:
        if job.status == ImportStatus.FAILED:
            raise DirectUploadError(job.message or "This upload has ended. Nothing was imported.")
        return job  # completed already (a double click, a retried request): nothing is queued twice
    target = _object(job)
    try:
        parts = parse_parts(raw_parts, part_count(job.size_bytes, job.upload_part_size))
        _complete_at_s3(job, target, parts)
        size = _client().head_object(**target)["ContentLength"]
    except DirectUploadError as exc:
        _end(job, target, str(exc))
        raise
    except STORAGE_ERRORS as exc:
        log.warning("could not complete the direct upload of import %s", job.pk, exc_info=True)
        _end(job, target, f"Storage refused the upload ({_why(exc)}). Nothing was imported; upload the archive "
                          "again.")
        raise DirectUploadError(job.message) from exc
    if size > settings.STUDIO_ZIP_MAX_ARCHIVE_BYTES:
        _end(job, target, zip_ingest.archive_too_big(settings.STUDIO_ZIP_MAX_ARCHIVE_BYTES), delete=True)
        raise DirectUploadError(job.message)
    return _queue(job, target, size)


def _complete_at_s3(job: ZipImport, target: dict, parts: list[Part]) -> None:
    try:
        _client().complete_multipart_upload(
            **target, UploadId=job.upload_id,
            MultipartUpload={"Parts": [{"PartNumber": p.number, "ETag": p.etag} for p in parts]})
    except ClientError as exc:
        # A concurrent complete of the same upload (a double click) finished first: S3 no longer knows the upload
        # but the object is there. Carry on; the conditional update in _queue lets one of the two queue the ingest.
        if exc.response.get("Error", {}).get("Code") != "NoSuchUpload" or not _exists(target):
            raise


def _exists(target: dict) -> bool:
    try:
        _client().head_object(**target)
    except ClientError:
        return False
    return True


def _queue(job: ZipImport, target: dict, size: int) -> ZipImport:
    with transaction.atomic():
        claimed = ZipImport.objects.filter(pk=job.pk, status=ImportStatus.UPLOADING).update(
            status=ImportStatus.QUEUED, size_bytes=size, upload_id="")
        job.refresh_from_db()
        if claimed:
            zip_ingest.queue_stored_import(job)
    if not claimed and job.status == ImportStatus.FAILED:
        _delete(target)  # cancelled while we completed it: the cancel wins, and the object must not linger
        raise DirectUploadError(job.message or "This upload was cancelled. Nothing was imported.")
    return job


def _end(job: ZipImport, target: dict, message: str, *, delete: bool = False) -> None:
    """Mark the import failed and let S3 drop what it holds: the parts, or the completed object."""
    _fail(job, message)
    if delete:
        _delete(target)
    else:
        _abort_at_s3(job, target)


# --- abort ---------------------------------------------------------------------------------------------------------
def abort(job: ZipImport, reason: str = "") -> ZipImport:
    """The browser gave up (an error, or the person cancelled): drop the parts and say so on the import page."""
    if job.status != ImportStatus.UPLOADING:
        return job
    reason = " ".join(reason.split())[:300]
    _abort_at_s3(job, _object(job))
    return _fail(job, f"The upload was cancelled{f': {reason}' if reason else '.'} Nothing was imported.")


def _abort_at_s3(job: ZipImport, target: dict) -> None:
    """Best effort: a part S3 keeps after a failed abort is removed by the bucket's lifecycle rule (README)."""
    if not job.upload_id:
        return
    try:
        _client().abort_multipart_upload(**target, UploadId=job.upload_id)
    except STORAGE_ERRORS:
        log.warning("could not abort the multipart upload of import %s", job.pk, exc_info=True)


def _delete(target: dict) -> None:
    try:
        _client().delete_object(**target)
    except STORAGE_ERRORS:
        log.warning("could not delete %s", target["Key"], exc_info=True)


# --- abandoned uploads ---------------------------------------------------------------------------------------------
ABANDON_GRACE_SECONDS = 600


def expire_abandoned(now=None) -> int:
    """Uploads whose part URLs have expired can never complete (the tab was closed, the laptop slept): abort them
    at S3 and say so on their import page, instead of leaving them "uploading" for good. Run by the sweeper.
    Returns how many were ended."""
    uploading = ZipImport.objects.filter(status=ImportStatus.UPLOADING)
    if not uploading.exists():
        return 0
    from datetime import timedelta

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=_storage().querystring_expire + ABANDON_GRACE_SECONDS)
    ended = 0
    for job in uploading.filter(created_at__lt=cutoff):
        abort(job, "the browser stopped sending parts before the upload links expired")
        ended += 1
    return ended
