"""Progress fragments: batch progress bars per project, task cards per SKU, one polling task card.

Each polls with hx-trigger="every 2s" while work runs and answers 286 (htmx: stop polling) once it is done.
"""
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from studio.roles import GENERATE, REVIEW, can
from studio.tenancy import member_required

from .. import review
from ..lifecycle import FAILED, REGENERATE_FROM
from ..models import Batch, BatchState, Task, TaskStatus
from .common import RUNNING, paginate, team_project, team_sku

STOP_POLLING = 286
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
    return tasks


def card_tasks(request: HttpRequest):
    membership = request.membership
    return review.with_cards(membership, review.visible_tasks(membership))


@require_GET
@member_required()
def project_batches(request: HttpRequest, pk: int):
    project = team_project(request, pk)
    running_filter = Q(tasks__status__in=RUNNING)
    batches = list(
        Batch.objects.for_team(request.team).filter(project=project)
        .annotate(total=Count("tasks"), failed=Count("tasks", filter=Q(tasks__status__in=FAILED)),
                  running=Count("tasks", filter=running_filter),
                  rest_launched=Exists(Batch.objects.filter(pilot_of=OuterRef("pk"))))
        .order_by("-created_at")[:BATCHES_SHOWN]
    )
    for batch in batches:
        # "Run the rest" is offered only while a pilot still has SKUs waiting for it.
        batch.rest_waiting = batch.is_pilot and bool(batch.config.get("rest_sku_ids")) and not batch.rest_launched
        batch.done = batch.total - batch.failed - batch.running
        batch.done_pct = round(100 * batch.done / batch.total) if batch.total else 0
        batch.failed_pct = round(100 * batch.failed / batch.total) if batch.total else 0
    # A paused batch's unsubmitted tasks wait for a person, not for the engine: nothing to poll for.
    waiting_on_person = Q(batch__state=BatchState.PAUSED, status=TaskStatus.TASK_CREATED)
    polling = Task.objects.filter(sku__project=project, status__in=RUNNING).exclude(waiting_on_person).exists()
    context = {"project": project, "batches": batches, "polling": polling}
    return render(request, "generations/progress.html#batches", context, status=200 if polling else STOP_POLLING)


@require_GET
@member_required()
def sku_tasks(request: HttpRequest, pk: int):
    sku = team_sku(request, pk)
    page = paginate(request, card_tasks(request).filter(sku=sku).order_by("-created_at", "-pk"), TASKS_PER_PAGE)
    context = {"sku": sku, "page": page, "tasks": prepare_cards(request, page.object_list)}
    return render(request, "generations/progress.html#task_list", context)


@require_GET
@member_required()
def task_card(request: HttpRequest, pk: int):
    task = get_object_or_404(card_tasks(request), pk=pk)
    prepare_cards(request, [task])
    status = 200 if task.running else STOP_POLLING
    return render(request, "generations/progress.html#task_card", {"task": task}, status=status)
