"""Starting generations: the one service the pages call.

`launch_generation` validates against the vendor's capability table, creates one Task per SKU with its estimate
in the credit ledger, and queues the engine once the transaction commits. It is idempotent on the form token: a
double click, a second tab or two concurrent requests with the same token land on the same Batch (the unique
constraint on Batch.form_token decides, not a check-then-act).
"""
from __future__ import annotations

import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import SKU

from generations import engine
from .budget import OverBudget, check_budget
from .lifecycle import rollup_sku
from .models import AccountState, Batch, CreditEntry, CreditKind, Operation, Task
from .vendors import registry
from .vendors.base import ConfigurationError, VendorError


class LaunchError(ValueError):
    """Why a launch was refused, in words for the person who clicked."""


class OverBudgetLaunch(LaunchError):
    """Refused because the project's budget would be exceeded (announced as budget.reached)."""


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


def _adapter(account):
    try:
        return registry.adapter_for(account)
    except ConfigurationError as exc:
        raise LaunchError(str(exc)) from None


def clean_request(account, operation: str, options: dict | None, num_outputs: int) -> dict:
    """The options the vendor's capability table accepts, cleaned; LaunchError with the reason otherwise."""
    adapter = _adapter(account)
    try:
        return adapter.capabilities.clean(operation, options or {}, num_outputs)
    except VendorError as exc:
        raise LaunchError(exc.args[0]) from None


def estimate_launch(account, operation: str, options: dict | None, num_outputs: int, sku_count: int) -> Decimal:
    adapter = _adapter(account)
    cleaned = clean_request(account, operation, options, num_outputs)
    try:
        per_task = adapter.estimate(operation, cleaned, num_outputs)
    except VendorError as exc:
        raise LaunchError(exc.args[0]) from None
    return Decimal(per_task) * sku_count


def _check_inputs(*, team, account, spec, skus, model_image, pose, style, prompt, parent_output, garment_images):
    if account.team_id != team.pk:
        raise LaunchError("That vendor account does not belong to your team.")
    if account.state == AccountState.DISABLED:
        raise LaunchError(f"The {account.name} account is disabled: {account.state_message or 'its key was rejected'}")
    if not skus:
        raise LaunchError("Choose at least one SKU.")
    visible = set(SKU.objects.for_team(team).filter(pk__in=[s.pk for s in skus]).values_list("pk", flat=True))
    if len(visible) != len({s.pk for s in skus}):
        raise LaunchError("One of the SKUs is not in your team's programs.")
    if len({s.project_id for s in skus}) != 1:
        raise LaunchError("Launch SKUs of one project at a time.")
    if spec.needs_model_image and model_image is None:
        raise LaunchError("Choose a model image.")
    if pose is not None and not spec.accepts_pose:
        raise LaunchError("This vendor does not take a pose for this operation.")
    if prompt and not spec.accepts_prompt:
        raise LaunchError("This vendor does not take a prompt for this operation.")
    if spec.needs_parent_output and parent_output is None:
        raise LaunchError("Choose the output to start from.")
    if spec.needs_garment and not garment_images:
        for sku in skus:
            if not sku.garment_images.exists():
                raise LaunchError(f"SKU {sku.code} has no garment image yet.")
    _check_same_team(team, model_image=model_image, pose=pose, style=style, parent_output=parent_output,
                     garment_images=garment_images)


def _check_same_team(team, **objects):
    """Every referenced object must be visible to the team (another team's ids in a form are refused)."""
    from catalog.models import GarmentImage, ModelImage, Pose, Style

    from .models import TaskOutput

    managers = {"model_image": ModelImage, "pose": Pose, "style": Style, "parent_output": TaskOutput}
    for name, model in managers.items():
        obj = objects.get(name)
        if obj is not None and not _visible(model, team, obj.pk):
            raise LaunchError(f"That {name.replace('_', ' ')} is not available to your team.")
    for image in objects.get("garment_images") or []:
        if not _visible(GarmentImage, team, image.pk):
            raise LaunchError("One of the garment images is not available to your team.")


def _visible(model, team, pk) -> bool:
    manager = model.objects
    return manager.for_team(team).filter(pk=pk).exists() if hasattr(manager, "for_team") else True


def launch_generation(*, user, team, skus, account, operation, model_image=None, pose=None, style=None, prompt="",
                      num_outputs=1, options=None, form_token, parent_output=None, garment_images=None) -> Batch:
    if not form_token:
        raise LaunchError("The form expired; reload the page and try again.")
    existing = Batch.objects.filter(form_token=form_token).select_related("project__program").first()
    if existing is not None:
        return _same_team_batch(existing, team)
    skus = list(skus)
    adapter = _adapter(account)
    try:
        spec = adapter.capabilities.spec(operation)
    except VendorError as exc:
        raise LaunchError(exc.args[0]) from None
    cleaned = clean_request(account, operation, options, num_outputs)
    garment_images = list(garment_images) if garment_images is not None else None
    _check_inputs(team=team, account=account, spec=spec, skus=skus, model_image=model_image, pose=pose, style=style,
                  prompt=prompt, parent_output=parent_output, garment_images=garment_images)
    estimate = adapter.estimate(operation, cleaned, num_outputs)
    try:
        return _create_batch(user=user, team=team, skus=skus, account=account, operation=operation,
                             model_image=model_image, pose=pose, style=style, prompt=prompt, num_outputs=num_outputs,
                             cleaned=cleaned, form_token=form_token, parent_output=parent_output,
                             garment_images=garment_images, estimate=estimate)
    except OverBudgetLaunch as exc:
        from .announce import budget_reached

        budget_reached(skus[0].project, team.pk, str(exc))  # after the rollback: webhooks (issue 18)
        raise


def _create_batch(*, user, team, skus, account, operation, model_image, pose, style, prompt, num_outputs, cleaned,
                  form_token, parent_output, garment_images, estimate) -> Batch:
    with transaction.atomic():
        try:
            check_budget(skus[0].project, Decimal(estimate) * len(skus))  # locks the project row until commit
        except OverBudget as exc:
            raise OverBudgetLaunch(str(exc)) from None
        try:
            with transaction.atomic():
                batch = Batch.objects.create(project_id=skus[0].project_id, created_by=user, form_token=form_token,
                                             label=_label(operation, skus))
        except IntegrityError:
            return _same_team_batch(Batch.objects.get(form_token=form_token), team)
        created = []
        for sku in skus:
            task = Task.objects.create(
                team=team, sku=sku, batch=batch, account=account, operation=operation, model_image=model_image,
                pose=pose, style=style or sku.style, prompt=prompt, num_outputs=num_outputs, options=cleaned,
                parent_output=parent_output, estimated_credits=estimate, created_by=user, next_run_at=timezone.now())
            task.garment_images.set(garment_images if garment_images is not None else sku.garment_images.all())
            CreditEntry.objects.create(team=team, account=account, task=task, kind=CreditKind.ESTIMATE,
                                       credits=estimate, operation=operation, note=f"batch {batch.pk}")
            rollup_sku(sku.pk)
            created.append(task.pk)
        engine.start(account.pk, created)  # queued for the free slots, parked for the rest
    return batch


def _same_team_batch(batch: Batch, team) -> Batch:
    if batch.project.program.team_id != team.pk and not Batch.objects.for_team(team).filter(pk=batch.pk).exists():
        raise LaunchError("The form expired; reload the page and try again.")
    return batch


def _label(operation: str, skus) -> str:
    name = Operation(operation).label if operation in Operation.values else operation
    return f"{name} · {len(skus)} SKU{'s' if len(skus) != 1 else ''}"
