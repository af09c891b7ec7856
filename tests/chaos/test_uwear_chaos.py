"""A real worker process is SIGKILLed around the paid POST /generation; a replacement worker finishes the task and
the Uwear fake counts exactly one paid generation (RELIABILITY.md "worker child SIGKILLed just before the paid
submit" and "worker killed after the vendor accepted, before its id was saved": Uwear's GET /generations is the
list we reconcile against)."""
import time
from pathlib import Path

import pytest

from generations.engine import queue
from generations.engine import runs
from generations.models import Task, TaskOutput, TaskStatus
from tests.conftest import wait_for
from tests.vendors.uwear.test_support import fake, try_on_task, uwear_account  # noqa: F401

LEASE_SECONDS = 6


@pytest.mark.chaos
@pytest.mark.parametrize("moment", ["STUDIO_TEST_PAUSE_BEFORE_SUBMIT", "STUDIO_TEST_PAUSE_AFTER_SUBMIT"])
def test_a_worker_killed_around_the_paid_generation_is_replaced_and_uwear_is_paid_once(worker, fake, tmp_path,
                                                                                      moment):
    fake.queued_seconds, fake.running_seconds = 0.5, 1.0  # real time passes here: short vendor runs
    fake.webhooks = "drop"  # the webhook URL is not reachable from the fake; polling must finish the job
    task = try_on_task(uwear_account(fake), num_outputs=2)
    pause = tmp_path / "pause"
    worker.env_extra.update({moment: str(pause), "STUDIO_LEASE_SECONDS": str(LEASE_SECONDS),
                             "STUDIO_FETCH_ALLOW_HOSTS": "127.0.0.1", "CELERY_VISIBILITY_TIMEOUT": "10"})
    doomed = worker.start(name="doomed")
    queue.queue_advance(task.pk)

    reached = Path(f"{pause}.reached.{task.pk}")
    wait_for(reached.exists, timeout=90, message="the worker to reach the paid generation")
    worker.kill(doomed)

    recorded = Task.objects.get(pk=task.pk)
    assert recorded.attempt_started_at and not recorded.vendor_task_id  # outcome unknown to the database
    assert fake.paid_generations == (0 if moment.endswith("BEFORE_SUBMIT") else 1)

    pause.touch()  # the replacement passes the pause point
    worker.start(name="replacement")
    time.sleep(LEASE_SECONDS + 1)  # the dead worker's lease runs out; the sweeper then re-queues the task
    last_sweep = [0.0]

    def finished() -> bool:
        if time.monotonic() - last_sweep[0] > 3:
            runs.sweep()
            last_sweep[0] = time.monotonic()
        return Task.objects.filter(pk=task.pk, step="done").exists()

    wait_for(finished, timeout=180, interval=0.5, message="the replacement worker to finish the task")

    task.refresh_from_db()
    assert task.status == TaskStatus.REVIEW_SUBMITTED and not task.needs_attention
    assert fake.paid_generations == 1
    assert task.vendor_task_id == str(next(iter(fake.generations)))
    assert TaskOutput.objects.filter(task=task).count() == 2
    assert len(fake.items) == 1  # the clothing item survived the crash as a VendorReference: uploaded once
