"""Per-account concurrency and submission rate, held across every worker process.

Celery's rate_limit is per worker (RELIABILITY.md), so the truth is the database: the caller locks the
VendorAccount row (select_for_update; on SQLite the IMMEDIATE transaction already serialises writers), counts what
is in flight and what was submitted in the last minute, and — in the same transaction — records its attempt. Two
workers racing for the last slot are serialised by the lock; the second sees the first's attempt and waits.

In flight = tasks of the account in step poll, plus tasks in step submit whose attempt has started (the paid call is
under way, or its outcome is unknown after a crash). A task in step collect is not: the vendor reported its job
finished (Huhu's concurrent_requests counts running generations), so its slot is free while we copy its outputs.

Waiting tasks go oldest first, and they wait WITHOUT a broker message: a task refused a slot is parked (marked
vendor_state["waiting"] = "slot", next_run_at far ahead) and woken by wake_waiting() when a slot frees — as many of
the oldest as there are free slots — or by the sweeper (runs.sweep), which calls wake_waiting() as a safety net.
Short re-checks every few seconds from every waiting task would fill the worker pool and starve the polls.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from generations.engine import queue
from generations.models import Task, VendorAccount

WINDOW = timedelta(seconds=60)
PARK_SECONDS = 300.0  # a parked task's next_run_at: only a safety net, wake_waiting() makes it due much sooner
WAKE_GRACE = timedelta(seconds=10)  # a woken task whose job has not run after this is woken again (lost message)
WAITING = "slot"  # vendor_state["waiting"] of a parked task


@dataclass(frozen=True)
class SlotDecision:
    granted: bool
    wait_seconds: float = 0.0
    reason: str = ""
    parked: bool = False  # waiting for a slot: no broker message, wake_waiting() makes it due


def lock_account(account_id: int) -> VendorAccount:
    """Call inside transaction.atomic(): the row lock every slot decision for this account queues behind."""
    return VendorAccount.objects.select_for_update().get(pk=account_id)


def slots(vendor_state) -> int:
    """The vendor jobs one task runs at once: vendor_state["slots"] when its adapter says so (a Huhu try-on with a
    front and a back view is two generation jobs, and concurrent_requests counts jobs), else 1."""
    value = vendor_state.get("slots") if isinstance(vendor_state, dict) else vendor_state
    return value if isinstance(value, int) and value > 0 else 1


def in_flight(account_id: int, exclude_task_id: int | None = None) -> int:
    """Vendor jobs in flight (the sum of the in-flight tasks' slots)."""
    active = Q(step="poll") | Q(step="submit", attempt_started_at__isnull=False)
    return sum(slots(s) for s in Task.objects.filter(account_id=account_id, needs_attention=False).filter(active)
               .exclude(pk=exclude_task_id).values_list("vendor_state__slots", flat=True))


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
    if free < min(limit, slots(task.vendor_state)):
        return SlotDecision(False, PARK_SECONDS, f"all {limit} concurrent slots are in use", parked=True)
    ahead = waiting_ahead(task)
    if ahead >= free:
        return SlotDecision(False, PARK_SECONDS, f"{ahead} older task(s) go first", parked=True)
    rate = account.submissions_per_minute or per_minute
    if rate:
        recent = sorted(submitted_in_window(account.pk, now, exclude_task_id=task.pk))
        if len(recent) >= rate:
            # The slot frees when the oldest of the last `rate` submissions leaves the window.
            frees_at = recent[len(recent) - rate] + WINDOW
            wait = max(1.0, (frees_at - now).total_seconds())
            return SlotDecision(False, wait + random.uniform(0, 0.5), f"{rate} submissions per minute reached")
    return SlotDecision(True)


def precheck(account: VendorAccount, task: Task) -> SlotDecision:
    """decide()'s slot part without the lock, as a cheap first look: parked when clearly no slot is ours now."""
    limit = max(1, account.concurrency_limit or 1)
    free = limit - in_flight(account.pk, exclude_task_id=task.pk)
    if free < min(limit, slots(task.vendor_state)) or waiting_ahead(task) >= free:
        return SlotDecision(False, PARK_SECONDS, "no free slot", parked=True)
    return SlotDecision(True)


def backoff(attempts: int) -> float:
    """Retry pacing for transient failures: exponential with full jitter (AWS architecture blog, "Exponential
    Backoff And Jitter"), capped by STUDIO_BACKOFF_CAP_SECONDS, never under a second."""
    return max(1.0, random.uniform(0, min(settings.STUDIO_BACKOFF_CAP_SECONDS, 2.0 * 2 ** max(0, attempts))))


def _waiting(account_id: int):
    """Tasks of the account that wait for a slot (no attempt started), except those of held batches."""
    return (Task.objects.filter(account_id=account_id, step="submit", attempt_started_at__isnull=True,
                                needs_attention=False).exclude(batch__state__in=("paused", "cancelled")))


def admit(account_id: int, task_ids: list[int]) -> list[int]:
    """First runs of tasks that want a slot (a launch, a resumed batch): park them all, then wake as many of the
    account's oldest waiting tasks as there are free slots. A launch of hundreds thus puts about `limit` messages on
    the broker, not hundreds of jobs that would each only find out that they must wait — on two cores those crowd out
    the polls that free the slots. Call inside the launching transaction (the wake-ups are queued on commit).
    Returns the ids woken."""
    if task_ids:
        park = {"next_run_at": timezone.now() + timedelta(seconds=PARK_SECONDS), "lease_until": None}
        unstarted = Task.objects.filter(pk__in=task_ids, step="submit", attempt_started_at__isnull=True)
        unstarted.filter(vendor_state={}).update(vendor_state={"waiting": WAITING}, **park)
        for task in unstarted.exclude(vendor_state={}).only("pk", "vendor_state"):  # keep what the row knows
            Task.objects.filter(pk=task.pk).update(vendor_state={**task.vendor_state, "waiting": WAITING}, **park)
    return wake_waiting(account_id)


def wake_waiting(account_id: int) -> list[int]:
    """A slot may have freed: make as many of the oldest parked tasks due now as there are free slots, and queue
    them (after the surrounding transaction commits). Tasks already on their way (woken within WAKE_GRACE, or
    never run yet) take a free slot each; tasks told by the vendor to wait longer (429) are not parked and not woken.
    Waking too many is harmless (decide() under the row lock is the truth, and re-parks the extra ones); waking too
    few only delays: the parked task wakes itself once after parking, and the sweeper calls this too.
    Returns the ids woken."""
    account = VendorAccount.objects.filter(pk=account_id).only("concurrency_limit").first()
    if account is None:
        return []
    now = timezone.now()
    free = max(1, account.concurrency_limit or 1) - in_flight(account_id)
    if free <= 0:
        return []
    waiting = _waiting(account_id)
    on_the_way = waiting.filter(Q(next_run_at__isnull=True) | Q(next_run_at__gt=now - WAKE_GRACE,
                                                                 next_run_at__lte=now + timedelta(seconds=1)))
    wanted = free - on_the_way.count()
    if wanted <= 0:
        return []
    ids = list(waiting.filter(vendor_state__waiting=WAITING).exclude(pk__in=on_the_way.values("pk"))
               .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
               .order_by("created_at", "pk").values_list("pk", flat=True)[:wanted])
    if ids:
        Task.objects.filter(pk__in=ids).update(next_run_at=now)
        for pk in ids:
            queue.queue_advance_on_commit(pk)
    return ids
