"""Collections at scale: project budgets, pilots, pause / resume / cancel, retry only the failed, vendor comparisons.

Uwear's collection guide (002, "Generate a Whole Collection in Bulk") is the brief: one job per garment with a
shared configuration, a small pilot reviewed before the rest, and reruns that retry only failed rows. A batch's
state is a compare-and-set column; the engine reads it in the same UPDATE that records a task's attempt key, so a
cancelled task can never be submitted (generations/engine/runs.py), while work already at a vendor always finishes.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Avg, Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from catalog.models import SKU, Project

from generations import engine

from . import batch_counts, lifecycle
from .budget import ZERO, check_budget, committed_credits, spend_by_vendor  # noqa: F401 (the budget API)
from .launch import LaunchError, launch_generation
from .models import Batch, BatchState, Comparison, Task, TaskOutput, TaskStatus

S = TaskStatus
CANCELLED_STEP = "cancelled"


# --- pilots ---------------------------------------------------------------------------------------------------------
def _config(*, account, operation, model_image, pose, style, prompt, num_outputs, options) -> dict:
    return {"account": account.pk, "operation": operation, "model_image": getattr(model_image, "pk", None),
            "pose": getattr(pose, "pk", None), "style": getattr(style, "pk", None), "prompt": prompt,
            "num_outputs": num_outputs, "options": options or {}}


def launch_bulk(*, user, team, skus, account, operation, form_token, pilot_size: int = 0, model_image=None,
                pose=None, style=None, prompt="", num_outputs=1, options=None) -> Batch:
    """One configuration for many SKUs. With `pilot_size`, only the first SKUs run now; the rest wait for
    `launch_rest` once the pilot has been reviewed."""
    skus = sorted(skus, key=lambda s: s.code)
    pilot = pilot_size and 0 < pilot_size < len(skus)
    now_skus = skus[:pilot_size] if pilot else skus
    params = dict(model_image=model_image, pose=pose, style=style, prompt=prompt, num_outputs=num_outputs,
                  options=options)
    batch = launch_generation(user=user, team=team, skus=now_skus, account=account, operation=operation,
                              form_token=form_token, **params)
    config = _config(account=account, operation=operation, **params)
    if pilot:
        config["rest_sku_ids"] = [s.pk for s in skus[pilot_size:]]
    Batch.objects.filter(pk=batch.pk, config={}).update(is_pilot=bool(pilot), config=config)
    batch.refresh_from_db()
    return batch


def launch_rest(pilot: Batch, *, user, team, form_token: str) -> Batch:
    """The rest of a pilot's SKUs, with the pilot's configuration."""
    from catalog.models import ModelImage, Pose, Style

    from .models import VendorAccount

    config = pilot.config
    rest_ids = config.get("rest_sku_ids") or []
    if not pilot.is_pilot or not rest_ids:
        raise LaunchError("This batch has no SKUs left to run.")
    if pilot.rest.exists():
        return pilot.rest.first()
    account = VendorAccount.objects.for_team(team).filter(pk=config["account"]).first()
    if account is None:
        raise LaunchError("The pilot's vendor account is no longer available.")

    def team_object(model, pk):
        return model.objects.for_team(team).filter(pk=pk).first() if pk else None

    batch = launch_generation(
        user=user, team=team, skus=list(SKU.objects.for_team(team).filter(pk__in=rest_ids, archived_at__isnull=True)),
        account=account,
        operation=config["operation"], model_image=team_object(ModelImage, config["model_image"]),
        pose=team_object(Pose, config["pose"]), style=team_object(Style, config["style"]), prompt=config["prompt"],
        num_outputs=config["num_outputs"], options=config["options"], form_token=form_token)
    Batch.objects.filter(pk=batch.pk).update(pilot_of=pilot, config={k: v for k, v in config.items()
                                                                      if k != "rest_sku_ids"})
    batch.refresh_from_db()
    return batch


# --- pause, resume, cancel, retry ------------------------------------------------------------------------------------
def _set_state(batch: Batch, target: str, allowed_from: set[str]) -> bool:
    moved = Batch.objects.filter(pk=batch.pk, state__in=allowed_from).update(state=target)
    batch.refresh_from_db(fields=["state"])
    return bool(moved)


def unsubmitted(batch: Batch):
    """Tasks no worker has started paying for: still "Task created" with no attempt key recorded."""
    return batch.tasks.filter(status=S.TASK_CREATED, attempt_key="")


def pause(batch: Batch) -> bool:
    return _set_state(batch, BatchState.PAUSED, {BatchState.RUNNING})


def resume(batch: Batch) -> bool:
    if not _set_state(batch, BatchState.RUNNING, {BatchState.PAUSED}):
        return False
    waiting = list(unsubmitted(batch).order_by("created_at", "pk").values_list("account_id", "pk"))
    for account_id in {account for account, _ in waiting}:
        engine.start(account_id, [pk for account, pk in waiting if account == account_id])
    return True


def cancel(batch: Batch) -> int:
    """Stop submissions; keep what finished and what is already at a vendor. Returns how many tasks were stopped."""
    _set_state(batch, BatchState.CANCELLED, {BatchState.RUNNING, BatchState.PAUSED})
    stopped = 0
    for task in unsubmitted(batch):
        with transaction.atomic():
            # The attempt-key condition is the same one the engine's claim checks: exactly one of us wins.
            if Task.objects.filter(pk=task.pk, status=S.TASK_CREATED, attempt_key="").update(step=CANCELLED_STEP):
                lifecycle.transition_task(task, S.GENERATION_FAILED, error_message="Cancelled before submission.",
                                          step=CANCELLED_STEP)
                stopped += 1
    return stopped


def retry_failed(batch: Batch, user) -> int:
    """Run again only the tasks that failed (not the cancelled ones), as new rounds of the same tasks."""

    retried = 0
    for task in batch.tasks.filter(status=S.GENERATION_FAILED).exclude(step=CANCELLED_STEP):
        engine.regenerate(task, user, task.prompt)
        retried += 1
    return retried


@dataclass
class BatchProgress:
    total: int
    done: int
    failed: int
    running: int  # waiting + at the vendor, less those held for a person
    cancelled: int
    attention: int = 0  # held for a person (an unknown outcome, …): not running, not finished
    waiting: int = 0  # not yet sent to the vendor (a paused batch keeps them here)
    at_vendor: int = 0  # sent: the vendor finishes them whatever the batch's state

    @property
    def percent(self) -> int:
        return int(100 * (self.done + self.failed + self.cancelled) / self.total) if self.total else 0


def progress(batch: Batch) -> BatchProgress:
    """From the batch's counters (batch_counts), plus the few tasks held for a person (a partial index finds them):
    the cost does not grow with the number of tasks."""
    batch.refresh_from_db(fields=["state", *batch_counts.BUCKETS, "tasks_total"])
    held = batch.tasks.filter(needs_attention=True, status__in=lifecycle.IN_FLIGHT | {S.TASK_CREATED})
    held_waiting = held_at_vendor = 0
    for status in held.values_list("status", flat=True):
        if status == S.TASK_CREATED:
            held_waiting += 1
        else:
            held_at_vendor += 1
    waiting, at_vendor = batch.tasks_waiting - held_waiting, batch.tasks_at_vendor - held_at_vendor
    return BatchProgress(batch.tasks_total, batch.tasks_done, batch.tasks_failed, waiting + at_vendor,
                         batch.tasks_cancelled, held_waiting + held_at_vendor, waiting, at_vendor)


def keeps_moving(batch: Batch, progress: BatchProgress) -> bool:
    """Whether the panel should keep polling: work at the vendor always finishes, even in a paused or cancelled
    batch; waiting tasks move only while the batch runs (or when a worker already started paying for one)."""
    if progress.at_vendor:
        return True
    if progress.waiting and batch.state == BatchState.RUNNING:
        return True
    return bool(progress.waiting) and batch.tasks.filter(status=S.TASK_CREATED, needs_attention=False).exclude(
        attempt_key="").exists()


# --- vendor comparisons ----------------------------------------------------------------------------------------------
def launch_comparison(*, user, team, sku, accounts, form_token, model_image=None, pose=None, prompt="",
                      num_outputs=1, operation="try_on") -> Comparison:
    """The same SKU, model image and pose on two or more vendor accounts in one action (one batch each)."""
    accounts = list(accounts)
    if len({a.pk for a in accounts}) < 2:
        raise LaunchError("Choose at least two vendor accounts to compare.")
    first = Batch.objects.filter(form_token=f"{form_token}:{accounts[0].pk}", comparison__isnull=False).first()
    if first is not None:
        return first.comparison  # a double click: the same comparison
    with transaction.atomic():
        comparison = Comparison.objects.create(project=sku.project, created_by=user, label=f"{sku.code} · "
                                               + " vs ".join(a.name for a in accounts))
        for account in accounts:
            batch = launch_generation(user=user, team=team, skus=[sku], account=account, operation=operation,
                                      model_image=model_image, pose=pose, prompt=prompt, num_outputs=num_outputs,
                                      form_token=f"{form_token}:{account.pk}")
            Batch.objects.filter(pk=batch.pk).update(comparison=comparison)
    return comparison


def comparison_tasks(comparison: Comparison):
    return (Task.objects.filter(batch__comparison=comparison)
            .select_related("account", "sku").prefetch_related("outputs").order_by("account__name"))


def mark_winner(comparison: Comparison, task: Task, user) -> None:
    if not Task.objects.filter(pk=task.pk, batch__comparison=comparison).exists():
        raise LaunchError("That task is not part of this comparison.")
    if not TaskOutput.objects.filter(task_id=task.pk).exists():  # not task.outputs: it may be prefetched
        raise LaunchError(f"{task.account.name} has no outputs, so it cannot win.")
    Comparison.objects.filter(pk=comparison.pk).update(winner=task, decided_by=user, decided_at=timezone.now())
    comparison.refresh_from_db()


@dataclass
class VendorScore:
    vendor: str
    account: str
    runs: int
    wins: int
    credits: Decimal
    mean_seconds: float | None


def scoreboard(project: Project) -> list[VendorScore]:
    """Per vendor account over the project's comparisons: runs, wins, credits spent, mean time to finish."""
    duration = ExpressionWrapper(F("finished_at") - F("submitted_at"), output_field=DurationField())
    rows = (Task.objects.filter(batch__comparison__project=project).values("account_id", "account__vendor",
                                                                             "account__name")
            .annotate(runs=Count("pk"), credits=Coalesce(Sum(Greatest("charged_credits", "estimated_credits")), ZERO),
                      mean=Avg(duration))
            .order_by("account__name"))
    # Only a column with outputs can win (a winner recorded on an empty one is not credited).
    has_outputs = Exists(TaskOutput.objects.filter(task=OuterRef("winner")))
    wins = dict(Comparison.objects.filter(has_outputs, project=project, winner__isnull=False)
                .values("winner__account_id")
                .annotate(n=Count("pk")).values_list("winner__account_id", "n"))
    return [VendorScore(r["account__vendor"], r["account__name"], r["runs"], wins.get(r["account_id"], 0),
                        r["credits"], r["mean"].total_seconds() if r["mean"] else None) for r in rows]
