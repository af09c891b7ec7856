"""A real worker process is SIGKILLed around the paid Hautech run; a replacement worker finishes the task and the fake
counts exactly one paid run (RELIABILITY.md "worker child SIGKILLed just before the paid submit" and "worker killed
after the vendor accepted, before its id was saved"). Hautech has no run listing: the adapter's own journal on the
task (written before and after the call) is what the replacement reconciles against."""
import os
import time
from pathlib import Path

import pytest

from generations.engine import queue
from generations.engine import runs
from generations.models import Task, TaskOutput, TaskStatus
from tests.conftest import wait_for
from tests.vendors.hautech.test_support import fake, hautech_account, hautech_task  # noqa: F401

LEASE_SECONDS = 6


@pytest.mark.chaos
@pytest.mark.parametrize("moment", ["STUDIO_TEST_PAUSE_BEFORE_SUBMIT", "STUDIO_TEST_PAUSE_AFTER_SUBMIT"])
def test_a_worker_killed_around_the_paid_run_is_replaced_and_hautech_is_paid_once(worker, fake, tmp_path, moment):
    fake.run_seconds = {name: 0.5 for name in fake.run_seconds}  # real time passes here: short vendor runs
    task = hautech_task(hautech_account(fake), options={"seed": 7})
    pause = tmp_path / "pause"
    worker.env_extra.update({moment: str(pause), "STUDIO_LEASE_SECONDS": str(LEASE_SECONDS),
                             "STUDIO_FETCH_ALLOW_HOSTS": "127.0.0.1"})
    doomed = worker.start(name="doomed")
    queue.queue_advance(task.pk)

    reached = Path(f"{pause}.reached.{task.pk}")
    wait_for(reached.exists, timeout=90, message="the worker to reach the paid run")
    worker.kill(doomed)

    recorded = Task.objects.get(pk=task.pk)
    assert recorded.attempt_started_at and not recorded.vendor_task_id  # outcome unknown to the engine
    assert fake.paid_runs == (0 if moment.endswith("BEFORE_SUBMIT") else 1) and len(fake.uploaded) == 2

    pause.touch()  # the replacement passes the pause point
    worker.start(name="replacement")
    time.sleep(LEASE_SECONDS + 1)  # the dead worker's lease runs out; the sweeper then re-queues the task
    last_sweep = [0.0]

    def finished() -> bool:
        if time.monotonic() - last_sweep[0] > 3:
            runs.sweep()
            last_sweep[0] = time.monotonic()
        return Task.objects.filter(pk=task.pk, step="done").exists()

    wait_for(finished, timeout=150, interval=0.5, message="the replacement worker to finish the task")

    task.refresh_from_db()
    assert task.status == TaskStatus.REVIEW_SUBMITTED and not task.needs_attention
    assert fake.paid_runs == 1
    assert TaskOutput.objects.filter(task=task).count() == 1
    assert len(fake.uploaded) == 2  # the uploads survived the crash in VendorReference: nothing sent twice
    assert os.path.exists(reached)
