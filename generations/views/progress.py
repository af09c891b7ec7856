"""Progress fragments: batch progress bars per project, task cards per SKU, one polling task card.

Each polls with hx-trigger="every 2s" while work runs and answers 286 (htmx: stop polling) once it is done.
"""
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from studio.roles import GENERATE, REVIEW, SEE_UNAPPROVED, can
from studio.tenancy import member_required

from .. import review
from ..launch import new_form_token
from ..lifecycle import REGENERATE_FROM
from ..models import Batch, BatchState, Task, TaskStatus
from .common import RUNNING, paginate, team_project, team_sku

STOP_POLLING = 286
REJECTED_OUTPUT = {TaskStatus.REVIEW_REJECTED, TaskStatus.CLIENT_REJECTED}
AWAITING_REVIEW = {TaskStatus.REVIEW_SUBMITTED, TaskStatus.REVIEW_IN_PROCESS}
BATCHES_SHOWN = 10
TASKS_PER_PAGE = 20


def prepare_cards(request: HttpRequest, tasks) -> list[Task]:
    """What each card shows besides the row: whether it polls and which actions this member has."""
    tasks = list(tasks)
    membership = request.membership
    may_regenerate, may_review = can(membership, GENERATE), can(membership, REVIEW)
    for task in tasks:
        task.running = task.status in RUNNING
        task.can_regenerate = may_regenerate and task.status in REGENERATE_FROM
        task.can_review = may_review
        task.awaiting_review = task.status in AWAITING_REVIEW
        task.can_build_on = may_regenerate  # edit / upscale / video from an approved output
        task.can_settle = may_review and task.outcome_unknown  # resubmit / mark failed a lost paid call
        _mark_rejections(task, may_regenerate)
    return tasks


def _mark_rejections(task: Task, may_regenerate: bool) -> None:
    """Each rejected output carries its reject comment on its card, and may be remade alone (issue 16.3)."""
    comments = {e.output_id: e.comment for e in getattr(task, "history", []) if e.decision == "rejected" and e.comment}
    for output in getattr(task, "visible_outputs", []):
        output.reject_comment = comments.get(output.pk, "")
        output.can_remake = may_regenerate and output.review_status in REJECTED_OUTPUT
        if output.can_remake:
            output.remake_token = new_form_token()  # a double click lands on the same remake


def card_tasks(request: HttpRequest):
    membership = request.membership
    return review.with_cards(membership, review.visible_tasks(membership))


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


@require_GET
@member_required(SEE_UNAPPROVED)
def project_batches(request: HttpRequest, pk: int):
    """The project's latest batches from their counters (generations/batch_counts.py): the same cost for a project
    of 50 tasks as for one of 50,000, and the same buckets as each batch's own panel, so the two always agree."""
    project = team_project(request, pk)
    project_batches = Batch.objects.for_team(request.team).filter(project=project)
    batches = list(project_batches.annotate(rest_launched=Exists(Batch.objects.filter(pilot_of=OuterRef("pk"))))
                   .order_by("-created_at")[:BATCHES_SHOWN])
    for batch in batches:
        # "Run the rest" is offered only while a pilot still has SKUs waiting for it.
        batch.rest_waiting = batch.is_pilot and bool(batch.config.get("rest_sku_ids")) and not batch.rest_launched
        batch.done, batch.failed, batch.cancelled = batch.tasks_done, batch.tasks_failed, batch.tasks_cancelled
        batch.waiting, batch.at_vendor, batch.total = batch.tasks_waiting, batch.tasks_at_vendor, batch.tasks_total
        batch.done_pct = _percent(batch.done, batch.total)
        batch.failed_pct = _percent(batch.failed, batch.total)
        batch.cancelled_pct = _percent(batch.cancelled, batch.total)
    # Work at the vendor finishes in any batch state; a paused batch's unsubmitted tasks wait for a person.
    polling = project_batches.filter(Q(tasks_at_vendor__gt=0)
                                     | Q(tasks_waiting__gt=0, state=BatchState.RUNNING)).exists()
    context = {"project": project, "batches": batches, "polling": polling}
    return render(request, "generations/progress.html#batches", context, status=200 if polling else STOP_POLLING)


@require_GET
@member_required()
def sku_tasks(request: HttpRequest, pk: int):
    sku = team_sku(request, pk)
    if not can(request.membership, SEE_UNAPPROVED):  # a client sees the approved images, never task cards
        from .client import sku_outputs

        return sku_outputs(request, sku)
    page = paginate(request, card_tasks(request).filter(sku=sku).order_by("-created_at", "-pk"), TASKS_PER_PAGE)
    context = {"sku": sku, "page": page, "tasks": prepare_cards(request, page.object_list)}
    return render(request, "generations/progress.html#task_list", context)


@require_GET
@member_required(SEE_UNAPPROVED)
def task_card(request: HttpRequest, pk: int):
    task = get_object_or_404(card_tasks(request), pk=pk)
    prepare_cards(request, [task])
    status = 200 if task.running else STOP_POLLING
    return render(request, "generations/progress.html#task_card", {"task": task}, status=status)
