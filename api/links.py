"""Short-lived signed download links (issue 18.3 "download through a short-lived signed URL").

The API hands out `/api/v1/downloads/<token>/` only for objects the caller may see; the token names the object and
its team, is signed with the project's secret and expires after STUDIO_API_LINK_SECONDS (15 minutes by default).
The bytes are served by studio.media.serve, as for the pages (X-Accel-Redirect, X-Sendfile, a stream, or a
redirect to a presigned URL of our bucket)."""
from django.conf import settings
from django.core import signing
from django.http import Http404
from django.urls import reverse

from studio import media

SALT = "api.download"


def link_seconds() -> int:
    return settings.STUDIO_API_LINK_SECONDS


def signed_download_url(request, kind: str, pk: int) -> str:
    team = request._request.team if hasattr(request, "_request") else request.team
    token = signing.dumps({"k": kind, "id": pk, "t": team.pk}, salt=SALT, compress=True)
    return request.build_absolute_uri(reverse("api:download", args=[token]))


def _field(kind: str, pk: int, team_id: int):
    from catalog.models import GarmentImage
    from generations.models import TaskOutput

    from generations.models import ExportJob

    if kind == "output":
        obj = TaskOutput.objects.filter(pk=pk, task__sku__project__program__team_id=team_id).first() or \
            TaskOutput.objects.filter(pk=pk, task__team_id=team_id).first()
        return obj.file if obj else None
    if kind == "garment":
        obj = GarmentImage.objects.filter(pk=pk).select_related("sku__project__program").first()
        if obj is None or not _program_visible(obj.sku.project.program, team_id):
            return None
        return obj.image
    if kind == "export":
        obj = ExportJob.objects.filter(pk=pk, team_id=team_id).first()
        return obj.file if obj else None
    return None


def _program_visible(program, team_id: int) -> bool:
    return program.team_id == team_id or program.shares.filter(team_id=team_id).exists()


def serve_token(token: str):
    try:
        payload = signing.loads(token, salt=SALT, max_age=link_seconds())
    except signing.BadSignature:
        raise Http404("This download link is invalid or has expired.") from None
    field = _field(payload.get("k"), payload.get("id"), payload.get("t"))
    if not field:
        raise Http404("No such file.")
    return media.serve(field.storage, field.name)
