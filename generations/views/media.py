"""Every stored file, served only after a team check (issue 14.10): garment images, model images, poses, outputs,
thumbnails and zip imports. Another team's file, a file without a session, or a name that is no stored file is a
404 in every mode. A vendor fetching one of our images by URL presents a signed, expiring link instead
(studio.media.vendor_url)."""
from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.views.decorators.http import require_GET

from catalog.models import GarmentImage, ModelImage, Pose, ZipImport
from studio import media, roles

from .. import review


def _visible(membership, name: str) -> bool:
    if review.visible_outputs(membership).filter(Q(file=name) | Q(thumbnail=name)).exists():
        return True
    if not roles.can(membership, roles.SEE_UNAPPROVED):  # clients see approved outputs only
        return False
    team = membership.team
    return (GarmentImage.objects.for_team(team).filter(Q(image=name) | Q(thumbnail=name)).exists()
            or ModelImage.objects.for_team(team).filter(Q(image=name) | Q(thumbnail=name)).exists()
            or Pose.objects.for_team(team).filter(Q(reference_image=name) | Q(thumbnail=name)).exists()
            or ZipImport.objects.for_team(team).filter(archive=name).exists())


@require_GET
def media_file(request: HttpRequest, name: str):
    if not name or ".." in name.split("/") or name.startswith("/") or "\\" in name or "\x00" in name:
        raise Http404("No such file.")
    if media.check_signature(name, request.GET.get("sig", "")):
        return media.serve(default_storage, name)
    if request.user.is_authenticated and request.user.is_superuser and default_storage.exists(name):
        return media.serve(default_storage, name)  # the operator, in the Django admin's thumbnails
    membership = request.membership if request.user.is_authenticated else None
    if not membership or not _visible(membership, name):
        raise Http404("No such file.")
    return media.serve(default_storage, name)
