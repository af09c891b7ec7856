"""Media-queue jobs for the catalog. Thin: take a primary key, load the row, call a service."""
from celery import shared_task

from . import images
from .models import GarmentImage, ModelImage, Pose

_THUMBNAILED = {"garment": (GarmentImage, "image"), "model": (ModelImage, "image"), "pose": (Pose, "reference_image")}


@shared_task(name="media.make_thumbnail", acks_late=True, max_retries=3)
def make_thumbnail(kind: str, pk: int) -> None:
    model, field = _THUMBNAILED[kind]
    instance = model.objects.filter(pk=pk).first()
    if instance is None or instance.thumbnail:
        return  # deleted meanwhile, or a redelivery of a job that already ran
    images.save_thumbnail(instance, field)
