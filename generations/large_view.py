"""The large view of a board (issue 16.1): one output beside its SKU's garment images, with what made it.

Studios judge fidelity (logos, prints, colour, length) by looking at the output and the garment side by side,
zoomed in on the same spot (static/js/review.js syncs zoom and pan) and against the previous round (`c`). Everything
here is for the one selected output, so it costs a fixed number of queries whatever the size of the board.
"""
from catalog.models import GarmentImage, GarmentView

from .models import TaskOutput


def garments(output: TaskOutput) -> list[GarmentImage]:
    """The SKU's front and back garment images (the first of each view), front first."""
    images = (GarmentImage.objects.filter(sku_id=output.task.sku_id, view__in=(GarmentView.FRONT, GarmentView.BACK))
              .order_by("view", "created_at", "pk"))
    chosen: dict[str, GarmentImage] = {}
    for image in images[:20]:
        chosen.setdefault(image.view, image)
    return [chosen[v] for v in (GarmentView.FRONT, GarmentView.BACK) if v in chosen]


def previous_round(output: TaskOutput, visible) -> TaskOutput | None:
    """What this output is compared against with `c`: the output it replaces (a per-output regenerate), else the
    output in the same position of the task's previous round. `visible` limits it to what the viewer may see."""
    task = output.task
    if task.replaces_id:
        replaced = visible.filter(pk=task.replaces_id).first()
        if replaced is not None:
            return replaced
    if output.round <= 1:
        return None
    same_task = list(visible.filter(task_id=task.pk, round__lt=output.round, kind=output.kind)
                     .order_by("-round", "pk")[:50])
    if not same_task:
        return None
    last_round = same_task[0].round
    earlier = [o for o in same_task if o.round == last_round]
    position = list(TaskOutput.objects.filter(task_id=task.pk, round=output.round, pk__lt=output.pk)
                    .values_list("pk", flat=True)[:50])
    return earlier[min(len(position), len(earlier) - 1)]


def cost_per_output(output: TaskOutput):
    """The task's charge (or its estimate while nothing is charged) shared by its outputs."""
    task = output.task
    credits = task.charged_credits or task.estimated_credits
    return round(credits / max(task.num_outputs or 1, 1), 2)


def context(output: TaskOutput | None, visible) -> dict:
    if output is None:
        return {"garments": [], "previous": None}
    return {"garments": garments(output), "previous": previous_round(output, visible),
            "cost": cost_per_output(output)}
