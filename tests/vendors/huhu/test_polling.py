"""Batched polling: ONE GET /task per program reports on every running try-on task (001 §5.21); the detail call is
made only for completed tasks that need it; statuses walk forward as Huhu reports them."""
import pytest
from django.utils import timezone

from generations.models import Task, TaskStatus
from generations.vendors.huhu.adapter import HuhuAdapter
from tests.factories import SKUFactory
from tests.vendors.huhu.test_support import (huhu_account, huhu_task_ids, list_calls, queued,  # noqa
                                                         start_fake, step, try_on_task)

pytestmark = pytest.mark.django_db


@pytest.fixture
def slow_fake(settings):
    server = start_fake(settings, latency=90)
    yield server
    server.stop()


def detail_calls(fake) -> int:
    return sum(1 for r in fake.requests if r.method == "GET" and r.path.endswith("/task") and "task_id" in r.query)


def submitted_tasks(fake, n: int, shared_poll: bool = False, **kwargs) -> list[Task]:
    # These tests step faster than real time; the shared answer (tested below) would hide the fake's clock jumps.
    account = huhu_account(fake, settings={"poll_interval_seconds": 1, "poll_min_gap_seconds": 1,
                                           "shared_poll": shared_poll})
    first = try_on_task(account, **kwargs)
    tasks = [first] + [try_on_task(account, sku=SKUFactory(project=first.sku.project), **kwargs)
                       for _ in range(n - 1)]
    for task in tasks:
        step(task)
    assert all(t.step == "poll" for t in tasks)
    return tasks


def run_handed_off(tasks) -> None:
    """The jobs a poll queued to copy the outputs of the completed tasks it did not copy itself."""
    for task in tasks:
        task.refresh_from_db()
        if task.step == "collect":
            assert task.lease_until is None and task.next_run_at <= timezone.now()
            step(task)


def test_five_running_tasks_are_polled_with_one_list_call(slow_fake, queued):
    tasks = submitted_tasks(slow_fake, 5)
    before = list_calls(slow_fake)
    slow_fake.advance(30)
    step(tasks[0])
    assert list_calls(slow_fake) == before + 1 and detail_calls(slow_fake) == 0
    for task in tasks:
        task.refresh_from_db()
        assert task.status == TaskStatus.GENERATION_IN_PROCESS and task.step == "poll"


def test_completed_tasks_are_collected_from_the_same_list_call(slow_fake, queued):
    tasks = submitted_tasks(slow_fake, 4)
    before = list_calls(slow_fake)
    slow_fake.advance(90)
    step(tasks[0])
    for task in tasks:
        task.refresh_from_db()
    handed_off = [t for t in tasks if t.step == "collect"]
    assert len(handed_off) == len(tasks) - 1  # the poll job copies one task's outputs; the others get a job each
    for task in handed_off:  # ... due now, unleased, and copied from the URLs that one list call gave
        assert task.lease_until is None and task.next_run_at <= timezone.now()
        step(task)
    assert list_calls(slow_fake) == before + 1 and detail_calls(slow_fake) == 0  # one image: the list has its URL
    for task in tasks:
        task.refresh_from_db()
        assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.count() == 1


def test_the_detail_call_is_made_only_for_completed_tasks_with_several_images(slow_fake, queued):
    tasks = submitted_tasks(slow_fake, 3, num_outputs=2)
    slow_fake.advance(30)
    step(tasks[0])
    assert detail_calls(slow_fake) == 0
    slow_fake.advance(60)
    step(tasks[0])
    run_handed_off(tasks)
    assert detail_calls(slow_fake) == 3
    assert all(t.outputs.count() == 2 for t in tasks)


def test_a_failed_generation_fails_its_task_only(slow_fake, queued):
    slow_fake.fail_generations(1)
    tasks = submitted_tasks(slow_fake, 2)
    slow_fake.advance(90)
    step(tasks[1])
    for task in tasks:
        task.refresh_from_db()
    assert tasks[0].status == TaskStatus.GENERATION_FAILED and "Generation failed" in tasks[0].error_message
    assert tasks[1].status == TaskStatus.REVIEW_SUBMITTED


def test_a_task_huhu_no_longer_lists_fails_alone_in_a_batch(slow_fake, queued):
    tasks = submitted_tasks(slow_fake, 2)
    del slow_fake.tasks[huhu_task_ids(tasks[0])[0]]
    slow_fake.advance(90)
    step(tasks[1])
    for task in tasks:
        task.refresh_from_db()
    assert tasks[0].status == TaskStatus.GENERATION_FAILED and "no longer lists" in tasks[0].error_message
    assert tasks[1].status == TaskStatus.REVIEW_SUBMITTED
    assert sum(slow_fake.paid.values()) == 2


def test_poll_many_reports_every_task_with_one_list_call(slow_fake, queued):
    tasks = submitted_tasks(slow_fake, 6)
    adapter = HuhuAdapter(tasks[0].account)
    before = list_calls(slow_fake)
    try:
        results = adapter.poll_many(tasks)
    finally:
        adapter.close()
    assert list_calls(slow_fake) == before + 1 and set(results) == {t.pk for t in tasks}
    assert {r.vendor_status for r in results.values()} == {"Task submitted"}


def test_the_poll_interval_defaults_to_the_documented_five_seconds_and_follows_the_account(slow_fake):
    assert HuhuAdapter(huhu_account(slow_fake)).poll_interval == 5.0
    assert HuhuAdapter(huhu_account(slow_fake, settings={"poll_interval_seconds": 0.5})).poll_interval == 0.5


def test_poll_jobs_of_all_workers_share_one_list_call_per_interval(slow_fake, queued):
    tasks = submitted_tasks(slow_fake, 3, shared_poll=True)
    first, second = HuhuAdapter(tasks[0].account), HuhuAdapter(tasks[0].account)  # as if in two processes
    try:
        before = list_calls(slow_fake)
        first.poll_many(tasks[:2])
        second.poll_many(tasks[2:])
        assert list_calls(slow_fake) == before + 1
        import time

        time.sleep(1.05)  # the (compressed) 1 s gap: fresh list calls are at least one gap apart
        second.poll_many(tasks)
        assert list_calls(slow_fake) == before + 2
    finally:
        first.close()
        second.close()


def test_a_task_newer_than_the_shared_answer_is_looked_up_fresh_not_failed(slow_fake, queued):
    tasks = submitted_tasks(slow_fake, 1, shared_poll=True)
    adapter = HuhuAdapter(tasks[0].account)
    try:
        adapter.poll_many(tasks)
        late = try_on_task(tasks[0].account, sku=SKUFactory(project=tasks[0].sku.project))
        step(late)
        late.refresh_from_db()
        results = adapter.poll_many([tasks[0], late])
        assert results[late.pk].state == "running" and results[late.pk].vendor_status == "Task submitted"
    finally:
        adapter.close()
