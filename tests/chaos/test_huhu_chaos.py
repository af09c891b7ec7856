"""Chaos against real worker processes (the `worker` fixture) and the fake Huhu in this process: SIGKILL at the
worst moments, redeliveries, running out of credits mid-batch. Every task must end completed, or held in a visible
"needs attention" state, with exactly ONE paid POST /task/generate per task as counted by the fake.

The test process stands in for beat: it runs the sweeper while it waits (runs.sweep), which re-queues work whose
worker died once its lease (STUDIO_LEASE_SECONDS, short here) has lapsed.
"""
import os
import signal
import threading
from pathlib import Path

import pytest

from generations.engine import queue
from generations.engine import runs
from generations.models import AccountState, Task, TaskStatus, Vendor, VendorReference
from tests.conftest import wait_for
from tests.factories import SKUFactory, VendorAccountFactory
from tests.vendors.huhu.fake import FakeHuhu
from tests.vendors.huhu.test_support import try_on_task

pytestmark = pytest.mark.chaos

WORKER_ENV = {"STUDIO_LEASE_SECONDS": "6", "STUDIO_BACKOFF_CAP_SECONDS": "2", "STUDIO_MAX_ATTEMPTS": "20",
              "STUDIO_HTTP_READ_TIMEOUT": "60"}


@pytest.fixture
def huhu(settings):
    server = FakeHuhu(latency=1.0, credits=1000).start()
    host, port = server._server.server_address[:2]
    settings.STUDIO_FETCH_ALLOW_HOSTS = [f"{host}:{port}"]
    yield server
    if server.hold_generate is not None:
        server.hold_generate.set()
    server.stop()


def prepare_worker(worker, huhu, **extra):
    host, port = huhu._server.server_address[:2]
    worker.env_extra.update(WORKER_ENV, STUDIO_FETCH_ALLOW_HOSTS=f"{host}:{port}", **extra)


def launch(huhu, n: int) -> list[Task]:
    account = VendorAccountFactory(vendor=Vendor.HUHU, base_url=huhu.url,
                                   settings={"poll_interval_seconds": 0.5, "poll_min_gap_seconds": 0.5,
                                             "sku_poll_seconds": 0.2})  # Huhu's timing compressed tenfold
    account.set_api_key(huhu.api_key)
    account.save()
    first = try_on_task(account)
    tasks = [first] + [try_on_task(account, sku=SKUFactory(project=first.sku.project)) for _ in range(n - 1)]
    for task in tasks:
        queue.queue_advance(task.pk)
    return tasks


def settle(tasks: list[Task], timeout: float = 180.0) -> list[Task]:
    ids = [t.pk for t in tasks]

    def finished():
        runs.sweep()
        return all(step in ("done", "hold") for step in Task.objects.filter(pk__in=ids).values_list("step", flat=True))

    wait_for(finished, timeout=timeout, interval=1.0, message="every task to finish or be held")
    return list(Task.objects.filter(pk__in=ids).order_by("pk"))


def assert_exactly_once(tasks: list[Task], huhu: FakeHuhu) -> None:
    for task in tasks:
        huhu_ids = list(VendorReference.objects.filter(kind="huhu_task", object_id=task.pk)
                        .values_list("vendor_id", flat=True))
        paid = [huhu.paid[i] for i in huhu_ids]
        if task.needs_attention:
            assert task.error_message and paid in ([], [0], [1]), (task.pk, task.error_message, paid)
        else:
            assert task.status == TaskStatus.REVIEW_SUBMITTED, (task.pk, task.status, task.error_message)
            assert paid == [1] and task.outputs.count() == 1, (task.pk, paid)
    assert all(count == 1 for count in huhu.paid.values()), huhu.paid


def pool_children(proc) -> list[int]:
    path = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def test_a_worker_child_killed_just_before_the_paid_submit_resumes_and_pays_once(worker, huhu, tmp_path):
    pause = tmp_path / "pause-before-submit"
    prepare_worker(worker, huhu, STUDIO_TEST_PAUSE_BEFORE_SUBMIT=str(pause))
    proc = worker.start(concurrency=1)
    (task,) = launch(huhu, 1)
    wait_for(lambda: Path(f"{pause}.reached.{task.pk}").exists(), timeout=120, message="the pause before submit")
    children = pool_children(proc)
    assert children and sum(huhu.paid.values()) == 0
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    pause.touch()  # later passes go straight through
    assert_exactly_once(settle([task]), huhu)


def test_a_worker_killed_after_huhu_accepted_but_before_the_id_was_saved_reconciles(worker, huhu):
    prepare_worker(worker, huhu)
    huhu.hold_generate = threading.Event()
    proc = worker.start(concurrency=1)
    (task,) = launch(huhu, 1)
    wait_for(lambda: sum(huhu.paid.values()) == 1, timeout=120, message="Huhu to accept the generation")
    worker.kill(proc)  # SIGKILL the whole worker while Huhu's answer is held back
    huhu.hold_generate.set()
    task.refresh_from_db()
    assert task.attempt_started_at and not task.vendor_task_id
    worker.start(concurrency=1)
    (task,) = settle([task])
    assert_exactly_once([task], huhu)
    assert task.vendor_task_id and not task.needs_attention


def test_the_whole_worker_killed_mid_batch_is_replaced_and_every_task_is_paid_once(worker, huhu):
    prepare_worker(worker, huhu)
    huhu.latency = 2.0
    proc = worker.start(concurrency=2)
    tasks = launch(huhu, 8)
    wait_for(lambda: sum(huhu.paid.values()) >= 3, timeout=120, message="a few generations under way")
    worker.kill(proc)
    worker.start(concurrency=2)
    assert_exactly_once(settle(tasks), huhu)


def test_two_workers_with_a_visibility_timeout_shorter_than_a_step_pay_once(worker, huhu):
    prepare_worker(worker, huhu, CELERY_VISIBILITY_TIMEOUT="1")
    huhu.generate_answer_delay = 3.0  # the paid call outlives the visibility timeout: Redis redelivers meanwhile
    worker.start(concurrency=2)
    worker.start(concurrency=2)
    tasks = launch(huhu, 4)
    assert_exactly_once(settle(tasks), huhu)


def test_running_out_of_credits_mid_batch_pauses_and_finishes_once_credits_are_added(worker, huhu):
    prepare_worker(worker, huhu)
    huhu.set_credits(6)  # three HD try-ons, then 402 ("Generation returns 402 if ≤ 0")
    worker.start(concurrency=2)
    tasks = launch(huhu, 6)
    account = tasks[0].account
    wait_for(lambda: Task.objects.get(pk=tasks[0].pk).account.state == AccountState.PAUSED or
             sum(huhu.paid.values()) == 6, timeout=120, message="the account to pause on 402")
    account.refresh_from_db()
    assert account.state == AccountState.PAUSED and sum(huhu.paid.values()) == 3
    assert Task.objects.filter(pk__in=[t.pk for t in tasks], step="submit", needs_attention=False).count() == 3
    huhu.set_credits(100)
    assert_exactly_once(settle(tasks), huhu)
    account.refresh_from_db()
    assert account.state == AccountState.ACTIVE
