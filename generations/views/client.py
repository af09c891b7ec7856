"""The client stage (issue 16.4): a client sees only outputs a manager approved, and approves or rejects each one.

The client board works like the review board — filters, groups, seek pagination, a large view with the garment
side by side, keyboard shortcuts, bulk approve — but shows the work, not the machinery: no vendor, task status,
batch, cost or count of unapproved outputs.
"""
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from studio import inbox
from studio.htmx import is_fragment
from studio.ids import parse_ids
from studio.roles import CLIENT_REVIEW
from studio.tenancy import member_required

from .. import board, client_view, large_view, review
from ..models import Decision, ReviewStage, TaskStatus
from .common import team_project

PER_PAGE = 24
TEMPLATE = "generations/client_board.html"


def _chosen(request) -> board.Board:
    return board.Board.from_request(request, statuses=board.CLIENT_STATUSES, default_status="awaiting", client=True)


def _board(request: HttpRequest, project, selected_pk=None):
    chosen = _chosen(request)
    base = review.client_outputs(project).select_related(None).select_related("task", "task__sku")
    outputs = chosen.apply(base)
    page = chosen.page(outputs, PER_PAGE)
    rows = page.rows
    chosen.decorate(outputs, rows)
    for row in rows:
        row.client_label = board.CLIENT_LABELS.get(row.review_status, row.review_status)
    selected = next((o for o in rows if str(o.pk) == str(selected_pk or "")), rows[0] if rows else None)
    index = rows.index(selected) if selected else -1
    context = {
        "project": project, "program": project.program, "page": page, "outputs": rows, "selected": selected,
        "board": chosen, "next_pk": rows[index + 1].pk if selected and index + 1 < len(rows) else None,
        "total": lambda: board.total(base),
        "history": list(client_view.own_decisions(request.user).filter(output=selected)[:50]) if selected else [],
        "client_board": True,
        **large_view.context(selected, review.visible_outputs(request.membership)),
    }
    if is_fragment(request) and request.htmx.target == "review-preview":
        return render(request, f"{TEMPLATE}#preview", context)
    return render(request, f"{TEMPLATE}#board" if is_fragment(request) else TEMPLATE, context)


@require_GET
@member_required(CLIENT_REVIEW)
def client_board(request: HttpRequest, pk: int):
    return _board(request, team_project(request, pk), selected_pk=request.GET.get("selected"))


@require_POST
@member_required(CLIENT_REVIEW)
def client_decide(request: HttpRequest, pk: int):
    outputs = review.visible_outputs(request.membership).filter(review_status__in=review.CLIENT_VISIBLE)
    output = get_object_or_404(outputs.select_related("task", "task__sku", "task__account"), pk=pk)
    decision = request.POST.get("decision", "")
    decided = True
    try:
        review.decide(output, request.user, stage=ReviewStage.CLIENT, decision=decision,
                      comment=request.POST.get("comment", ""))
    except review.ReviewError as exc:
        decided = False
        messages.error(request, str(exc))
    else:
        verb = "Approved" if decision == Decision.APPROVED else "Rejected"
        messages.success(request, f"{verb} {output.task.sku.code}.")
        if decision == Decision.REJECTED:
            inbox.output_rejected(output, request.user, request.POST.get("comment", ""))
    project = output.task.sku.project
    from_board = request.POST.get("from") == "board"
    if not is_fragment(request):
        url = reverse("client_board", args=[project.pk])
        return redirect(f"{url}?{_chosen(request).querystring}" if from_board else url)
    if from_board:
        return _board(request, project, selected_pk=request.POST.get("next") if decided else output.pk)
    output.refresh_from_db(fields=["review_status"])
    output.client_label = board.CLIENT_LABELS.get(output.review_status, output.review_status)
    return render(request, f"{TEMPLATE}#card", {"output": output, "toasts": True})


@require_POST
@member_required(CLIENT_REVIEW)
def client_bulk_approve(request: HttpRequest, pk: int):
    project = team_project(request, pk)
    ids = parse_ids(request.POST.getlist("outputs"))
    if not ids:
        messages.error(request, "Tick the images to approve first.")
    else:
        approved = 0
        chosen = review.client_outputs(project).filter(pk__in=ids, review_status=TaskStatus.REVIEW_APPROVED)
        for output in chosen:
            try:
                review.client_approve(output, request.user)
            except review.ReviewError:
                continue  # still being reviewed by the studio, or decided meanwhile: skipped, not an error
            approved += 1
        messages.success(request, f"Approved {approved} image{'s' if approved != 1 else ''}.")
    if is_fragment(request):
        return _board(request, project)
    return redirect(f"{reverse('client_board', args=[project.pk])}?{_chosen(request).querystring}")


def sku_outputs(request: HttpRequest, sku):
    """The SKU page's images for a client: what the studio approved, each with the client's status and their own
    decisions, instead of task cards (progress.sku_tasks calls this for clients)."""
    outputs = review.visible_outputs(request.membership).filter(task__sku=sku).select_related("task", "task__sku")
    shown = list(outputs.order_by("-created_at", "-pk")[:60])
    decisions = {}
    for event in client_view.own_decisions(request.user).filter(output__in=[o.pk for o in shown])[:300]:
        decisions.setdefault(event.output_id, []).append(event)
    for output in shown:
        output.client_label = board.CLIENT_LABELS.get(output.review_status, output.review_status)
        output.own_decisions = decisions.get(output.pk, [])
    return render(request, f"{TEMPLATE}#sku_outputs", {"sku": sku, "outputs": shown, "project": sku.project})
