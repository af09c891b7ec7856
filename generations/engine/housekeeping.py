"""Engine housekeeping around runs.py: the sweeper (the safety net that re-queues due or stuck work and wakes
parked tasks), resuming paused accounts, the per-account balance/concurrency refresh, and regenerate.
runs.py re-exports sweep, resume_paused_accounts and regenerate."""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from generations.engine import queue
from generations.engine import limits
from generations.lifecycle import REGENERATE_FROM, set_account_state, transition_task
from generations.models import (AccountState, BatchState, CreditEntry, CreditKind, Decision, ReviewEvent, ReviewStage, Task,
                     TaskStatus, VendorAccount)
from generations.vendors import registry
from generations.vendors.base import ConfigurationError, VendorError

logger = logging.getLogger(__name__)
S = TaskStatus

ACTIVE_STEPS = ("submit", "poll", "collect")
SWEEP_GRACE = timedelta(seconds=5)


def sweep(now=None) -> dict:
    """Re-queue what is due or stuck (lease expired: its worker died), and resume accounts that have credits again.
    Runs every STUDIO_SWEEP_SECONDS from beat ("vendor.sweep")."""
    now = now or timezone.now()
    resumed = resume_paused_accounts(now)
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    due = Q(next_run_at__isnull=True) | Q(next_run_at__lte=now - SWEEP_GRACE) | Q(lease_until__lt=now)
    parked = Q(step="submit", attempt_started_at__isnull=True, vendor_state__has_key="waiting")  # NULL-safe
    active = Task.objects.filter(step__in=ACTIVE_STEPS, needs_attention=False)
    ids = list(active.filter(free, due).exclude(parked)
               .exclude(step="submit", account__state__in=[AccountState.PAUSED, AccountState.DISABLED])
               .exclude(step="submit", attempt_started_at__isnull=True, batch__state=BatchState.PAUSED)
               .order_by("next_run_at", "pk").values_list("pk", flat=True)[:500])
    queued = sum(queue.queue_advance(pk) for pk in ids)
    # Parked tasks wait for a slot: wake as many of the oldest as there are free slots (a lost wake-up, or a
    # slot freed without one), never the whole queue at once.
    for account_id in set(active.filter(parked, account__state=AccountState.ACTIVE)
                          .values_list("account_id", flat=True)):
        with transaction.atomic():
            queued += len(limits.wake_waiting(account_id))
    return {"requeued": queued, "resumed_accounts": resumed, "abandoned_uploads": _expire_abandoned_uploads(now)}


def _expire_abandoned_uploads(now) -> int:
    """Direct-to-S3 zip uploads the browser abandoned (catalog.s3_uploads); nothing to do without S3 storage."""
    from catalog import s3_uploads

    try:
        return s3_uploads.expire_abandoned(now) if s3_uploads.enabled() else 0
    except Exception:  # noqa: BLE001 - storage trouble must not stop the sweep of paid work
        logger.warning("could not expire abandoned uploads", exc_info=True)
        return 0


def refresh_balance(account: VendorAccount, adapter, now=None) -> None:
    """Before generation requests (Huhu 000: "Call /metering/plan before generation requests"): the balance and
    the vendor's concurrency limit, at most once per STUDIO_BALANCE_RECHECK_SECONDS per account across all
    workers (the conditional update on balance_checked_at elects one caller), so it adds no calls per task."""
    if not adapter.balance_before_submit:
        return
    now = now or timezone.now()
    recheck = timedelta(seconds=getattr(settings, "STUDIO_BALANCE_RECHECK_SECONDS", 60))
    elected = VendorAccount.objects.filter(pk=account.pk).filter(
        Q(balance_checked_at__isnull=True) | Q(balance_checked_at__lte=now - recheck)).update(balance_checked_at=now)
    if not elected:
        return
    try:
        balance = adapter.check_balance()
    except (VendorError, ConfigurationError) as exc:  # the paid call itself reports what is wrong
        logger.warning("balance check for account %s failed: %s", account.pk, type(exc).__name__)
        return
    updates = {"credit_balance": balance.credits} if balance.credits is not None else {}
    if balance.concurrency:
        updates["concurrency_limit"] = balance.concurrency
    if updates:
        VendorAccount.objects.filter(pk=account.pk).update(**updates)
        for name, value in updates.items():
            setattr(account, name, value)


