"""The state machine, one step at a time: submit → poll → collect → review, with the database as the truth."""
import pytest
from django.utils import timezone

from generations.engine import runs
from generations.models import CreditEntry, Task, TaskOutput, TaskStatus
from generations.vendors.base import GenerationFailed, PollResult, RemoteOutput, Submission

from .test_engine_support import (completed, png, scripted, scripted_task,  # noqa: F401
                                  seconds_until_next_run, step)

pytestmark = pytest.mark.django_db


def test_the_attempt_is_recorded_before_the_paid_call_and_the_vendor_id_right_after(scripted):
    task = scripted_task()
    seen = {}
    scripted.during_submit = lambda t: seen.update(
        Task.objects.filter(pk=t.pk).values("attempt_key", "attempt_started_at", "vendor_task_id").get())

    assert step(task) == "submit"

    assert seen["attempt_key"] and seen["attempt_started_at"] and not seen["vendor_task_id"]
    assert task.vendor_task_id == f"job-{task.pk}-1"
    assert task.attempt_key == seen["attempt_key"] == scripted.submits[0]
    assert task.status == TaskStatus.TASK_SUBMITTED and task.submitted_at
    assert task.step == "poll" and task.lease_until is None
    assert 0 < seconds_until_next_run(task) <= 2.5


def test_a_running_job_moves_the_status_forward_and_polls_again_later(scripted):
    task = scripted_task()
    step(task)
    scripted.poll_results = [PollResult(state="running", vendor_status="Generation started")]

    assert step(task) == "poll"

    assert task.status == TaskStatus.GENERATION_STARTED
    assert task.step == "poll" and task.next_run_at > timezone.now()


def test_a_completed_job_lands_in_our_storage_and_goes_to_review(scripted):
    task = scripted_task(num_outputs=2)
    step(task)
    scripted.poll_results = [completed("r1", "r2")]

    step(task)

    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.step == "done"
    stored = list(task.outputs.order_by("vendor_result_id"))
    assert [o.vendor_result_id for o in stored] == ["r1", "r2"]
    assert all(o.round == 1 and o.size_bytes and o.width == 32 for o in stored)
    with stored[0].file.open("rb") as fh:
        assert fh.read() == png()


def test_a_redelivered_collect_stores_nothing_twice(scripted):
    task = scripted_task()
    step(task)
    scripted.poll_results = [completed("r1")]
    step(task)
    # A crash after storing but before the step moved on: the collect step runs again.
    Task.objects.filter(pk=task.pk).update(step="collect", vendor_state={"outputs": [
        {"result_id": "r1", "url": None, "kind": "image", "inline": True}]})
    scripted.poll_results = [completed("r1")]

    step(task)

    assert TaskOutput.objects.filter(task=task).count() == 1
    assert task.step == "done"


def test_a_second_job_for_a_leased_task_does_nothing(scripted):
    task = scripted_task()
    Task.objects.filter(pk=task.pk).update(lease_until=timezone.now() + timezone.timedelta(minutes=5))

    assert runs.advance(task.pk) is None
    assert scripted.submits == []


def test_a_job_that_arrives_before_its_time_does_nothing(scripted):
    task = scripted_task()
    Task.objects.filter(pk=task.pk).update(next_run_at=timezone.now() + timezone.timedelta(seconds=30))

    assert runs.advance(task.pk) is None
    assert scripted.submits == []


def test_the_vendor_reporting_failure_fails_the_task_with_its_message(scripted):
    task = scripted_task()
    step(task)
    scripted.poll_results = [PollResult(state="failed", error="garment not detected")]

    step(task)

    assert task.status == TaskStatus.GENERATION_FAILED and task.step == "done"
    assert task.error_message == "garment not detected"


