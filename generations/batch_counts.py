"""Per-batch counters the polling fragments read, so a busy project's progress costs what an idle one's does.

A task sits in exactly one bucket: waiting (not yet sent to the vendor), at the vendor, done, failed or cancelled.
`lifecycle.transition_task` — the one function that moves a task's status — moves the task between buckets in the
same transaction as the status; a new task joins its batch's totals as it is created (and leaves them when deleted); the credit ledger adds what a
vendor charged (and takes away refunds) as entries are written. `recount` rebuilds a batch's counters from its tasks
(the migration's backfill, and a repair tool).
"""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, F, Sum

from .models import Batch, CreditEntry, CreditKind, TaskStatus

S = TaskStatus
CANCELLED_STEP = "cancelled"
_WAITING = {S.TASK_CREATED}
_AT_VENDOR = {S.TASK_SUBMITTED, S.GENERATION_STARTED, S.GENERATION_IN_PROCESS, S.EDITING_SUBMITTED,
              S.EDITING_IN_PROCESS}
_FAILED = {S.GENERATION_FAILED, S.EDITING_FAILED}
BUCKETS = ("tasks_waiting", "tasks_at_vendor", "tasks_done", "tasks_failed", "tasks_cancelled")


def bucket(status: str, step: str) -> str:
    if status in _WAITING:
        return "tasks_waiting"
    if status in _AT_VENDOR:
        return "tasks_at_vendor"
    if status in _FAILED:
        return "tasks_cancelled" if step == CANCELLED_STEP else "tasks_failed"
    return "tasks_done"


def move(batch_id: int | None, before: tuple[str, str], after: tuple[str, str]) -> None:
    """One task of the batch moved from (status, step) `before` to `after`. Call inside the move's transaction."""
    old, new = bucket(*before), bucket(*after)
    if batch_id is None or old == new:
        return
    Batch.objects.filter(pk=batch_id).update(**{old: F(old) - 1, new: F(new) + 1})


def task_added(task) -> None:
    """A task was created in a batch (post_save of Task, on create): one more in total, in its bucket, and its
    estimate; the batch's vendor account is the task's."""
    if not task.batch_id:
        return
    name = bucket(task.status, task.step)
    Batch.objects.filter(pk=task.batch_id).update(
        tasks_total=F("tasks_total") + 1, **{name: F(name) + 1},
        credits_estimated=F("credits_estimated") + Decimal(task.estimated_credits or 0))
    Batch.objects.filter(pk=task.batch_id, account__isnull=True).update(account_id=task.account_id)


def task_removed(task) -> None:
    """A task was deleted (post_delete, e.g. with its SKU): it leaves its batch's counters."""
    if not task.batch_id:
        return
    name = bucket(task.status, task.step)
    Batch.objects.filter(pk=task.batch_id).update(
        tasks_total=F("tasks_total") - 1, **{name: F(name) - 1},
        credits_estimated=F("credits_estimated") - Decimal(task.estimated_credits or 0))


def ledger_entry_written(entry: CreditEntry) -> None:
    """A charge adds to its task's batch, a refund takes away (post_save of CreditEntry, on create only)."""
    sign = {CreditKind.CHARGE: 1, CreditKind.REFUND: -1}.get(entry.kind)
    if not sign or not entry.task_id:
        return
    from .models import Task

    batch_id = Task.objects.filter(pk=entry.task_id).values_list("batch_id", flat=True).first()
    if batch_id:
        Batch.objects.filter(pk=batch_id).update(credits_charged=F("credits_charged") + sign * entry.credits)


def _on_credit_entry_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        ledger_entry_written(instance)


def _on_task_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        task_added(instance)


def _on_task_deleted(sender, instance, **kwargs):
    task_removed(instance)


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from .models import Task

    post_save.connect(_on_credit_entry_saved, sender=CreditEntry, dispatch_uid="batch_counts_ledger")
    post_save.connect(_on_task_saved, sender=Task, dispatch_uid="batch_counts_task_added")
    post_delete.connect(_on_task_deleted, sender=Task, dispatch_uid="batch_counts_task_removed")


def recount(batch: Batch) -> None:
    """Rebuild the counters from the batch's tasks and the ledger (cost grows with the batch: not for polling)."""
    counts = dict.fromkeys(BUCKETS, 0)
    for row in batch.tasks.values("status", "step").annotate(n=Count("pk")):
        counts[bucket(row["status"], row["step"])] += row["n"]
    tasks = batch.tasks.aggregate(n=Count("pk"), estimated=Sum("estimated_credits"))
    ledger = CreditEntry.objects.filter(task__batch=batch)
    charged = (ledger.filter(kind=CreditKind.CHARGE).aggregate(s=Sum("credits"))["s"] or 0) - (
        ledger.filter(kind=CreditKind.REFUND).aggregate(s=Sum("credits"))["s"] or 0)
    account_id = batch.tasks.values_list("account_id", flat=True).first()
    Batch.objects.filter(pk=batch.pk).update(tasks_total=tasks["n"], credits_estimated=tasks["estimated"] or 0,
                                             credits_charged=charged, account_id=account_id, **counts)
