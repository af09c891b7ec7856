"""A crash between the paid call and saving its id: ask the vendor, never pay twice."""
from datetime import timedelta

import pytest
from django.utils import timezone

from generations.engine import runs
from generations.models import Task, TaskStatus
from generations.vendors.base import NotFound, Submission, Unavailable

from .test_engine_support import queued, scripted, scripted_task, seconds_until_next_run, step  # noqa: F401

pytestmark = pytest.mark.django_db


def crashed_during_submit(task, key="attempt-1", sent_seconds_ago=0):
    """The row as a SIGKILL right after the paid call leaves it: attempt recorded, the request marked as sent (the
    HTTP client's before_send), no vendor id."""
    sent_at = (timezone.now() - timedelta(seconds=sent_seconds_ago)).isoformat()
    Task.objects.filter(pk=task.pk).update(attempt_key=key, attempt_started_at=timezone.now(), attempts=1,
                                           vendor_state={"sent": {"at": sent_at, "request": "POST /jobs"}})
    task.refresh_from_db()
    return task


def test_a_submission_the_vendor_has_is_adopted_without_paying_again(scripted):
    task = crashed_during_submit(scripted_task())
    scripted.found = Submission("job-from-the-vendor-list")

    step(task)

    assert scripted.find_calls == 1 and scripted.submits == []
    assert task.vendor_task_id == "job-from-the-vendor-list"
    assert task.status == TaskStatus.TASK_SUBMITTED and task.step == "poll"


def test_a_worker_that_died_before_the_paid_request_left_submits_without_asking(scripted):
    task = scripted_task()
    Task.objects.filter(pk=task.pk).update(attempt_key="k-1", attempt_started_at=timezone.now(), attempts=1)

    step(task)

    assert scripted.find_calls == 0 and scripted.submits == ["k-1"]
    assert task.vendor_task_id and task.step == "poll"


def test_a_submission_the_vendor_never_got_is_sent_with_the_same_attempt_key_after_the_settle_window(scripted, settings):
    settings.STUDIO_SETTLE_SECONDS = 120
    task = crashed_during_submit(scripted_task(), key="attempt-xyz", sent_seconds_ago=121)
    scripted.found = None

    step(task)

    assert scripted.find_calls == 1
    assert scripted.submits == ["attempt-xyz"]
    assert task.vendor_task_id and task.step == "poll"


def test_inside_the_settle_window_a_missing_submission_is_looked_for_again_not_paid_again(scripted, settings):
    settings.STUDIO_SETTLE_SECONDS = 120
    task = crashed_during_submit(scripted_task(), sent_seconds_ago=10)
    scripted.found = None

    step(task)

    assert scripted.find_calls == 1 and scripted.submits == []
    assert task.step == "submit" and task.attempt_started_at is not None
    assert 25 <= seconds_until_next_run(task) <= 31  # four looks over the window

    scripted.found = Submission("job-that-showed-up-late")  # the listing caught up
    step(task)
    assert scripted.submits == [] and task.vendor_task_id == "job-that-showed-up-late"


def test_without_a_vendor_list_an_unknown_outcome_stops_for_a_person(scripted, queued):
    task = crashed_during_submit(scripted_task(vendor="scripted_norec"))

    step(task)

    assert scripted.submits == []
    assert task.needs_attention and task.step == "hold" and task.outcome_unknown
    assert "Outcome unknown" in task.error_message and "POST /jobs" in task.error_message
    assert "will not submit it again by itself" in task.error_message
    assert task.status == TaskStatus.TASK_CREATED
    runs.sweep()
    assert task.pk not in [pk for pk, _ in queued]
    assert runs.advance(task.pk) is None


def test_without_a_vendor_list_a_5xx_answer_is_retried_with_the_same_key(scripted):
    task = scripted_task(vendor="scripted_norec")
    scripted.submit_results = [Unavailable("internal error", status_code=500)]  # an answer: the job was not taken
    step(task)
    assert task.attempt_started_at is None and task.step == "submit" and "internal error" in task.error_message

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
