"""The vision features end to end in real worker processes: a try-on collected by the vendor queue is held by the
NSFW gate and checked on the media queue; a new garment image is captioned. Proves the hooks, the job names and
their autodiscovery (studio/celery.py) outside the test process."""
import pytest

from generations.engine import queue
from generations.models import Task
from tests.conftest import wait_for
from tests.factories import GarmentImageFactory

from tests.vendors.artemotion.test_support import artemotion_account, fake, tryon_task  # noqa: F401


@pytest.mark.services
def test_a_worker_holds_an_unsafe_try_on_and_captions_a_new_garment(worker, fake):
    fake.run_seconds = 2.0
    fake.default_nsfw_probability = 0.93
    account = artemotion_account(fake)
    team = account.team
    team.nsfw_gate_enabled = team.captions_enabled = True
    team.save()
    host, port = fake._server.server_address[:2]
    worker.env_extra.update(STUDIO_FETCH_ALLOW_HOSTS=f"{host}:{port}", STUDIO_PUBLIC_URL="https://studio.example.com")
    worker.start(concurrency=2, queues="vendor,media")
    task = tryon_task(account)
    queue.queue_advance(task.pk)
    garment = GarmentImageFactory(sku=task.sku)  # saved and committed: the hook queues its caption

    def checked():
        output = Task.objects.get(pk=task.pk).outputs.first()
        return output is not None and output.nsfw_probability is not None

    wait_for(checked, timeout=90, interval=0.5, message="the NSFW check of the try-on output")
    output = Task.objects.get(pk=task.pk).outputs.get()
    assert output.flagged and output.nsfw_probability == 0.93

    def captioned():
        garment.refresh_from_db()
        return bool(garment.caption)

    wait_for(captioned, timeout=60, interval=0.5, message="the garment caption")
    assert garment.caption == fake.caption_text
    # One paid vision job per object: the output's check, and a caption for each of the SKU's two garment images.
    models = sorted(job.model_id for job in fake.jobs.values() if job.kind == "vision")
    assert models == ["imageutils/nsfw", "moondream3-preview/caption", "moondream3-preview/caption"]
