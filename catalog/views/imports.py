"""Bulk import: upload a zip of SKU folders, watch its progress, read the per-entry report.

The archive is streamed to a temporary file by Django's upload handler (never held in memory), with a cap: a body
announced larger than the cap is refused from its Content-Length before a byte is read, and one that streams past
it is cut off. With S3 storage the browser sends it straight to the bucket instead (catalog/s3_uploads.py,
static/js/zip_upload.js) and these views only start, complete or abort the multipart upload, in JSON.
The ingest itself runs in the media worker (catalog.jobs.ingest_zip).
"""
import json

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from studio import roles
from studio.tenancy import member_required

from .. import s3_uploads, zip_ingest
from ..models import ImportStatus, Project, ZipImport

TEMPLATE = "catalog/import_detail.html"


class ArchiveUploadHandler(TemporaryFileUploadHandler):
    """Spools to a temporary file; refuses a body over the archive cap before (or as soon as) it exceeds it."""

    def __init__(self, request=None):
        super().__init__(request)
        self.cap = settings.STUDIO_ZIP_MAX_ARCHIVE_BYTES
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > self.cap:
            self.request.upload_refused = zip_ingest.archive_too_big(self.cap)
            raise StopUpload(connection_reset=True)
        return super().handle_raw_input(input_data, META, content_length, boundary, encoding)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.cap:
            self.file.close()
            self.request.upload_refused = zip_ingest.archive_too_big(self.cap)
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)


@csrf_exempt
@require_POST
@member_required(roles.UPLOAD)
def project_import(request: HttpRequest, pk: int):
    project = get_object_or_404(Project.objects.for_team(request.team), pk=pk)
    request.upload_refused = ""
    request.upload_handlers = [ArchiveUploadHandler(request)]
    try:
        request.FILES  # noqa: B018 — parse now, with our handler, before the CSRF check reads the body
    except StopUpload:
        pass
    if request.upload_refused:
        messages.error(request, request.upload_refused)
        return redirect("project_detail", project.pk)
    return _project_import(request, project)


@csrf_protect
def _project_import(request: HttpRequest, project: Project):
    archive = request.FILES.get("archive")
    if archive is None:
        messages.error(request, "Choose a .zip archive with one folder per SKU.")
        return redirect("project_detail", project.pk)
    job = zip_ingest.start_import(project, archive, user=request.user)
    messages.success(request, f"Importing {job.original_name or 'the archive'}…")
    return redirect("import_detail", job.pk)


@require_GET
@member_required(roles.SEE_UNAPPROVED)
def import_detail(request: HttpRequest, pk: int):
    job = get_object_or_404(ZipImport.objects.for_team(request.team).select_related("project"), pk=pk)
    running = job.status in (ImportStatus.UPLOADING, ImportStatus.QUEUED, ImportStatus.RUNNING)
    rows = job.report
    context = {
        "job": job, "project": job.project, "running": running,
        "rejected": [r for r in rows if r["outcome"] == "rejected"],
        "accepted_count": sum(r["outcome"] == "accepted" for r in rows),
        "duplicate_count": sum(r["outcome"] == "duplicate" for r in rows),
        "skipped_count": sum(r["outcome"] == "skipped" for r in rows),
        "rows": rows,
    }
    if request.htmx and not request.htmx.boosted:
        response = render(request, f"{TEMPLATE}#progress", context)
        if not running:
            response.status_code = 286  # htmx: stop polling, the import has ended
        return response
    return render(request, TEMPLATE, context)


# --- direct upload to S3 (JSON; CSRF from the X-CSRFToken header) ------------------------------------------------
def _json_body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        body = None
    return body if isinstance(body, dict) else {}


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


NOT_DIRECT = "Direct upload to storage is not set up here; send the archive with the form."


def _visible_import(request: HttpRequest, pk: int) -> ZipImport:
    return get_object_or_404(ZipImport.objects.for_team(request.team).select_related("project"), pk=pk)


@require_POST
@member_required(roles.UPLOAD)
def s3_import_start(request: HttpRequest, pk: int):
    """{"filename", "size"} -> the import's id, the part size and a presigned PUT URL for every part."""
    project = get_object_or_404(Project.objects.for_team(request.team), pk=pk)
    if not s3_uploads.enabled():
        return _error(NOT_DIRECT, 404)
    body = _json_body(request)
    filename, size = body.get("filename"), body.get("size")
    if not isinstance(filename, str) or type(size) is not int:
        return _error("Send the archive's file name and size in bytes.")
    try:
        started = s3_uploads.start(project, request.user, filename, size)
    except s3_uploads.DirectUploadError as exc:
        return _error(str(exc))
    job = started.zip_import
    return JsonResponse({
        "import": job.pk, "part_size": started.part_size, "urls": started.urls,
        "complete_url": reverse("s3_import_complete", args=[job.pk]),
        "abort_url": reverse("s3_import_abort", args=[job.pk]),
    })


@require_POST
@member_required(roles.UPLOAD)
def s3_import_complete(request: HttpRequest, pk: int):
    """{"parts": [{"PartNumber", "ETag"}, …]} -> {"url": the import page}; the ingest is queued."""
    job = _visible_import(request, pk)
    if not s3_uploads.enabled():
        return _error(NOT_DIRECT, 404)
    try:
        job = s3_uploads.complete(job, _json_body(request).get("parts"))
    except s3_uploads.DirectUploadError as exc:
        return JsonResponse({"error": str(exc), "url": reverse("import_detail", args=[job.pk])}, status=400)
    messages.success(request, f"Importing {job.original_name or 'the archive'}…")
    return JsonResponse({"url": reverse("import_detail", args=[job.pk])})


@require_POST
@member_required(roles.UPLOAD)
def s3_import_abort(request: HttpRequest, pk: int):
    """{"reason"} (optional): the browser gave up; S3 drops the parts and the import page says why."""
    job = _visible_import(request, pk)
    if not s3_uploads.enabled():
        return _error(NOT_DIRECT, 404)
    reason = _json_body(request).get("reason")
    job = s3_uploads.abort(job, reason if isinstance(reason, str) else "")
    return JsonResponse({"status": job.status, "url": reverse("import_detail", args=[job.pk])})
