"""Every status change goes through here.

- Task.status: Huhu's lifecycle (001 §5.18). Moves are compare-and-set updates, so two workers (or a webhook and
  a poll) racing to move the same task cannot both win, and a late or duplicated vendor event can never move a
  task backwards.
- TaskOutput.review_status: the review and client stages, per output.
- SKU and Project statuses are never set by hand: `rollup_sku` derives them from the tasks.
- VendorAccount.state: active / paused (402) / disabled (401, 403).
"""
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from catalog.models import SKU, Project, ProjectStatus, SKUStatus

from . import announce, batch_counts
from .models import AccountState, Task, TaskOutput, TaskStatus, VendorAccount

S = TaskStatus


class IllegalTransition(Exception):
    def __init__(self, kind: str, current: str, target: str):
        super().__init__(f"{kind} cannot move from {current!r} to {target!r}")
        self.current, self.target = current, target


class LostRace(Exception):
    """The row changed under us: another worker or event moved it first. The caller re-reads and carries on."""


_GENERATING = {S.TASK_SUBMITTED, S.GENERATION_STARTED, S.GENERATION_IN_PROCESS}
_REVIEW = {S.REVIEW_SUBMITTED, S.REVIEW_IN_PROCESS, S.REVIEW_APPROVED, S.REVIEW_REJECTED}
# A regenerate (new round, same task: Huhu adds the new outputs to the task) is allowed from these.
REGENERATE_FROM = {S.GENERATION_FAILED, S.EDITING_FAILED, S.REVIEW_REJECTED, S.CLIENT_REJECTED}

TASK_TRANSITIONS: dict[str, set[str]] = {
    S.TASK_CREATED: {S.TASK_SUBMITTED, S.GENERATION_FAILED},
    S.TASK_SUBMITTED: {S.GENERATION_STARTED, S.GENERATION_IN_PROCESS, S.GENERATION_COMPLETED, S.GENERATION_FAILED},
    S.GENERATION_STARTED: {S.GENERATION_IN_PROCESS, S.GENERATION_COMPLETED, S.GENERATION_FAILED},
    S.GENERATION_IN_PROCESS: {S.GENERATION_COMPLETED, S.GENERATION_FAILED},
    S.GENERATION_COMPLETED: {S.REVIEW_SUBMITTED, S.EDITING_SUBMITTED},
    S.GENERATION_FAILED: {S.TASK_SUBMITTED},
    S.EDITING_SUBMITTED: {S.EDITING_IN_PROCESS, S.EDITING_COMPLETED, S.EDITING_FAILED},
    S.EDITING_IN_PROCESS: {S.EDITING_COMPLETED, S.EDITING_FAILED},
    S.EDITING_COMPLETED: {S.REVIEW_SUBMITTED},
    S.EDITING_FAILED: {S.EDITING_SUBMITTED, S.TASK_SUBMITTED},
    # Within the review stage the task status follows its outputs' decisions (see review_status_for_task),
    # which a manager may revise until the client has decided.
    S.REVIEW_SUBMITTED: {S.REVIEW_IN_PROCESS, S.REVIEW_APPROVED, S.REVIEW_REJECTED},
    S.REVIEW_IN_PROCESS: {S.REVIEW_SUBMITTED, S.REVIEW_APPROVED, S.REVIEW_REJECTED},
    S.REVIEW_APPROVED: {S.REVIEW_IN_PROCESS, S.REVIEW_REJECTED, S.CLIENT_APPROVED, S.CLIENT_REJECTED},
    S.REVIEW_REJECTED: {S.REVIEW_IN_PROCESS, S.REVIEW_APPROVED, S.TASK_SUBMITTED},
    S.CLIENT_APPROVED: set(),
    S.CLIENT_REJECTED: {S.TASK_SUBMITTED},
}

OUTPUT_TRANSITIONS: dict[str, set[str]] = {
    S.REVIEW_SUBMITTED: {S.REVIEW_APPROVED, S.REVIEW_REJECTED},
    S.REVIEW_APPROVED: {S.REVIEW_REJECTED, S.CLIENT_APPROVED, S.CLIENT_REJECTED},
    S.REVIEW_REJECTED: {S.REVIEW_APPROVED},
    S.CLIENT_APPROVED: set(),
    S.CLIENT_REJECTED: set(),
}

