"""The catalog's question "is anything running on this?" (catalog/usage.py), answered with the tasks still at work
— created, at the vendor, or editing — that use a SKU, a garment image, a fashion model's images or a pose."""
from catalog.models import SKU, FashionModel, GarmentImage, Pose

from .lifecycle import IN_FLIGHT
from .models import Task, TaskStatus

RUNNING = frozenset(IN_FLIGHT | {TaskStatus.TASK_CREATED})
NAMED = 5  # tasks named in a refusal; the rest are counted

LOOKUPS = {SKU: "sku", GarmentImage: "garment_images", FashionModel: "model_image__fashion_model", Pose: "pose"}


def running_tasks(obj):
    lookup = LOOKUPS.get(type(obj))
    if lookup is None:
        return Task.objects.none()
    return Task.objects.filter(status__in=RUNNING, **{lookup: obj}).select_related("sku").order_by("pk")


def check(obj) -> tuple[list[str], int]:
    """'Task 12 (SKU TEE-1, Try-on, Generation in process)' for the first few, then 'and N more running tasks'."""
    tasks = running_tasks(obj)
    named = list(tasks[:NAMED])
    total = len(named) if len(named) < NAMED else tasks.count()
    lines = [f"Task {t.pk} (SKU {t.sku.code}, {t.get_operation_display()}, {t.status})" for t in named]
    if total > NAMED:
        more = total - NAMED
        lines.append(f"and {more} more running task{'s' if more != 1 else ''}")
    return lines, total
