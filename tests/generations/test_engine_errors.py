"""How the engine answers each branch of the error tree (DESIGN.md §3, RELIABILITY.md "Vendors")."""
from decimal import Decimal

import pytest

from generations.engine import runs
from generations.models import AccountState, TaskStatus
from generations.vendors.base import AuthError, InsufficientCredits, RateLimited, Unavailable, ValidationFailed

from .test_engine_support import queued, scripted, scripted_task, seconds_until_next_run, step  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_429_waits_at_least_retry_after(scripted):
    task = scripted_task()
    scripted.submit_results = [RateLimited("slow down", retry_after=30, status_code=429)]

    step(task)

    assert seconds_until_next_run(task) >= 29
    assert task.status == TaskStatus.TASK_CREATED and task.step == "submit" and task.attempt_started_at is None
    assert runs.advance(task.pk) is None  # a job arriving before Retry-After has passed does nothing
    assert len(scripted.submits) == 1


def test_a_429_without_retry_after_still_waits_at_least_a_second(scripted):
    task = scripted_task()
    scripted.submit_results = [RateLimited("slow down", retry_after=0)]

    step(task)

    assert seconds_until_next_run(task) >= 0.9


def test_a_402_pauses_the_account_keeps_the_queue_and_resumes_when_credits_return(scripted, queued, settings):
    settings.STUDIO_BALANCE_RECHECK_SECONDS = 0
    first = scripted_task()
    second = scripted_task(account=first.account)
    scripted.submit_results = [InsufficientCredits("Insufficient credits", status_code=402)]

    step(first)
    step(second)

    first.account.refresh_from_db()
    assert first.account.state == AccountState.PAUSED and "out of credits" in first.account.state_message
    assert len(scripted.submits) == 1  # the second task did not even try
    for task in (first, second):
        task.refresh_from_db()
        assert task.status == TaskStatus.TASK_CREATED and task.step == "submit" and not task.needs_attention

    scripted.balance = Decimal("0")
    runs.sweep()
    first.account.refresh_from_db()
    assert first.account.state == AccountState.PAUSED
    assert not {first.pk, second.pk} & {pk for pk, _ in queued}

    scripted.balance = Decimal("50")
    runs.sweep()
    first.account.refresh_from_db()
    assert first.account.state == AccountState.ACTIVE and first.account.credit_balance == 50
    assert {first.pk, second.pk} <= {pk for pk, _ in queued}
    runs.advance(first.pk), runs.advance(second.pk)
    assert len(scripted.submits) == 3


def test_a_401_disables_the_account_and_leaves_the_task_queued_without_retrying(scripted):
    task = scripted_task()
    scripted.submit_results = [AuthError("Invalid API key", status_code=401)]

    step(task)
    step(task)

    task.account.refresh_from_db()
    assert task.account.state == AccountState.DISABLED and "rejected the API key" in task.account.state_message
    assert len(scripted.submits) == 1
    assert task.status == TaskStatus.TASK_CREATED and task.step == "submit"


def test_5xx_backs_off_with_the_same_attempt_key_then_succeeds(scripted):
    task = scripted_task()
    scripted.submit_results = [Unavailable("bad gateway", status_code=502), Unavailable("timeout")]

    step(task)
    assert seconds_until_next_run(task) > 0.5 and task.error_message  # backoff, never under a second
    step(task)
    step(task)

    assert len(scripted.submits) == 3 and len(set(scripted.submits)) == 1
    assert task.status == TaskStatus.TASK_SUBMITTED and task.step == "poll" and task.error_message == ""


def test_5xx_forever_fails_the_task_after_the_configured_attempts(scripted, settings):
    settings.STUDIO_MAX_ATTEMPTS = 3
    task = scripted_task()
    scripted.submit_results = [Unavailable("service unavailable", status_code=503)] * 5

    for _ in range(3):
        step(task)

    assert len(scripted.submits) == 3
    assert task.status == TaskStatus.GENERATION_FAILED
    assert "service unavailable" in task.error_message and "3 attempts" in task.error_message


def test_a_422_fails_the_task_with_the_vendors_message(scripted):
    task = scripted_task()
    scripted.submit_results = [ValidationFailed("garment_image must be at least 512px", status_code=422)]

    step(task)

    assert task.status == TaskStatus.GENERATION_FAILED
    assert "garment_image must be at least 512px" in task.error_message
    assert task.step == "done"


def test_a_step_that_keeps_dying_is_failed_after_the_bound(scripted, settings):
    settings.STUDIO_MAX_ATTEMPTS = 2
    task = scripted_task()
    # Three claims whose worker died before recording anything: the attempts counter kept climbing.
    task.__class__.objects.filter(pk=task.pk).update(attempts=2)

    step(task)

    assert task.status == TaskStatus.GENERATION_FAILED and scripted.submits == []
