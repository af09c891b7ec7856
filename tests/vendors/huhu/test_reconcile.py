"""Exactly one paid POST /task/generate per task, even when the worker dies between Huhu accepting the call and our
saving its id: the next run asks GET /task (the vendor's list) instead of paying again. Operations without a listing
(upscale, faces, model images, poses) are found in the credit history; videos in GET /video/requests."""
import pytest

from generations.engine import runs
from generations.lifecycle import transition_task
from generations.models import TaskStatus
from generations.vendors.huhu.adapter import HuhuAdapter
from tests.fakes.base import count
from tests.vendors.huhu.test_support import (account, fake, generate_calls, huhu_task_ids,  # noqa: F401
                                                         other_task, queued, run_until_settled, step, try_on_task)

pytestmark = pytest.mark.django_db


class WorkerDied(Exception):
    """Stands in for SIGKILL: raised after the vendor answered, before the engine could save the id."""


@pytest.fixture
def dies_after_submit(monkeypatch):
    real = HuhuAdapter.submit
    state = {"armed": True}

    def submit(self, task):
        submission = real(self, task)
        if state["armed"]:
            state["armed"] = False
            raise WorkerDied("killed after the vendor accepted")
        return submission

    monkeypatch.setattr(HuhuAdapter, "submit", submit)
    return state


@pytest.fixture
def dies_before_generate(monkeypatch):
    real = HuhuAdapter._remember
    state = {"armed": True}

    def remember(self, task, data):
        real(self, task, data)
        if state["armed"]:
            state["armed"] = False
            raise WorkerDied("killed between PUT /task and POST /task/generate")

    monkeypatch.setattr(HuhuAdapter, "_remember", remember)
    return state


def test_a_crash_after_huhu_accepted_is_reconciled_from_the_task_list_not_paid_again(fake, account, queued,
                                                                                   dies_after_submit):
    task = try_on_task(account)
    step(task)
    assert task.attempt_started_at and not task.vendor_task_id and generate_calls(fake) == 1
    task = run_until_settled(task)
    (huhu_id,) = huhu_task_ids(task)
    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.vendor_task_id == huhu_id
    assert generate_calls(fake) == 1 and fake.paid[huhu_id] == 1 and task.outputs.count() == 1


def test_a_crash_before_generate_submits_once_on_the_same_huhu_task(fake, account, queued, dies_before_generate):
    task = try_on_task(account)
    step(task)
    assert generate_calls(fake) == 0 and task.attempt_started_at
    task = run_until_settled(task)
    (huhu_id,) = huhu_task_ids(task)
    assert task.status == TaskStatus.REVIEW_SUBMITTED and fake.paid[huhu_id] == 1
    assert count(fake, "POST", r"/task$") == 1


def test_a_regenerate_that_crashed_after_acceptance_is_not_paid_twice(fake, account, queued):
    task = run_until_settled(try_on_task(account))
    transition_task(task, TaskStatus.REVIEW_REJECTED)
    runs.regenerate(task, None)
    real = HuhuAdapter.submit
    calls = []

    def submit(self, t):
        submission = real(self, t)
        calls.append(t.pk)
        if len(calls) == 1:
            raise WorkerDied()
        return submission

    HuhuAdapter.submit = submit
    try:
        task = run_until_settled(task)
    finally:
        HuhuAdapter.submit = real
    (huhu_id,) = huhu_task_ids(task)
    assert task.status == TaskStatus.REVIEW_SUBMITTED and fake.paid[huhu_id] == 2 and len(calls) == 1
    assert task.outputs.filter(round=2).count() == 1


def test_an_upscale_that_crashed_after_acceptance_is_found_in_the_credit_history(fake, account, queued,
                                                                               dies_after_submit):
    task = other_task(account, "upscale", options={"upscale_factor": 2})
    step(task)
    assert len(fake.upscales) == 1 and not task.vendor_task_id
    task = run_until_settled(task)
    assert task.status == TaskStatus.REVIEW_SUBMITTED and len(fake.upscales) == 1
    assert task.vendor_task_id == next(iter(fake.upscales))


def test_a_face_request_that_crashed_after_acceptance_is_found_in_the_credit_history(fake, account, queued,
                                                                                   dies_after_submit):
    task = other_task(account, "face", prompt="Headshot front facing portrait of a Young Adult", num_outputs=2)
    task = run_until_settled(task)
    assert task.status == TaskStatus.REVIEW_SUBMITTED and len(fake.requests_by_id) == 1
    assert task.outputs.count() == 2


def test_a_video_that_crashed_after_acceptance_is_found_in_the_video_list(fake, account, queued, dies_after_submit):
    parent_task = run_until_settled(try_on_task(account))
    task = other_task(account, "video", parent=parent_task.outputs.get(), prompt="gentle natural movement",
                      options={"video_length": "5"})
    task = run_until_settled(task)
    assert task.status == TaskStatus.REVIEW_SUBMITTED and len(fake.videos) == 1
    assert task.vendor_task_id == next(iter(fake.videos))


def test_nothing_found_on_huhus_list_means_the_paid_call_never_happened_and_it_is_made_once(fake, account, queued):
    task = try_on_task(account)
    step(task)  # completes the whole submit
    adapter = HuhuAdapter(account)
    fresh = try_on_task(account)
    try:
        assert adapter.find_submission(fresh) is None
        found = adapter.find_submission(task)
        assert found is not None and found.vendor_task_id == huhu_task_ids(task)[0]
    finally:
        adapter.close()
