"""Publishing "advance task N" and "make output N's thumbnail" — by job name, so the engine's modules never import
the Celery jobs that call them back (jobs.py imports runs.py, runs.py publishes through here: no circle).

Publishing never breaks the caller: a broker that is down is logged and left to the sweeper, which finds the work by
its next_run_at (DESIGN.md §4).
"""
from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger("generations.engine.jobs")

ADVANCE = "vendor.advance"
SWEEP = "vendor.sweep"
OUTPUT_THUMBNAIL = "media.make_output_thumbnail"

# Longer waits are not put on the broker: Redis holds ETA messages in the worker and redelivers them after the
# visibility timeout. The sweeper picks such tasks up when their next_run_at has come.
MAX_COUNTDOWN_SECONDS = 600


def publish(name: str, args: tuple, countdown: float = 0) -> bool:
    # The registered job when this process has it (honours CELERY_TASK_ALWAYS_EAGER and the job's own options),
    # else a plain send by name; either way routed by CELERY_TASK_ROUTES.
    try:
        current_app.signature(name, args=args).apply_async(countdown=max(0.0, countdown) or None)
    except (OperationalError, OSError) as exc:
        # The row already says when it should run; the sweeper will queue it once the broker is back.
        logger.warning("could not queue %s%s: %s; the sweeper will re-queue it", name, args, type(exc).__name__)
        return False
    return True


def queue_advance(task_id: int, countdown: float = 0) -> bool:
    """Publish now (use from code that is not inside a transaction, like the sweeper)."""
    if countdown > MAX_COUNTDOWN_SECONDS:
        return False
    return publish(ADVANCE, (task_id,), countdown)


def queue_advance_on_commit(task_id: int, countdown: float = 0) -> None:
    """Publish once the surrounding transaction commits, so the worker finds the row it is told about."""
    transaction.on_commit(lambda: queue_advance(task_id, countdown))


def queue_output_thumbnail(output_id: int) -> bool:
    return publish(OUTPUT_THUMBNAIL, (output_id,))
