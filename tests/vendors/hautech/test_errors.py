"""Hautech errors through the one error tree: 4xx fail with the message, 5xx retried, 401 disables, 429 waits, and
a crash around the paid run is reconciled from the adapter's own journal, never paid twice."""
import pytest

from generations.models import AccountState, Task, TaskStatus
from generations.vendors.base import ValidationFailed
from generations.vendors.hautech.adapter import HautechAdapter
from tests.generations.test_engine_support import seconds_until_next_run, step

from tests.vendors.hautech.test_support import drive, fake, hautech_account, hautech_task  # noqa: F401

pytestmark = pytest.mark.django_db
RUN = r"^/v1/workflows/run/"


def test_a_422_from_hautech_fails_the_task_with_hautechs_message(fake):
    fake.inject(status=422, payload={"statusCode": 422, "message": "prompt must not be empty"}, path=RUN)
    task = hautech_task(hautech_account(fake))

    drive(task, fake)

    assert task.status == TaskStatus.GENERATION_FAILED
    assert "prompt must not be empty" in task.error_message
    assert fake.paid_runs == 0


def test_an_input_the_document_does_not_list_is_refused_with_every_reason_hautech_gives(fake):
    adapter = HautechAdapter(hautech_account(fake))

    with pytest.raises(ValidationFailed) as refused:
        adapter.run("naomi", {"colour": "red"})

    assert str(refused.value) == ("colour is not a parameter of this workflow; poseId is required; imageId is "
                                  "required; prompt is required (HTTP 422)")


def test_a_500_on_the_paid_run_is_retried_and_paid_once(fake):
    fake.inject(status=500, payload={"message": "Internal server error"}, path=RUN)
    task = hautech_task(hautech_account(fake))

    step(task)
    assert task.step == "submit" and task.error_message.startswith("Internal server error")
    drive(task, fake)

    assert task.status == TaskStatus.REVIEW_SUBMITTED
    assert fake.paid_runs == 1


def test_a_503_on_the_paid_run_is_an_unknown_outcome_held_for_a_person(fake):
    # A gateway's 503 says nothing about whether the run started behind it, and Hautech has no run listing.
    fake.inject(status=503, payload={"message": "Service Unavailable"}, path=RUN)
    task = hautech_task(hautech_account(fake))

    drive(task, fake)

    assert task.step == "hold" and task.outcome_unknown and "Hautech dashboard" in task.error_message
    assert "/v1/workflows/run/" in task.error_message and fake.paid_runs == 0
    assert len(fake.runs) == 0


def test_a_dropped_connection_on_upload_is_retried(fake):
    fake.inject("drop", path=r"^/v1/images/upload/initialize")
    task = hautech_task(hautech_account(fake))

    drive(task, fake)

    assert task.status == TaskStatus.REVIEW_SUBMITTED and len(fake.uploaded) == 2


def test_a_rejected_key_disables_the_account_and_keeps_the_task_queued(fake):
    account = hautech_account(fake, key="hk-revoked")
    task = hautech_task(account)

    step(task)

    account.refresh_from_db()
    assert account.state == AccountState.DISABLED and "Unauthorized" in account.state_message
    assert task.status == TaskStatus.TASK_CREATED and task.step == "submit"
    assert fake.paid_runs == 0 and "hk-revoked" not in account.state_message


def test_a_429_waits_at_least_retry_after_without_spending_an_attempt(fake):
    fake.inject(status=429, payload={"message": "Too Many Requests"}, headers={"Retry-After": "30"}, path=RUN)
    task = hautech_task(hautech_account(fake))

    step(task)

    assert task.step == "submit" and task.attempts == 0 and not task.attempt_started_at
    assert seconds_until_next_run(task) >= 29
    drive(task, fake)
    assert fake.paid_runs == 1


def test_a_pipeline_hautech_no_longer_knows_is_held_not_resubmitted(fake):
    task = hautech_task(hautech_account(fake))
    step(task)
    fake.pipelines.clear()

    drive(task, fake)

    assert task.step == "hold" and task.needs_attention and fake.paid_runs == 1


def test_a_crash_before_the_paid_run_was_sent_resubmits_safely(fake):
    task = hautech_task(hautech_account(fake))
    step(task)  # uploads done, generation submitted
    # Rewind to "attempt recorded, worker died before the run was sent" (the journal has no entry).
    Task.objects.filter(pk=task.pk).update(vendor_task_id="", step="submit", status=TaskStatus.TASK_CREATED,
                                           vendor_state={})
    fake.runs.clear()

    drive(task, fake)

    assert task.status == TaskStatus.REVIEW_SUBMITTED and fake.paid_runs == 1


def test_a_crash_after_hautech_answered_recovers_the_pipeline_id_from_the_journal(fake):
    task = hautech_task(hautech_account(fake))
    step(task)
    pipeline_id = task.vendor_task_id
    journal = task.vendor_state["hautech_submit"]
    # The worker died after the answer was journaled but before the engine saved the id.
    sent = {"at": task.attempt_started_at.isoformat(), "request": "POST /v1/workflows/run/naomi"}
    Task.objects.filter(pk=task.pk).update(vendor_task_id="", step="submit", status=TaskStatus.TASK_CREATED,
                                           vendor_state={"hautech_submit": journal, "sent": sent})

    drive(task, fake)

    assert task.vendor_task_id == pipeline_id and task.status == TaskStatus.REVIEW_SUBMITTED
    assert fake.paid_runs == 1


def test_a_crash_while_the_paid_run_was_in_flight_stops_for_a_person(fake):
    task = hautech_task(hautech_account(fake))
    step(task)
    # The worker died after the run request left (the engine's "sent" mark) and before any answer.
    sent = {"at": task.attempt_started_at.isoformat(), "request": "POST /v1/workflows/run/naomi"}
    Task.objects.filter(pk=task.pk).update(vendor_task_id="", step="submit", status=TaskStatus.TASK_CREATED,
                                           vendor_state={"sent": sent})

    drive(task, fake)

    assert task.step == "hold" and task.needs_attention
    assert "Hautech dashboard" in task.error_message and fake.paid_runs == 1


def test_the_api_key_never_reaches_the_logs_or_the_task(fake, caplog):
    caplog.set_level("DEBUG")
    task = hautech_task(hautech_account(fake, key="hk-secret-value"))
    fake.tokens.add("hk-secret-value")

    drive(task, fake)

    assert task.status == TaskStatus.REVIEW_SUBMITTED
    assert "hk-secret-value" not in caplog.text
    assert "hk-secret-value" not in str(task.vendor_state) + task.error_message


def test_a_402_pauses_the_account_and_keeps_the_task_queued(fake):
    fake.inject(status=402, payload={"statusCode": 402, "message": "Insufficient balance"}, path=RUN)
    account = hautech_account(fake)
    task = hautech_task(account)

    step(task)

    account.refresh_from_db()
    assert account.state == AccountState.PAUSED and "Insufficient balance" in account.state_message
    assert task.status == TaskStatus.TASK_CREATED and task.step == "submit" and fake.paid_runs == 0
