"""Notices of the review loop (issue 16.3): a finished batch tells managers it is ready for review.

Called by lifecycle.transition_task when a task of a batch finishes; the check runs after the commit, so it sees
the outputs the engine stored, and studio.inbox sends each batch's notice once.
"""
from django.db import transaction

from studio import inbox

from .models import Batch, TaskOutput, TaskStatus

S = TaskStatus
_STILL_RUNNING = {S.TASK_CREATED, S.TASK_SUBMITTED, S.GENERATION_STARTED, S.GENERATION_IN_PROCESS,
                  S.EDITING_SUBMITTED, S.EDITING_IN_PROCESS}


def when_batch_finishes(batch_id: int) -> None:
    transaction.on_commit(lambda: batch_ready(batch_id))


def batch_ready(batch_id: int) -> int:
    """If no task of the batch is still generating and some outputs wait for review, tell the managers."""
    batch = Batch.objects.select_related("project__program__team").filter(pk=batch_id).first()
    if batch is None or batch.tasks.filter(status__in=_STILL_RUNNING).exists():
        return 0
    waiting = TaskOutput.objects.filter(task__batch=batch, review_status=S.REVIEW_SUBMITTED, flagged=False).count()
    if not waiting:
        return 0
    with transaction.atomic():
        Batch.objects.select_for_update().filter(pk=batch.pk).first()  # one notice even when two tasks end together
        return inbox.batch_ready(batch.project.program.team, batch, batch.project, waiting)
