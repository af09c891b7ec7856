"""When to poll a running job: when it is expected to be done, rather than every poll interval.

The expected duration is the median of how long the account's last jobs took (vendor_state["took"], written when a
job is seen finished: from our submission to the vendor's finish time when it reports one, else to when we saw it),
read at most every DURATION_TTL seconds per process. Until something is known, the vendor's poll interval applies;
a job still running past its expected time is asked about again after LATE_RETRY_SHARE of the interval. Batch
vendors share one answer per account across workers (huhu_catalog.list_tasks_shared spaces the calls), so polling
at the expected time costs no more calls than polling every interval.
"""
from __future__ import annotations

import statistics
import time

from generations.models import Task

_DURATIONS: dict[int, tuple[float, float | None]] = {}
DURATION_TTL, DUE_MARGIN, LATE_RETRY_SHARE = 2.0, 0.05, 0.3
GATHER_OF_DURATION, GATHER_OF_INTERVAL = 0.1, 0.75  # how long a poll may wait for jobs due just after its own
RECENT = 15


def started_at(task: Task) -> float | None:
    started = task.submitted_at or task.attempt_started_at
    return started.timestamp() if started else None


def typical_duration(account_id: int) -> float | None:
    read_at, took = _DURATIONS.get(account_id, (0.0, None))
    if time.monotonic() - read_at > DURATION_TTL:
        recent = [t for t in Task.objects.filter(account_id=account_id, step__in=("collect", "done"),
                                                 vendor_state__has_key="took")
                  .order_by("-updated_at").values_list("vendor_state__took", flat=True)[:RECENT]
                  if isinstance(t, (int, float))]
        took = statistics.median(recent) if recent else None
        _DURATIONS[account_id] = (time.monotonic(), took)
    return took


def delay(adapter, task: Task) -> float:
    """Seconds until the next poll of `task`: never under the vendor's documented minimum gap between two polls of
    one job (adapter.min_poll_gap; Huhu: "every 5-10 seconds, not faster"), late re-polls included."""
    return max(getattr(adapter, "min_poll_gap", 0.0), _delay(adapter, task))


def _delay(adapter, task: Task) -> float:
    interval, started, took = adapter.poll_interval, started_at(task), typical_duration(task.account_id)
    if took is None or started is None:
        return interval
    until = started + took + DUE_MARGIN - time.time()
    # Not capped at the interval: polling a job every interval before it can be done costs calls and finds nothing
    # new, and with a batch vendor every call reports on all the account's jobs, so one that finishes early is seen
    # by the poll of whichever job is due next.
    return until if until > 0.01 else max(0.05, interval * LATE_RETRY_SHARE)


def took(task: Task, result) -> dict:
    """{"took": seconds} for vendor_state when `task` is seen finished (nothing when it cannot be told)."""
    started = started_at(task)
    seconds = (result.finished_at or time.time()) - started if started is not None else 0
    return {"took": round(seconds, 3)} if 0 < seconds < 6 * 3600 else {}


def gather_wait(adapter, task: Task) -> float:
    """Seconds to hold a batch poll (one call reports on every job of the account) so that it also catches the jobs
    expected to finish just after this one: a little of a slot's time instead of a second call a poll gap later, and
    the slots freed together are refilled together, so the next round again finishes close together. The hold ends
    at most a window after this job's own expected finish, however often it is asked."""
    took, started = typical_duration(task.account_id), started_at(task)
    if took is None or started is None:
        return 0.0
    own = started + took
    window = min(took * GATHER_OF_DURATION, adapter.poll_interval * GATHER_OF_INTERVAL)
    others = Task.objects.filter(account_id=task.account_id, step="poll", needs_attention=False).exclude(pk=task.pk)
    latest = own
    for submitted, attempted in others.values_list("submitted_at", "attempt_started_at"):
        begun = submitted or attempted
        if begun is not None and own < begun.timestamp() + took <= own + window:
            latest = max(latest, begun.timestamp() + took)
    if latest == own:  # nobody to wait for
        return 0.0
    wait = latest + DUE_MARGIN - time.time()
    return wait if wait > 0.01 else 0.0
