"""Celery jobs for the vendor engine. Thin: take a primary key, call a service in runs.py / outputs.py.

A job only says "advance task N"; the database row says what that means (DESIGN.md §4), so a duplicate or
redelivered job is a no-op and a lost one is found again by the sweeper. Publishing never breaks the caller: a
broker that is down is logged and left to the sweeper, which finds the work by its next_run_at.
"""
from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# Longer waits are not put on the broker: Redis holds ETA messages in the worker and redelivers them after the
# visibility timeout. The sweeper picks such tasks up when their next_run_at has come.
MAX_COUNTDOWN_SECONDS = 600


@shared_task(name="vendor.advance", acks_late=True, time_limit=settings.CELERY_TASK_TIME_LIMIT,
             soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT)
def advance(task_id: int) -> None:
    from . import runs

    runs.advance(task_id)


@shared_task(name="vendor.sweep", acks_late=True, time_limit=settings.CELERY_TASK_TIME_LIMIT)
def sweep() -> None:
    from . import runs

    runs.sweep()


@shared_task(name="media.make_output_thumbnail", acks_late=True, time_limit=settings.CELERY_TASK_TIME_LIMIT)
def make_output_thumbnail(output_id: int) -> None:
    from . import outputs
    from .models import TaskOutput

    output = TaskOutput.objects.filter(pk=output_id).first()
    if output is not None:  # deleted meanwhile, or a redelivery after the thumbnail was made: nothing to do
        outputs.make_thumbnail(output)


def _publish(job, args: tuple, countdown: float = 0) -> bool:
    try:
        job.apply_async(args, countdown=max(0.0, countdown) or None)
    except (OperationalError, OSError) as exc:
        # The row already says when it should run; the sweeper will queue it once the broker is back.
        logger.warning("could not queue %s%s: %s; the sweeper will re-queue it", job.name, args, type(exc).__name__)
        return False
    return True


def queue_advance(task_id: int, countdown: float = 0) -> bool:
    """Publish now (use from code that is not inside a transaction, like the sweeper)."""
    if countdown > MAX_COUNTDOWN_SECONDS:
        return False
    return _publish(advance, (task_id,), countdown)


def queue_advance_on_commit(task_id: int, countdown: float = 0) -> None:
    """Publish once the surrounding transaction commits, so the worker finds the row it is told about."""
    transaction.on_commit(lambda: queue_advance(task_id, countdown))


def queue_output_thumbnail(output_id: int) -> bool:
    return _publish(make_output_thumbnail, (output_id,))
