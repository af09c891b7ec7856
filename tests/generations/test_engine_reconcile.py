"""A crash between the paid call and saving its id: ask the vendor, never pay twice."""
import pytest
from django.utils import timezone

from generations import runs
from generations.models import Task, TaskStatus
from generations.vendors.base import NotFound, Submission, Unavailable

from .test_engine_support import queued, scripted, scripted_task, step  # noqa: F401

pytestmark = pytest.mark.django_db


def crashed_during_submit(task, key="attempt-1"):
    """The row as a SIGKILL right after the paid call leaves it: attempt recorded, no vendor id."""
    Task.objects.filter(pk=task.pk).update(attempt_key=key, attempt_started_at=timezone.now(), attempts=1)
    task.refresh_from_db()
    return task


def test_a_submission_the_vendor_has_is_adopted_without_paying_again(scripted):
    task = crashed_during_submit(scripted_task())
    scripted.found = Submission("job-from-the-vendor-list")

    step(task)

    assert scripted.find_calls == 1 and scripted.submits == []
    assert task.vendor_task_id == "job-from-the-vendor-list"
    assert task.status == TaskStatus.TASK_SUBMITTED and task.step == "poll"


def test_a_submission_the_vendor_never_got_is_sent_with_the_same_attempt_key(scripted):
    task = crashed_during_submit(scripted_task(), key="attempt-xyz")
    scripted.found = None

    step(task)

    assert scripted.find_calls == 1
    assert scripted.submits == ["attempt-xyz"]
    assert task.vendor_task_id and task.step == "poll"


def test_without_a_vendor_list_an_unknown_outcome_stops_for_a_person(scripted, queued):
    task = crashed_during_submit(scripted_task(vendor="scripted_norec"))

    step(task)

    assert scripted.submits == [] and scripted.find_calls == 0
    assert task.needs_attention and task.step == "hold"
    assert "no way to check" in task.error_message and "paid twice" in task.error_message
    assert task.status == TaskStatus.TASK_CREATED
    runs.sweep()
    assert task.pk not in [pk for pk, _ in queued]
    assert runs.advance(task.pk) is None


def test_without_a_vendor_list_a_seen_5xx_is_retried_with_the_same_key(scripted):
    task = scripted_task(vendor="scripted_norec")
    scripted.submit_results = [Unavailable("bad gateway", status_code=502)]
    step(task)
    assert task.attempt_started_at is not None and task.vendor_state["attempt_error"]

    step(task)

    assert len(scripted.submits) == 2 and scripted.submits[0] == scripted.submits[1]
    assert task.vendor_task_id and not task.needs_attention


def test_a_saved_vendor_id_with_an_unmoved_step_goes_on_to_poll_without_submitting(scripted):
    task = scripted_task()
    Task.objects.filter(pk=task.pk).update(attempt_key="k", attempt_started_at=timezone.now(), vendor_task_id="job-9")
    task.refresh_from_db()

    step(task)

    assert scripted.submits == [] and scripted.find_calls == 0
    assert task.step == "poll" and task.status == TaskStatus.TASK_SUBMITTED


def test_a_404_on_poll_holds_the_task_and_never_resubmits(scripted):
    task = scripted_task()
    step(task)
    scripted.poll_results = [NotFound("no such task", status_code=404)]

    step(task)

    assert len(scripted.submits) == 1
    assert task.needs_attention and task.step == "hold" and "404" in task.error_message


def test_the_sweeper_requeues_a_task_whose_worker_died_holding_the_lease(scripted, queued):
    task = scripted_task()
    Task.objects.filter(pk=task.pk).update(lease_until=timezone.now() - timezone.timedelta(seconds=1),
                                           next_run_at=timezone.now() - timezone.timedelta(minutes=5))

    runs.sweep()

    assert (task.pk, 0) in queued