def test_html_instead_of_an_image_fails_the_task_and_stores_nothing(scripted):
    task = scripted_task()
    step(task)
    scripted.poll_results = [PollResult(state="completed", outputs=[
        RemoteOutput(result_id="r1", data=b"<html><body>Access denied</body></html>")])]

    step(task)

    assert task.status == TaskStatus.GENERATION_FAILED
    assert "not an image" in task.error_message
    assert not TaskOutput.objects.filter(task=task).exists()


def test_a_reported_charge_is_booked_once(scripted):
    task = scripted_task()
    scripted.submit_results = [Submission("job-1", charged_credits=3)]
    step(task)
    runs.StepRun(task, None).charge(3)  # a repeat (redelivery) of the same booking

    charges = CreditEntry.objects.filter(task=task, kind="charge")
    assert [c.credits for c in charges] == [3]


def test_regenerate_starts_a_new_round_whose_outputs_join_the_same_task(scripted):
    task = scripted_task()
    step(task)
    scripted.poll_results = [PollResult(state="failed", error="blurry")]
    step(task)
    first_key = task.attempt_key

    runs.regenerate(task, user=None, prompt="sharper, please")
    task.refresh_from_db()
    assert task.status == TaskStatus.TASK_SUBMITTED and task.round == 2 and task.step == "submit"
    assert task.attempt_key and task.attempt_key != first_key and task.prompt == "sharper, please"

    step(task)
    scripted.poll_results = [completed("round2-a")]
    step(task)

    assert task.status == TaskStatus.REVIEW_SUBMITTED
    assert scripted.submits[-1] == task.attempt_key
    assert list(task.outputs.values_list("round", flat=True)) == [2]


def test_regenerate_is_refused_while_the_task_is_in_review(scripted):
    task = scripted_task()
    step(task)
    scripted.poll_results = [completed("r1")]
    step(task)

    with pytest.raises(ValueError):
        runs.regenerate(task, user=None)


def test_a_generation_failure_raised_by_submit_fails_the_task(scripted):
    task = scripted_task()
    scripted.submit_results = [GenerationFailed("the model refused the garment")]

    step(task)

    assert task.status == TaskStatus.GENERATION_FAILED
    assert task.error_message == "the model refused the garment"
    assert task.attempt_started_at is None


def test_a_batch_vendor_reports_on_every_polling_task_of_the_account_in_one_call(scripted):
    from generations.vendors import registry

    from .test_engine_support import ScriptedAdapter

    calls = []

    class BatchAdapter(ScriptedAdapter):
        vendor = "scripted_batch"
        batch_polling = True

        def poll_many(self, tasks):
            calls.append(sorted(t.pk for t in tasks))
            return {t.pk: completed(f"r-{t.pk}") for t in tasks}

    with registry.registered("scripted_batch", BatchAdapter):
        first = scripted_task(vendor="scripted_batch")
        others = [scripted_task(account=first.account) for _ in range(2)]
        for task in [first, *others]:
            step(task)

        step(first)

    assert calls == [sorted(t.pk for t in [first, *others])]
    for task in [first, *others]:
        task.refresh_from_db()
        assert task.status == TaskStatus.REVIEW_SUBMITTED and task.lease_until is None
        assert task.outputs.get().vendor_result_id == f"r-{task.pk}"


def test_a_task_a_webhook_already_marked_completed_is_still_collected(scripted):
    from generations.lifecycle import advance_task

    task = scripted_task()
    step(task)
    advance_task(task, TaskStatus.GENERATION_COMPLETED)
    scripted.poll_results = [completed("r1")]

    step(task)

    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.count() == 1


def test_a_job_that_never_finishes_stops_being_polled_and_is_flagged(scripted, settings):
    settings.STUDIO_JOB_TIMEOUT_SECONDS = 60
    task = scripted_task()
    step(task)
    Task.objects.filter(pk=task.pk).update(submitted_at=timezone.now() - timezone.timedelta(minutes=5))

    step(task)

    assert task.needs_attention and task.step == "hold" and "not finished" in task.error_message
