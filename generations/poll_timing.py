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

from .models import Task

_DURATIONS: dict[int, tuple[float, float | None]] = {}
DURATION_TTL, DUE_MARGIN, LATE_RETRY_SHARE = 2.0, 0.05, 0.3
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
    """Seconds until the next poll of `task`."""
    interval, started, took = adapter.poll_interval, started_at(task), typical_duration(task.account_id)
    if took is None or started is None:
        return interval
    until = started + took + DUE_MARGIN - time.time()
    return min(interval, until) if until > 0.01 else max(0.05, interval * LATE_RETRY_SHARE)


def took(task: Task, result) -> dict:
    """{"took": seconds} for vendor_state when `task` is seen finished (nothing when it cannot be told)."""
    started = started_at(task)
    seconds = (result.finished_at or time.time()) - started if started is not None else 0
    return {"took": round(seconds, 3)} if 0 < seconds < 6 * 3600 else {}