ACCOUNT_TRANSITIONS: dict[str, set[str]] = {
    AccountState.ACTIVE: {AccountState.PAUSED, AccountState.DISABLED},
    AccountState.PAUSED: {AccountState.ACTIVE, AccountState.DISABLED},
    AccountState.DISABLED: {AccountState.ACTIVE},
}

IN_FLIGHT = _GENERATING | {S.EDITING_SUBMITTED, S.EDITING_IN_PROCESS}
TERMINAL = {S.CLIENT_APPROVED}
FAILED = {S.GENERATION_FAILED, S.EDITING_FAILED}


def can_move(table: dict[str, set[str]], current: str, target: str) -> bool:
    return target in table.get(current, set())


def transition_task(task: Task, target: str, **fields) -> Task:
    """Move `task` to `target` if the table allows it from the status we last read; compare-and-set on that status.

    Raises IllegalTransition for a move the lifecycle forbids and LostRace if the row moved since we read it.
    `fields` are written in the same UPDATE (vendor ids, error message, timestamps).
    """
    if not can_move(TASK_TRANSITIONS, task.status, target):
        raise IllegalTransition("Task", task.status, target)
    now = timezone.now()
    if target in FAILED | {S.GENERATION_COMPLETED, S.EDITING_COMPLETED}:
        fields.setdefault("finished_at", now)
    if target == S.TASK_SUBMITTED:
        fields.setdefault("submitted_at", now)
    with transaction.atomic():
        changed = Task.objects.filter(pk=task.pk, status=task.status).update(status=target, updated_at=now, **fields)
        if not changed:
            raise LostRace(f"task {task.pk} is no longer {task.status!r}")
        previous = task.status
        batch_counts.move(task.batch_id, (task.status, task.step), (target, fields.get("step", task.step)))
        task.status = target
        for name, value in fields.items():
            setattr(task, name, value)
        rollup_sku(task.sku_id)
        if task.batch_id and target in FAILED | {S.GENERATION_COMPLETED, S.EDITING_COMPLETED, S.REVIEW_SUBMITTED}:
            from .review_notices import when_batch_finishes

            when_batch_finishes(task.batch_id)  # managers hear when the whole batch waits for review
        announce.task_moved(task, previous, target)  # webhooks, after commit
    return task


# Declaration order of TaskStatus is the documented lifecycle order (001 §5.18 "Task status values (in order)").
_RANK = {status: rank for rank, status in enumerate(S.values)}


def advance_task(task: Task, target: str, **fields) -> bool:
    """Like transition_task, for statuses a vendor reports (poll or webhook): an out-of-order, repeated or backward
    status is ignored, so statuses only ever move forward — a vendor event can never cause a resubmission, which
    only an explicit regenerate (transition_task) may do. Returns whether the task moved."""
    if _RANK[target] <= _RANK[task.status]:
        return False
    try:
        transition_task(task, target, **fields)
    except (IllegalTransition, LostRace):
        task.refresh_from_db(fields=["status"])
        return False
    return True


def transition_output(output: TaskOutput, target: str) -> TaskOutput:
    if not can_move(OUTPUT_TRANSITIONS, output.review_status, target):
        raise IllegalTransition("Output", output.review_status, target)
    changed = TaskOutput.objects.filter(pk=output.pk, review_status=output.review_status).update(review_status=target)
    if not changed:
        raise LostRace(f"output {output.pk} is no longer {output.review_status!r}")
    output.review_status = target
    announce.output_moved(output, target)
    return output


def review_status_for_task(output_statuses: Iterable[str]) -> str | None:
    """The task status its outputs' decisions imply, or None while there is nothing to review."""
    statuses = list(output_statuses)
    if not statuses:
        return None
    client_decided = [s for s in statuses if s in {S.CLIENT_APPROVED, S.CLIENT_REJECTED}]
    approved = [s for s in statuses if s == S.REVIEW_APPROVED]
    if client_decided and not approved:
        return S.CLIENT_APPROVED if S.CLIENT_APPROVED in client_decided else S.CLIENT_REJECTED
    if S.REVIEW_SUBMITTED in statuses:
        return S.REVIEW_IN_PROCESS if len(set(statuses)) > 1 else S.REVIEW_SUBMITTED
    if approved or client_decided:
        return S.REVIEW_APPROVED
    return S.REVIEW_REJECTED


def sync_task_review_status(task: Task) -> Task:
    """After a review decision on one output, move the task to what its outputs now imply. Only the latest round
    counts: a regenerate starts a new round, and the earlier round's rejections are history, not pending work."""
    latest = task.outputs.filter(flagged=False).order_by("-round").values_list("round", flat=True).first()
    statuses = task.outputs.filter(flagged=False, round=latest).values_list("review_status", flat=True)
    target = review_status_for_task(statuses)
    if target and target != task.status:
        transition_task(task, target)
    return task


