"""The client stage: a client sees only outputs a manager approved, and approves or rejects each one."""
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from studio.htmx import is_fragment
from studio.roles import CLIENT_REVIEW
from studio.tenancy import member_required

from .. import review
from ..models import Decision, ReviewStage
from .common import paginate, team_project

PER_PAGE = 24
TEMPLATE = "generations/client_board.html"


@require_GET
@member_required(CLIENT_REVIEW)
def client_board(request: HttpRequest, pk: int):
    project = team_project(request, pk)
    page = paginate(request, review.client_outputs(project), PER_PAGE)
    context = {"project": project, "page": page, "outputs": list(page.object_list)}
    return render(request, f"{TEMPLATE}#grid" if is_fragment(request) else TEMPLATE, context)


@require_POST
@member_required(CLIENT_REVIEW)
def client_decide(request: HttpRequest, pk: int):
    outputs = review.visible_outputs(request.membership).filter(review_status__in=review.CLIENT_VISIBLE)
    output = get_object_or_404(outputs.select_related("task", "task__sku", "task__account"), pk=pk)
    decision = request.POST.get("decision", "")
    try:
        review.decide(output, request.user, stage=ReviewStage.CLIENT, decision=decision,
                      comment=request.POST.get("comment", ""))
    except review.ReviewError as exc:
        messages.error(request, str(exc))
    else:
        verb = "Approved" if decision == Decision.APPROVED else "Rejected"
        messages.success(request, f"{verb} {output.task.sku.code}.")
    if not is_fragment(request):
        return redirect(reverse("client_board", args=[output.task.sku.project_id]))
    output.refresh_from_db(fields=["review_status"])
    return render(request, f"{TEMPLATE}#card", {"output": output, "toasts": True})
