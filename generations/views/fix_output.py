"""Regenerate one rejected output (generations/regenerate_output.py) from the review board or a task card."""
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from studio.htmx import is_fragment
from studio.roles import GENERATE
from studio.tenancy import member_required

from ..launch import LaunchError
from ..models import TaskOutput
from ..regenerate_output import regenerate_output
from ..vendors.base import ConfigurationError, VendorError
from .review import _board


@require_POST
@member_required(GENERATE)
def output_regenerate(request: HttpRequest, pk: int):
    outputs = TaskOutput.objects.for_team(request.team).select_related("task__sku__project", "task__account")
    output = get_object_or_404(outputs, pk=pk)
    prompt = request.POST.get("prompt", output.task.prompt)
    try:
        task = regenerate_output(output, request.user, request.team, prompt=prompt,
                                 form_token=request.POST.get("form_token", ""))
    except (LaunchError, VendorError, ConfigurationError) as exc:
        messages.error(request, f"Not regenerated: {exc}")
    else:
        messages.success(request, f"Remaking output {output.pk} of {output.task.sku.code} (task {task.pk}).")
    project = output.task.sku.project
    if is_fragment(request) and request.POST.get("from") == "board":
        return _board(request, project, selected_pk=output.pk)
    back = request.POST.get("from") == "board"
    return redirect(reverse("review_board", args=[project.pk]) + "?status=rejected" if back
                    else reverse("sku_detail", args=[output.task.sku_id]))