def resume_paused_accounts(now=None) -> int:
    """A paused (402) account whose balance shows credits again goes back to active; its queue wakes up.
    Balances are asked at most every STUDIO_BALANCE_RECHECK_SECONDS per account."""
    now = now or timezone.now()
    recheck = timedelta(seconds=getattr(settings, "STUDIO_BALANCE_RECHECK_SECONDS", 60))
    resumed = 0
    paused = VendorAccount.objects.filter(state=AccountState.PAUSED).filter(
        Q(balance_checked_at__isnull=True) | Q(balance_checked_at__lte=now - recheck))
    for account in paused:
        try:
            balance = registry.adapter_for(account).check_balance()
        except (VendorError, ConfigurationError) as exc:
            logger.warning("balance check for account %s failed: %s", account.pk, type(exc).__name__)
            continue
        VendorAccount.objects.filter(pk=account.pk).update(credit_balance=balance.credits, balance_checked_at=now)
        if balance.credits is not None and balance.credits > 0 and set_account_state(account, AccountState.ACTIVE):
            waiting = Task.objects.filter(account=account, step="submit", needs_attention=False)
            waiting.update(next_run_at=now)
            for pk in waiting.order_by("created_at", "pk").values_list("pk", flat=True)[:500]:
                queue.queue_advance(pk)
            resumed += 1
    return resumed


def regenerate(task: Task, user, prompt: str = "") -> Task:
    """A new round on the same task (Huhu adds the new outputs to the task): new attempt key, back to submit."""
    if task.status not in REGENERATE_FROM:
        raise ValueError(f"a task in {task.status!r} cannot be regenerated")
    adapter = registry.adapter_for(task.account)
    fields = dict(round=task.round + 1, attempt_key=uuid.uuid4().hex, attempt_started_at=None, vendor_task_id="",
                  step="submit", attempts=0, next_run_at=timezone.now(), lease_until=None, needs_attention=False,
                  error_message="", vendor_state={}, finished_at=None, prompt=prompt or task.prompt)
    with transaction.atomic():
        transition_task(task, S.TASK_SUBMITTED, **fields)
        ReviewEvent.objects.create(task=task, actor=user, stage=ReviewStage.REVIEW, decision=Decision.REGENERATE,
                                   comment=prompt)
        CreditEntry.objects.create(team_id=task.team_id, account=task.account, task=task, kind=CreditKind.ESTIMATE,
                                   credits=adapter.estimate(task.operation, task.options, task.num_outputs),
                                   operation=task.operation, note=f"round {task.round}")
        queue.queue_advance_on_commit(task.pk)
    return task


# --- Held tasks whose paid call's outcome is unknown (runs.StepRun.hold_unknown) ---------------------------------
class NotHeld(ValueError):
    """The task is not (or no longer) waiting for a person to settle an unknown outcome."""


