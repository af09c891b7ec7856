"""The moderation lane of a project (roles.REVIEW): outputs the NSFW gate holds (generations/vendors/artemotion/vision.py), most
suspicious first, each released to the review board or discarded by a manager.

Decisions are htmx POSTs that answer the updated lane; without htmx they redirect back to the lane.
"""
from django.contrib import messages
from django.db.models import F
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from studio.roles import REVIEW
from studio.tenancy import member_required

from generations.vendors.artemotion import vision
from generations.models import TaskOutput
from generations.review import ReviewError
from generations import keyset
from generations.views.common import paginate, team_project

PER_PAGE = 24
TEMPLATE = "vendors/artemotion/moderation_lane.html"


def held_in_project(team, project):
    """Most suspicious first on every database: outputs the check could not look at (no probability) come last."""
    return (vision.held_outputs(team).filter(task__sku__project=project).select_related("task__account")
            .order_by(F("nsfw_probability").desc(nulls_last=True), "pk"))


def _lane(request: HttpRequest, project):
    page = paginate(request, held_in_project(request.team, project), PER_PAGE, keyset.CappedPaginator)
    fragment = bool(request.htmx) and not request.htmx.boosted
    context = {"project": project, "page": page, "outputs": list(page.object_list), "toasts": fragment}
    return render(request, f"{TEMPLATE}#lane" if fragment else TEMPLATE, context)


@require_GET
@member_required(REVIEW)
def moderation_lane(request: HttpRequest, pk: int):
    return _lane(request, team_project(request, pk))


def _moderate(request: HttpRequest, pk: int, decide, done: str):
    output = get_object_or_404(TaskOutput.objects.for_team(request.team).select_related("task__sku__project"), pk=pk)
    project = output.task.sku.project
    try:
        decide(output, request.membership, request.POST.get("comment", ""))
    except ReviewError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done.format(pk=output.pk, sku=output.task.sku.code))
    if request.htmx and not request.htmx.boosted:
        return _lane(request, project)
    url = reverse("moderation_lane", args=[project.pk])
    page = request.POST.get("page", "")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@require_POST
@member_required(REVIEW)
def moderation_release(request: HttpRequest, pk: int):
    return _moderate(request, pk, vision.release, "Released output {pk} of {sku} to the review board.")


@require_POST
@member_required(REVIEW)
def moderation_discard(request: HttpRequest, pk: int):
    return _moderate(request, pk, vision.discard, "Discarded output {pk} of {sku}.")