# --- Roll-up ----------------------------------------------------------------------------------------------------
_SKU_GENERATED = {S.GENERATION_COMPLETED, S.EDITING_COMPLETED}
_SKU_REVIEWING = {S.REVIEW_SUBMITTED, S.REVIEW_IN_PROCESS, S.REVIEW_APPROVED}


def sku_status_for(task_statuses: Iterable[str]) -> str:
    statuses = set(task_statuses)
    if not statuses:
        return SKUStatus.CREATED
    if statuses & (IN_FLIGHT | {S.TASK_CREATED}):
        return SKUStatus.IN_PROCESS
    if statuses & _SKU_GENERATED:
        return SKUStatus.GENERATED
    if statuses & _SKU_REVIEWING:
        return SKUStatus.REVIEWING_PENDING
    if S.CLIENT_APPROVED in statuses:
        return SKUStatus.COMPLETED
    # Everything failed or was rejected: the SKU still needs work.
    return SKUStatus.IN_PROCESS


def project_status_for(current: str, sku_statuses: Iterable[str]) -> str:
    statuses = list(sku_statuses)
    if current == ProjectStatus.CREATING:
        return current  # an import is still running; finish_project_import ends it
    if not statuses or all(s == SKUStatus.CREATED for s in statuses):
        return ProjectStatus.CREATED
    if all(s == SKUStatus.COMPLETED for s in statuses):
        return ProjectStatus.COMPLETED
    return ProjectStatus.IN_PROCESS


def rollup_sku(sku_id: int) -> None:
    """Derive the SKU's status from its tasks, then its project's from its SKUs. The one place they change."""
    statuses = Task.objects.filter(sku_id=sku_id).values_list("status", flat=True)
    new_status = sku_status_for(statuses)
    SKU.objects.filter(pk=sku_id).exclude(status=new_status).update(status=new_status, updated_at=timezone.now())
    project_id = SKU.objects.filter(pk=sku_id).values_list("project_id", flat=True).first()
    if project_id:
        rollup_project(project_id)


def rollup_project(project_id: int) -> None:
    current = Project.objects.filter(pk=project_id).values_list("status", flat=True).first()
    if current is None:
        return
    new_status = project_status_for(current, SKU.objects.filter(project_id=project_id).values_list("status", flat=True))
    if new_status != current:
        Project.objects.filter(pk=project_id, status=current).update(status=new_status, updated_at=timezone.now())


def finish_project_import(project: Project) -> None:
    """Creating → Created once an import has finished (Huhu: the complete upload 'Updates project status from
    Creating to Created')."""
    Project.objects.filter(pk=project.pk, status=ProjectStatus.CREATING).update(status=ProjectStatus.CREATED)
    rollup_project(project.pk)
    project.refresh_from_db(fields=["status"])


def set_account_state(account: VendorAccount, target: str, message: str = "") -> bool:
    """Pause on 402, disable on 401/403, reactivate when credits or a new key arrive. Returns whether it moved.
    The message usually quotes the vendor: the account's own key and secret are removed before it is stored."""
    message = account.scrub(message) if message else message
    if account.state == target:
        if message and account.state_message != message:
            VendorAccount.objects.filter(pk=account.pk).update(state_message=message)
            account.state_message = message
        return False
    if not can_move(ACCOUNT_TRANSITIONS, account.state, target):
        raise IllegalTransition("VendorAccount", account.state, target)
    changed = VendorAccount.objects.filter(pk=account.pk, state=account.state).update(
        state=target, state_message=message, updated_at=timezone.now()
    )
    if changed:
        account.state, account.state_message = target, message
        _audit_account_state(account, target)
        announce.account_moved(account, target)
    return bool(changed)


def _audit_account_state(account: VendorAccount, target: str) -> None:
    """Account disabled / paused / resumed, into the team's audit log (studio.audit)."""
    from studio import audit

    action = {AccountState.DISABLED: audit.AuditAction.ACCOUNT_DISABLED,
              AccountState.PAUSED: audit.AuditAction.ACCOUNT_PAUSED,
              AccountState.ACTIVE: audit.AuditAction.ACCOUNT_RESUMED}.get(target)
    if action:
        audit.record(account.team, None, action, f"{account.name} (account {account.pk})")
