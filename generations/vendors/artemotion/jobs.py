"""Media-queue jobs for the vision features (generations/vendors/artemotion/vision.py). Thin: a primary key in, a service call, and
a countdown re-queue while ArtEmotion is still working — never a sleep in the worker. Attempts are bounded so a
job that never finishes (or a vendor that keeps failing) stops; a held output then simply stays held."""
from __future__ import annotations

import logging
import random

from celery import shared_task
from django.conf import settings

from generations.vendors.base import VendorError

logger = logging.getLogger(__name__)

MAX_ROUNDS = 60  # polls and transient retries per job (2 s apart at first: a few minutes in all)


def _run(job, service, pk: int, round_: int) -> None:
    try:
        step = service(pk)
    except VendorError as exc:
        if exc.permanent:
            logger.warning("%s for %s stopped: %s", job.name, pk, exc)
            return
        step_wait = min(60.0, 2.0 * 2 ** min(round_, 5)) * random.uniform(0.5, 1.0)
        logger.info("%s for %s will retry: %s", job.name, pk, exc)
        return _again(job, pk, round_, step_wait)
    if not step.done:
        _again(job, pk, round_, step.wait)


def _again(job, pk: int, round_: int, wait: float) -> None:
    if round_ + 1 >= MAX_ROUNDS:
        logger.warning("%s for %s gave up after %s rounds", job.name, pk, MAX_ROUNDS)
        return
    job.apply_async((pk, round_ + 1), countdown=max(0.5, wait))


@shared_task(name="media.caption_garment", acks_late=True, time_limit=settings.CELERY_TASK_TIME_LIMIT)
def caption_garment(garment_id: int, round_: int = 0) -> None:
    from generations.vendors.artemotion import vision

    _run(caption_garment, vision.caption_garment, garment_id, round_)


@shared_task(name="media.nsfw_check", acks_late=True, time_limit=settings.CELERY_TASK_TIME_LIMIT)
def nsfw_check(output_id: int, round_: int = 0) -> None:
    from generations.vendors.artemotion import vision

    _run(nsfw_check, vision.nsfw_check, output_id, round_)
