"""Celery jobs for the vendor engine. Thin: take a primary key, call the engine's entry point (runs.py, outputs.py).

A job only says "advance task N"; the database row says what that means (DESIGN.md §4), so a duplicate or
redelivered job is a no-op and a lost one is found again by the sweeper. Publishing lives in queue.py, by job name.
"""
from __future__ import annotations

from celery import shared_task
from django.conf import settings

from generations.engine import outputs, queue, runs
from generations.models import TaskOutput


@shared_task(name=queue.ADVANCE, acks_late=True, time_limit=settings.CELERY_TASK_TIME_LIMIT,
             soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT)
def advance(task_id: int) -> None:
    runs.advance(task_id)


@shared_task(name=queue.SWEEP, acks_late=True, time_limit=settings.CELERY_TASK_TIME_LIMIT)
def sweep() -> None:
    runs.sweep()


@shared_task(name=queue.OUTPUT_THUMBNAIL, acks_late=True, time_limit=settings.CELERY_TASK_TIME_LIMIT)
def make_output_thumbnail(output_id: int) -> None:
    output = TaskOutput.objects.filter(pk=output_id).first()
    if output is not None:  # deleted meanwhile, or a redelivery after the thumbnail was made: nothing to do
        outputs.make_thumbnail(output)
