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

from . import jobs, limits
from .lifecycle import REGENERATE_FROM, set_account_state, transition_task
from .models import (AccountState, BatchState, CreditEntry, CreditKind, Decision, ReviewEvent, ReviewStage, Task,
                     TaskStatus, VendorAccount)
from .vendors import registry
from .vendors.base import ConfigurationError, VendorError

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
    queued = sum(jobs.queue_advance(pk) for pk in ids)
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
                jobs.queue_advance(pk)
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
        jobs.queue_advance_on_commit(task.pk)
    return task
