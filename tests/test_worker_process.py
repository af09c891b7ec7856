"""A real Celery worker process, against the same database and broker as production would use, finishes a job."""
import pytest

from catalog.jobs import make_thumbnail
from tests.conftest import wait_for
from tests.factories import GarmentImageFactory


@pytest.mark.services
def test_a_real_worker_process_makes_a_garment_thumbnail(worker):
    garment = GarmentImageFactory()
    worker.start(queues="media")
    make_thumbnail.apply_async(("garment", garment.pk))

    def thumbnail_saved():
        garment.refresh_from_db()
        return bool(garment.thumbnail)

    wait_for(thumbnail_saved, timeout=60, message="the worker to save a thumbnail")
    with garment.thumbnail.open("rb") as fh:
        assert fh.read(4) == b"RIFF"  # WebP
