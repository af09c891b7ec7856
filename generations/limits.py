"""Per-account concurrency and submission rate, held across every worker process.

Celery's rate_limit is per worker (RELIABILITY.md), so the truth is the database: the caller locks the
VendorAccount row (select_for_update; on SQLite the IMMEDIATE transaction already serialises writers), counts what
is in flight and what was submitted in the last minute, and — in the same transaction — records its attempt. Two
workers racing for the last slot are serialised by the lock; the second sees the first's attempt and waits.

In flight = tasks of the account in step poll/collect, plus tasks in step submit whose attempt has started (the
paid call is under way, or its outcome is unknown after a crash). Waiting tasks go oldest first.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from . import jobs
from .models import Task, VendorAccount

WINDOW = timedelta(seconds=60)
SLOT_WAIT_SECONDS = 3.0  # a slot frees when another task finishes; runs.py also wakes the oldest waiters then


@dataclass(frozen=True)
class SlotDecision:
    granted: bool
    wait_seconds: float = 0.0
    reason: str = ""


def lock_account(account_id: int) -> VendorAccount:
    """Call inside transaction.atomic(): the row lock every slot decision for this account queues behind."""
    return VendorAccount.objects.select_for_update().get(pk=account_id)


def in_flight(account_id: int, exclude_task_id: int | None = None) -> int:
    active = Q(step__in=("poll", "collect")) | Q(step="submit", attempt_started_at__isnull=False)
    return (Task.objects.filter(account_id=account_id, needs_attention=False).filter(active)
            .exclude(pk=exclude_task_id).count())


def submitted_in_window(account_id: int, now, exclude_task_id: int | None = None) -> list:
    """Start times of attempts in the last minute (attempt_started_at is written before every paid call)."""
    return list(Task.objects.filter(account_id=account_id, attempt_started_at__gte=now - WINDOW)
                .exclude(pk=exclude_task_id).values_list("attempt_started_at", flat=True))


def waiting_ahead(task: Task) -> int:
    """Tasks of the same account that wait for a slot and came first (oldest first, ties by id)."""
    older = Q(created_at__lt=task.created_at) | Q(created_at=task.created_at, pk__lt=task.pk)
    return (Task.objects.filter(account_id=task.account_id, step="submit", attempt_started_at__isnull=True,
                                needs_attention=False).filter(older)
            .exclude(batch__state__in=("paused", "cancelled")).count())  # held batches do not hold others up


def decide(account: VendorAccount, task: Task, now, per_minute: int | None = None) -> SlotDecision:
    """Whether `task` may start its paid call now. Call with the account row locked (lock_account)."""
    limit = max(1, account.concurrency_limit or 1)
    free = limit - in_flight(account.pk, exclude_task_id=task.pk)
    if free <= 0:
        return SlotDecision(False, _jitter(SLOT_WAIT_SECONDS), f"all {limit} concurrent slots are in use")
    ahead = waiting_ahead(task)
    if ahead >= free:
        return SlotDecision(False, _jitter(SLOT_WAIT_SECONDS), f"{ahead} older task(s) go first")
    rate = account.submissions_per_minute or per_minute
    if rate:
        recent = sorted(submitted_in_window(account.pk, now, exclude_task_id=task.pk))
        if len(recent) >= rate:
            # The slot frees when the oldest of the last `rate` submissions leaves the window.
            frees_at = recent[len(recent) - rate] + WINDOW
            wait = max(1.0, (frees_at - now).total_seconds())
            return SlotDecision(False, wait + random.uniform(0, 0.5), f"{rate} submissions per minute reached")
    return SlotDecision(True)


def backoff(attempts: int) -> float:
    """Retry pacing for transient failures: exponential with full jitter (AWS architecture blog, "Exponential
    Backoff And Jitter"), capped by STUDIO_BACKOFF_CAP_SECONDS, never under a second."""
    return max(1.0, random.uniform(0, min(settings.STUDIO_BACKOFF_CAP_SECONDS, 2.0 * 2 ** max(0, attempts))))


def _jitter(seconds: float) -> float:
    return seconds + random.uniform(0, seconds)


def wake_waiting(account_id: int) -> None:
    """A slot freed: make the oldest tasks waiting for one due now (not those told by the vendor to wait longer)."""
    account = VendorAccount.objects.filter(pk=account_id).only("concurrency_limit").first()
    if account is None:
        return
    now = timezone.now()
    soon = now + timedelta(seconds=SLOT_WAIT_SECONDS * 2)
    ids = list(Task.objects.filter(account_id=account_id, step="submit", attempt_started_at__isnull=True,
                                   needs_attention=False, next_run_at__lte=soon)
               .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
               .order_by("created_at", "pk").values_list("pk", flat=True)[:account.concurrency_limit])
    if ids:
        Task.objects.filter(pk__in=ids).update(next_run_at=now)
        for pk in ids:
            jobs.queue_advance_on_commit(pk)
