"""Download approved images as a zip (folder per SKU) and the manifest as CSV. Managers, admins and clients."""
from django.http import HttpRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from catalog.models import Project
from studio import audit, roles
from studio.tenancy import member_required

from .. import export


def _rows(request, pk):
    project = get_object_or_404(Project.objects.for_team(request.team), pk=pk)
    client_only = request.GET.get("stage") == "client"
    return project, export.plan_rows(export.exportable_outputs(project, client_approved_only=client_only))


@require_GET
@member_required(roles.EXPORT)
def project_export_zip(request: HttpRequest, pk: int):
    project, rows = _rows(request, pk)
    audit.record_request(request, audit.AuditAction.EXPORT_DOWNLOADED, f"{project.name} (project {project.pk})",
                         format="zip", files=len(rows))
    response = StreamingHttpResponse(export.iter_zip(rows), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{slugify(project.name) or "project"}-approved.zip"'
    return response


@require_GET
@member_required(roles.EXPORT)
def project_export_manifest(request: HttpRequest, pk: int):
    project, rows = _rows(request, pk)
    audit.record_request(request, audit.AuditAction.EXPORT_DOWNLOADED, f"{project.name} (project {project.pk})",
                         format="manifest", files=len(rows))
    response = StreamingHttpResponse(export.iter_manifest(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slugify(project.name) or "project"}-manifest.csv"'
    return response
