"""Bulk import: upload a zip of SKU folders, watch its progress, read the per-entry report.

The archive is streamed to a temporary file by Django's upload handler (never held in memory), with a cap: a body
announced larger than the cap is refused from its Content-Length before a byte is read, and one that streams past
it is cut off. The ingest itself runs in the media worker (catalog.jobs.ingest_zip).
"""
from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from studio import roles
from studio.tenancy import member_required

from .. import zip_ingest
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
            self.request.upload_refused = _too_big(self.cap)
            raise StopUpload(connection_reset=True)
        return super().handle_raw_input(input_data, META, content_length, boundary, encoding)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.cap:
            self.file.close()
            self.request.upload_refused = _too_big(self.cap)
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)


def _too_big(cap: int) -> str:
    return f"The archive is larger than the {cap / 1024**3:.1f} GB limit. Nothing was imported."


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
@member_required()
def import_detail(request: HttpRequest, pk: int):
    job = get_object_or_404(ZipImport.objects.for_team(request.team).select_related("project"), pk=pk)
    running = job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)
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


