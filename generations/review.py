"""Review and client approval of generated outputs.

Every decision is one output moving through `lifecycle.transition_output`, one ReviewEvent recording who decided
what with which comment, and `lifecycle.sync_task_review_status` moving the task to what its outputs now imply
(which rolls the SKU and the project up). A decision is all-or-nothing: if the task cannot follow, nothing moves.

Who sees what is decided here too: a client sees only outputs a manager approved (and those the client decided),
never an unapproved one, on every page and fragment.
"""
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from studio.roles import SEE_UNAPPROVED, can

from . import lifecycle
from .models import Decision, ReviewEvent, ReviewStage, Task, TaskOutput, TaskStatus

S = TaskStatus

# Output review statuses a client may see: approved by a manager, or already decided by the client.
CLIENT_VISIBLE = (S.REVIEW_APPROVED, S.CLIENT_APPROVED, S.CLIENT_REJECTED)
# A finished generation waiting for its first decision moves to "Review submitted" when that decision comes.
_COMPLETED = {S.GENERATION_COMPLETED, S.EDITING_COMPLETED}
# Task statuses in which a manager may decide on its outputs.
REVIEWABLE_TASK = _COMPLETED | {S.REVIEW_SUBMITTED, S.REVIEW_IN_PROCESS, S.REVIEW_APPROVED, S.REVIEW_REJECTED}
# The client stage starts when the manager has decided every output of the task.
CLIENT_DECIDABLE_TASK = {S.REVIEW_APPROVED}

_STAGE_TARGETS = {
    (ReviewStage.REVIEW, Decision.APPROVED): S.REVIEW_APPROVED,
    (ReviewStage.REVIEW, Decision.REJECTED): S.REVIEW_REJECTED,
    (ReviewStage.CLIENT, Decision.APPROVED): S.CLIENT_APPROVED,
    (ReviewStage.CLIENT, Decision.REJECTED): S.CLIENT_REJECTED,
}


class ReviewError(Exception):
    """A decision that cannot be taken; the message is shown to the person who tried."""


# --- Who sees what ------------------------------------------------------------------------------------------------
def sees_unapproved(membership) -> bool:
    return can(membership, SEE_UNAPPROVED)


def visible_outputs(membership, outputs: QuerySet | None = None) -> QuerySet:
    """Outputs of the member's team this member may see. Clients: only approved or client-decided ones."""
    outputs = TaskOutput.objects.all() if outputs is None else outputs
    outputs = outputs.for_team(membership.team if membership else None)
    if sees_unapproved(membership):
        return outputs
    return outputs.filter(review_status__in=CLIENT_VISIBLE, flagged=False)


def visible_tasks(membership, tasks: QuerySet | None = None) -> QuerySet:
    """Tasks of the member's team; a client sees only tasks with at least one output visible to clients."""
    tasks = Task.objects.all() if tasks is None else tasks
    tasks = tasks.for_team(membership.team if membership else None)
    if sees_unapproved(membership):
        return tasks
    shown = TaskOutput.objects.filter(task=OuterRef("pk"), review_status__in=CLIENT_VISIBLE, flagged=False)
    return tasks.filter(Exists(shown))


def with_cards(membership, tasks: QuerySet) -> QuerySet:
    """Everything a task card shows, in a fixed number of queries whatever the number of tasks."""
    outputs = visible_outputs(membership, TaskOutput.objects.order_by("round", "created_at", "pk"))
    events = ReviewEvent.objects.select_related("actor").order_by("created_at", "pk")
    if not sees_unapproved(membership):
        events = events.filter(output__review_status__in=CLIENT_VISIBLE, output__flagged=False)
    return tasks.select_related("sku", "sku__project", "account").prefetch_related(
        Prefetch("outputs", queryset=outputs, to_attr="visible_outputs"),
        Prefetch("review_events", queryset=events, to_attr="history"),
    )


def awaiting_review(project) -> QuerySet:
    """The review board's queue: outputs of the project waiting for a manager, oldest first, flagged ones held."""
    return (
        TaskOutput.objects.filter(
            task__sku__project=project, review_status=S.REVIEW_SUBMITTED, flagged=False,
            task__status__in=REVIEWABLE_TASK,
        )
        .select_related("task", "task__sku", "task__account")
        .order_by("task__sku__code", "task_id", "round", "pk")
    )


def board_outputs(project, *, waiting_only: bool = True) -> QuerySet:
    """The review board's rows before its filters (generations/board.py): outputs of the project, held ones
    excluded; the waiting queue keeps only tasks in which a decision can be taken now."""
    outputs = TaskOutput.objects.filter(task__sku__project=project, flagged=False)
    if waiting_only:
        outputs = outputs.filter(task__status__in=REVIEWABLE_TASK)
    # Joined: what the board sorts, groups and filters on. Prefetched: what a card only shows. Joining all eight
    # tables made PostgreSQL spend ~18 ms planning the page query (join-order search) to run it in 1 ms.
    return (outputs.select_related("task", "task__sku", "task__account")
            .prefetch_related("task__batch", "task__model_image__fashion_model", "task__pose"))


