"""Download approved images as a zip (folder per SKU) and the manifest as CSV. Managers, admins and clients.

Both stream as the rows are read (first byte at once, memory flat). A zip of more outputs than
STUDIO_EXPORT_BACKGROUND_FILES is written by a worker instead: the request starts an export job and goes to its page,
which polls the progress and offers the download when it is ready (generations/export_jobs.py).
"""
from django.http import HttpRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from catalog.models import Project
from studio import audit, media, roles
from studio.htmx import is_fragment
from studio.tenancy import member_required

from .. import export, export_jobs
from ..models import ExportJob, ExportState
from .progress import STOP_POLLING


def _outputs(request, pk):
    project = get_object_or_404(Project.objects.for_team(request.team), pk=pk)
    client_only = request.GET.get("stage") == "client" or request.POST.get("stage") == "client"
    return project, client_only, export.exportable_outputs(project, client_approved_only=client_only)


def _filename(project, suffix: str) -> str:
    return f'attachment; filename="{slugify(project.name) or "project"}-{suffix}"'


@require_http_methods(["GET", "POST"])
@member_required(roles.EXPORT)
def project_export_zip(request: HttpRequest, pk: int):
    project, client_only, outputs = _outputs(request, pk)
    count = outputs.count()
    if request.method == "GET" and export_jobs.over_background_size(count):
        # Too large to stream from a web worker: offer the background export (a GET must not start work).
        return render(request, "generations/export_job.html",
                      {"project": project, "job": None, "count": count, "client_only": client_only})
    if request.method == "POST":
        job = export_jobs.start(project=project, team=request.team, user=request.user,
                                client_approved_only=client_only, total=count)
        audit.record_request(request, audit.AuditAction.EXPORT_DOWNLOADED, f"{project.name} (project {project.pk})",
                             format="zip (background)", files=count)
        return redirect("export_job", job.pk)
    audit.record_request(request, audit.AuditAction.EXPORT_DOWNLOADED, f"{project.name} (project {project.pk})",
                         format="zip", files=count)
    response = StreamingHttpResponse(export.iter_zip(export.iter_rows(outputs, project)),
                                     content_type="application/zip")
    response["Content-Disposition"] = _filename(project, "approved.zip")
    return response


@require_GET
@member_required(roles.EXPORT)
def project_export_manifest(request: HttpRequest, pk: int):
    project, _, outputs = _outputs(request, pk)
    audit.record_request(request, audit.AuditAction.EXPORT_DOWNLOADED, f"{project.name} (project {project.pk})",
                         format="manifest", files=outputs.count())
    response = StreamingHttpResponse(export.iter_manifest(export.iter_rows(outputs, project)),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _filename(project, "manifest.csv")
    return response


def _team_job(request: HttpRequest, pk: int) -> ExportJob:
    return get_object_or_404(ExportJob.objects.asked_by(request.team).select_related("project"), pk=pk)


@require_GET
@member_required(roles.EXPORT)
def export_job(request: HttpRequest, pk: int):
    """The job's page; for htmx its progress fragment, which polls every 2 s and stops (286) when it has ended."""
    job = _team_job(request, pk)
    running = job.state in (ExportState.QUEUED, ExportState.RUNNING)
    fragment = is_fragment(request)
    template = "generations/export_job.html#progress" if fragment else "generations/export_job.html"
    context = {"job": job, "project": job.project, "running": running}
    return render(request, template, context, status=200 if running or not fragment else STOP_POLLING)


@require_GET
@member_required(roles.EXPORT)
def export_job_download(request: HttpRequest, pk: int):
    job = _team_job(request, pk)
    if job.state != ExportState.DONE or not job.file:
        return redirect("export_job", job.pk)
    response = media.serve(job.file.storage, job.file.name)
    response["Content-Disposition"] = _filename(job.project, "approved.zip")
    return response
