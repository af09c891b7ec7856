"""What the generation lifecycle tells the team's listeners (issue 18: outgoing webhooks), through
studio.events.publish: after commit, never failing the move that caused it. Called from lifecycle.py and runs.py
with one line each; the payloads are small and carry ids the API can look up."""
import logging

from studio.events import publish

from .models import AccountState, TaskStatus

S = TaskStatus
log = logging.getLogger(__name__)
_COMPLETED = {S.GENERATION_COMPLETED, S.EDITING_COMPLETED}
_FAILED = {S.GENERATION_FAILED, S.EDITING_FAILED}


def _task_data(task) -> dict:
    return {"task": task.pk, "sku": task.sku_id, "batch": task.batch_id, "status": task.status,
            "operation": task.operation}


def task_moved(task, previous: str, target: str) -> None:
    try:
        if target in _COMPLETED:
            publish(task.team_id, "task.completed", _task_data(task))
        elif target in _FAILED:
            publish(task.team_id, "task.failed", {**_task_data(task), "error": (task.error_message or "")[:500]})
        if target == S.REVIEW_SUBMITTED and previous in _COMPLETED:
            _outputs_ready(task)
        if (target in _COMPLETED | _FAILED or target == S.REVIEW_SUBMITTED) and task.batch_id:
            _batch_finished(task)
    except Exception:
        log.exception("could not announce task %s moving to %s", task.pk, target)


def _outputs_ready(task) -> None:
    from .models import TaskOutput

    ready = TaskOutput.objects.filter(task_id=task.pk, round=task.round, review_status=S.REVIEW_SUBMITTED,
                                      flagged=False).values_list("pk", flat=True)
    for pk in ready:
        publish(task.team_id, "output.ready_for_review", {"output": pk, **_task_data(task)})


def _batch_finished(task) -> None:
    """batch.finished once no task of the batch is running or held for a person (models only: this module sits
    beside lifecycle, below the product features)."""
    from django.db.models import Count, Q

    from .models import Batch, Task

    unfinished = {S.TASK_CREATED, S.TASK_SUBMITTED, S.GENERATION_STARTED, S.GENERATION_IN_PROCESS,
                  S.EDITING_SUBMITTED, S.EDITING_IN_PROCESS}
    tasks = Task.objects.filter(batch_id=task.batch_id)
    if tasks.filter(Q(status__in=unfinished) | Q(needs_attention=True)).exists():
        return
    counts = tasks.aggregate(total=Count("pk"), failed=Count("pk", filter=Q(status__in=_FAILED)))
    project_id = Batch.objects.filter(pk=task.batch_id).values_list("project_id", flat=True).first()
    publish(task.team_id, "batch.finished", {"batch": task.batch_id, "project": project_id, **counts},
            dedupe_key=f"batch.finished:{task.batch_id}")


def output_released(output, task) -> None:
    """A held output a manager released joins the review board: it is ready for review now. When its task finished,
    `_outputs_ready` announced only the outputs that were not held."""
    if output.review_status != S.REVIEW_SUBMITTED:
        return
    try:
        publish(task.team_id, "output.ready_for_review", {"output": output.pk, **_task_data(task)})
    except Exception:
        log.exception("could not announce released output %s", output.pk)


def task_needs_attention(task, message: str) -> None:
    publish(task.team_id, "task.needs_attention", {**_task_data(task), "message": (message or "")[:500]})


def output_moved(output, target: str) -> None:
    event = {S.REVIEW_APPROVED: "output.approved", S.CLIENT_APPROVED: "output.client_approved"}.get(target)
    if event is None:
        return
    try:
        from .models import Task

        task = Task.objects.filter(pk=output.task_id).only("team_id", "sku_id", "batch_id").first()
        if task is not None:
            publish(task.team_id, event, {"output": output.pk, "task": output.task_id, "sku": task.sku_id,
                                          "batch": task.batch_id, "review_status": target})
    except Exception:
        log.exception("could not announce output %s moving to %s", output.pk, target)


def account_moved(account, target: str) -> None:
    if target == AccountState.PAUSED:
        publish(account.team_id, "account.paused", {"account": account.pk, "vendor": account.vendor,
                                                    "name": account.name})


def budget_reached(project, team_id, message: str) -> None:
    publish(team_id, "budget.reached", {"project": project.pk, "budget_credits": str(project.budget_credits),
                                        "message": message})
