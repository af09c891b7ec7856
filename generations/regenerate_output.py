"""Fix one image at a time (issue 16.3): regenerate just one rejected output.

A task of four outputs with one bad image used to be regenerated whole. Now the bad one is remade alone: a new
task of one output for the same SKU, on the same account, with the same garment images, model image, pose, style,
operation, options and parent output — only the prompt may be edited. The new task records which output it
replaces (`Task.replaces`), so its output links back to the rejected one, the large view compares them with `c`,
and the decision history follows the chain. It is a normal launch: estimated, budget-checked, idempotent on the
form token, queued by the engine.
"""
from django.db import transaction

from .launch import LaunchError, launch_generation
from .models import Task, TaskOutput, TaskStatus

S = TaskStatus
REJECTED = (S.REVIEW_REJECTED, S.CLIENT_REJECTED)


def regenerate_output(output: TaskOutput, user, team, *, prompt: str, form_token: str) -> Task:
    """Launch the replacement of a rejected output; returns the new task (the same one on a repeated token)."""
    if output.review_status not in REJECTED:
        raise LaunchError("Only a rejected output can be regenerated on its own: reject it first, with a comment.")
    existing = output.replacements.filter(batch__form_token=form_token).first()
    if existing is not None:
        return existing
    task = output.task
    with transaction.atomic():
        batch = launch_generation(
            user=user, team=team, skus=[task.sku], account=task.account, operation=task.operation,
            model_image=task.model_image, pose=task.pose, style=task.style, prompt=prompt.strip(), num_outputs=1,
            options=task.options, form_token=form_token, parent_output=task.parent_output,
            garment_images=list(task.garment_images.all()))
        new_task = batch.tasks.get()
        if new_task.replaces_id is None:
            Task.objects.filter(pk=new_task.pk).update(replaces=output)
            new_task.replaces = output
        batch.label = f"Remake of output {output.pk} · {task.sku.code}"
        batch.save(update_fields=["label"])
    return new_task