def resolve_unknown(task: Task, user, decision: str) -> Task:
    """A manager settles a held "outcome unknown" task, after checking the vendor's dashboard:
    - Decision.RESUBMITTED, "It was not charged — submit again": a new attempt (new key) goes to the queue and may
      be charged; the "possibly charged" estimate leaves the ledger, since the person found no charge;
    - Decision.MARKED_FAILED: the task fails; the "possibly charged" entry stays, as that is still what we know.
    Both go into the task's history. A conditional update elects one settler: a double click, a second manager or
    a webhook that settled it first (adopt_lost_submission) leaves NotHeld."""
    held = Task.objects.filter(pk=task.pk, step="hold", needs_attention=True, vendor_task_id="",
                               vendor_state__has_key="outcome_unknown")
    note = (task.vendor_state or {}).get("outcome_unknown") or {}
    with transaction.atomic():
        if decision == Decision.RESUBMITTED:
            state = {k: v for k, v in (task.vendor_state or {}).items()
                     if k not in ("sent", "lost", "attempt_error", "outcome_unknown")}
            moved = held.update(step="submit", needs_attention=False, attempt_key=uuid.uuid4().hex,
                                attempt_started_at=None, attempts=0, next_run_at=timezone.now(), lease_until=None,
                                error_message="", vendor_state=state, updated_at=timezone.now())
            if not moved:
                raise NotHeld("This task is no longer waiting for a decision.")
            CreditEntry.objects.filter(task=task, kind=CreditKind.POSSIBLE).delete()
            comment = f"No charge found at the vendor for the request sent at {note.get('sent_at') or '?'}."
            queue.queue_advance_on_commit(task.pk)
        elif decision == Decision.MARKED_FAILED:
            message = (f"Marked failed by {user}: the outcome of the paid request sent at "
                       f"{note.get('sent_at') or '?'} is unknown; it may have been charged.")
            moved = held.filter(status__in=[S.TASK_CREATED, S.TASK_SUBMITTED]).update(
                step="done", needs_attention=False, updated_at=timezone.now())
            if not moved:
                raise NotHeld("This task is no longer waiting for a decision.")
            task.refresh_from_db()
            transition_task(task, S.GENERATION_FAILED, error_message=message)
            comment = message
        else:
            raise ValueError(f"unknown decision {decision!r}")
        ReviewEvent.objects.create(task=task, actor=user, stage=ReviewStage.ATTENTION, decision=decision,
                                   comment=comment)
    task.refresh_from_db()
    return task


def adopt_lost_submission(account: VendorAccount, attempt_key: str, vendor_task_id: str) -> Task | None:
    """A vendor's webhook names a job and the attempt it was made for (our attempt key rides in the webhook_url we
    sent), for a task that never got that job's id: the paid call's answer was lost. The job exists, so it was
    accepted: the task carries on with it, held or not, and the "possibly charged" estimate becomes a charge of the
    estimate (the vendor's own figure was in the lost answer). Returns the task, or None when no task waits for it."""
    if not attempt_key or not vendor_task_id:
        return None
    candidates = Task.objects.filter(account=account, attempt_key=attempt_key, vendor_task_id="",
                                     attempt_started_at__isnull=False)
    task = candidates.first()
    if task is None or not candidates.filter(pk=task.pk).update(vendor_task_id=vendor_task_id[:200]):
        return None
    task.refresh_from_db()
    if task.step == "hold" and task.outcome_unknown:
        Task.objects.filter(pk=task.pk, step="hold").update(
            step="poll", needs_attention=False, error_message="", next_run_at=timezone.now(), lease_until=None,
            attempts=0, vendor_state={k: v for k, v in task.vendor_state.items() if k != "outcome_unknown"})
        if task.status == S.TASK_CREATED:
            transition_task(task, S.TASK_SUBMITTED)
        possible = CreditEntry.objects.filter(task=task, kind=CreditKind.POSSIBLE)
        for entry in possible:
            CreditEntry.objects.get_or_create(
                account=account, kind=CreditKind.CHARGE, external_id=vendor_task_id[:200],
                defaults={"team_id": task.team_id, "task": task, "credits": entry.credits,
                          "operation": task.operation, "note": "job confirmed by the vendor's webhook; estimate"})
        possible.delete()
        queue.queue_advance_on_commit(task.pk)
        task.refresh_from_db()
    # A task still in its submit step (the answer is being waited for, or a settle look is due) finds the id on its
    # next run (runs.StepRun.step_submit: "the id was saved but the step was not moved on").
    return task