def output_history(output: TaskOutput, membership) -> QuerySet:
    """Every decision on this output and on the outputs it replaced or that replace it (a per-output
    regenerate chain), oldest first. A client sees only the client stage."""
    related = [output.pk]
    if output.task.replaces_id:
        related.append(output.task.replaces_id)
    events = (ReviewEvent.objects.filter(Q(output_id__in=related) | Q(task__replaces_id=output.pk))
              .select_related("actor").order_by("created_at", "pk"))
    if not sees_unapproved(membership):
        events = events.filter(stage=ReviewStage.CLIENT, output__review_status__in=CLIENT_VISIBLE,
                               output__flagged=False)
    return events[:100]


def client_outputs(project) -> QuerySet:
    """The client board: approved outputs waiting for the client first, then those the client decided."""
    return (
        TaskOutput.objects.filter(task__sku__project=project, review_status__in=CLIENT_VISIBLE, flagged=False)
        .select_related("task", "task__sku", "task__account")
        .order_by("review_status", "task__sku__code", "task_id", "pk")
    )


def history(task: Task, membership) -> QuerySet:
    events = ReviewEvent.objects.filter(task=task).select_related("actor").order_by("created_at", "pk")
    if not sees_unapproved(membership):
        events = events.filter(output__review_status__in=CLIENT_VISIBLE, output__flagged=False)
    return events


# --- Decisions ----------------------------------------------------------------------------------------------------
def approve(output: TaskOutput, actor, comment: str = "") -> TaskOutput:
    return _decide(output, actor, ReviewStage.REVIEW, Decision.APPROVED, comment)


def reject(output: TaskOutput, actor, comment: str) -> TaskOutput:
    return _decide(output, actor, ReviewStage.REVIEW, Decision.REJECTED, comment)


def client_approve(output: TaskOutput, actor, comment: str = "") -> TaskOutput:
    return _decide(output, actor, ReviewStage.CLIENT, Decision.APPROVED, comment)


def client_reject(output: TaskOutput, actor, comment: str) -> TaskOutput:
    return _decide(output, actor, ReviewStage.CLIENT, Decision.REJECTED, comment)


def decide(output: TaskOutput, actor, *, stage: str, decision: str, comment: str = "") -> TaskOutput:
    """One entry point for views: stage is review or client, decision approved or rejected."""
    if (stage, decision) not in _STAGE_TARGETS:
        raise ReviewError("Choose approve or reject.")
    return _decide(output, actor, stage, decision, comment)


def bulk_approve(outputs: Iterable[TaskOutput], actor) -> int:
    """Approve each output still waiting; one that moved meanwhile is skipped, not an error. Returns how many."""
    approved = 0
    for output in outputs:
        if output.review_status != S.REVIEW_SUBMITTED:
            continue
        try:
            approve(output, actor)
        except ReviewError:
            continue
        approved += 1
    return approved


def _decide(output: TaskOutput, actor, stage: str, decision: str, comment: str) -> TaskOutput:
    comment = (comment or "").strip()
    if decision == Decision.REJECTED and not comment:
        raise ReviewError("Say what is wrong so the creative can fix it: a rejection needs a comment.")
    if output.flagged:
        raise ReviewError("This output is held by the safety check and cannot be decided here.")
    target = _STAGE_TARGETS[(stage, decision)]
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=output.task_id)
        _check_task_stage(task, stage)
        try:
            lifecycle.transition_output(output, target)
        except lifecycle.IllegalTransition:
            raise ReviewError(f"This output is already {output.review_status.lower()}.") from None
        except lifecycle.LostRace:
            raise ReviewError("Someone decided on this output a moment ago; the board is up to date now.") from None
        ReviewEvent.objects.create(task=task, output=output, actor=actor, stage=stage, decision=decision,
                                   comment=comment)
        try:
            if task.status in _COMPLETED:
                lifecycle.transition_task(task, S.REVIEW_SUBMITTED)
            lifecycle.sync_task_review_status(task)
        except (lifecycle.IllegalTransition, lifecycle.LostRace) as exc:
            # The task cannot follow this decision; the atomic block undoes the output's move and the event.
            raise ReviewError(f"This decision would leave the task in an impossible state ({exc}).") from None
    output.task = task
    return output


def _check_task_stage(task: Task, stage: str) -> None:
    allowed = REVIEWABLE_TASK if stage == ReviewStage.REVIEW else CLIENT_DECIDABLE_TASK
    if task.status not in allowed:
        if stage == ReviewStage.CLIENT:
            raise ReviewError("The studio is still reviewing this task; it will be ready for you shortly.")
        raise ReviewError(f"This task is “{task.status}”, so its outputs cannot be reviewed now.")


def held_outputs(team):
    """The moderation lane (ArtEmotion Vision's NSFW gate holds them): outputs of the team's programs held by the gate, most suspicious first."""
    return (TaskOutput.objects.for_team(team).filter(flagged=True)
            .exclude(review_events__stage=ReviewStage.MODERATION, review_events__decision=Decision.DISCARDED)
            .select_related("task", "task__sku").order_by("-nsfw_probability", "pk"))
