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


@shared_task(name="media.ingest_zip", acks_late=True, time_limit=3600, soft_time_limit=3500)
def ingest_zip(import_id: int) -> None:
    from .zip_ingest import run_import

    run_import(import_id)


def queue_import(import_id: int) -> None:
    """After commit. A down broker leaves the import queued; the sweeper (vendor.sweep) picks it up."""
    import logging

    try:
        ingest_zip.delay(import_id)
    except Exception:
        logging.getLogger(__name__).warning("could not queue import %s; it stays queued for the sweeper",
                                            import_id, exc_info=True)
