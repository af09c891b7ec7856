"""Per-account concurrency and rate hold across workers: the database under a row lock decides, oldest first."""
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from generations.engine import limits
from generations.engine import runs
from generations.models import Task, TaskStatus
from generations.vendors.base import PollResult

from .test_engine_support import (completed, queued, scripted, scripted_task, seconds_until_next_run,  # noqa: F401
                                  step)


def two_tasks(limit=1, per_minute=None):
    first = scripted_task()
    first.account.concurrency_limit = limit
    first.account.submissions_per_minute = per_minute
    first.account.save()
    second = scripted_task(account=first.account)
    return first, second


@pytest.mark.django_db
def test_a_task_over_the_concurrency_limit_waits_without_calling_the_vendor(scripted):
    first, second = two_tasks(limit=1)
    step(first)

    step(second)

    assert len(scripted.submits) == 1
    assert second.step == "submit" and second.status == TaskStatus.TASK_CREATED
    assert second.attempt_started_at is None and seconds_until_next_run(second) > 0


@pytest.mark.django_db
def test_a_finished_task_frees_its_slot_for_the_next(scripted, queued):
    first, second = two_tasks(limit=1)
    step(first)
    step(second)
    scripted.poll_results = [completed("r1")]

    step(first)  # completes: the slot frees and the waiting task is made due
    second.refresh_from_db()
    assert second.next_run_at <= timezone.now()

    assert runs.advance(second.pk) == "submit"  # due now, without waiting out its slot wait
    assert len(scripted.submits) == 2


@pytest.mark.django_db
def test_the_oldest_waiting_task_goes_first(scripted):
    first, second = two_tasks(limit=1)

    step(second)  # the younger task's job happens to run first
    assert scripted.submits == []
    step(first)
    assert len(scripted.submits) == 1 and scripted.submits[0] == Task.objects.get(pk=first.pk).attempt_key


@pytest.mark.django_db
def test_submissions_per_minute_hold(scripted):
    first, second = two_tasks(limit=5, per_minute=1)
    step(first)

    step(second)

    assert len(scripted.submits) == 1
    assert seconds_until_next_run(second) >= 55


@pytest.mark.django_db
def test_an_unknown_outcome_still_occupies_its_slot(scripted):
    first, second = two_tasks(limit=1)
    scripted.poll_results = [PollResult(state="running")]
    Task.objects.filter(pk=first.pk).update(attempt_key="k", attempt_started_at=first.created_at)

    assert limits.in_flight(first.account_id, exclude_task_id=second.pk) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_the_last_slot_cannot_both_win(scripted, queued):
    """Two threads (two database connections, like two worker processes) advance two tasks at once."""
    first, second = two_tasks(limit=1)
    Task.objects.filter(pk__in=[first.pk, second.pk]).update(created_at=first.created_at)  # neither is older
    scripted.during_submit = lambda task: time.sleep(0.5)  # hold the paid call open while the other tries
    barrier = threading.Barrier(2)
    errors = []

    def advance(task_id):
        try:
            barrier.wait(timeout=10)
            runs.advance(task_id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=advance, args=(pk,)) for pk in (first.pk, second.pk)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(scripted.submits) == 1
    steps = sorted(Task.objects.filter(pk__in=[first.pk, second.pk]).values_list("step", flat=True))
    assert steps == ["poll", "submit"]


@pytest.mark.django_db
def test_a_paused_batch_waits_without_holding_up_younger_work(scripted):
    from tests.factories import BatchFactory

    first, second = two_tasks(limit=1)
    Task.objects.filter(pk=first.pk).update(batch=BatchFactory(project=first.sku.project, state="paused"))

    step(first)
    step(second)

    assert len(scripted.submits) == 1 and scripted.submits[0] == Task.objects.get(pk=second.pk).attempt_key
    first.refresh_from_db()
    assert first.step == "submit" and first.attempt_key == ""


@pytest.mark.django_db
def test_a_task_of_a_cancelled_batch_is_never_submitted(scripted):
    from tests.factories import BatchFactory

    task = scripted_task()
    Task.objects.filter(pk=task.pk).update(batch=BatchFactory(project=task.sku.project, state="cancelled"))

    step(task)

    assert scripted.submits == []
    assert task.status == TaskStatus.GENERATION_FAILED and task.step == "done"


@pytest.mark.django_db
def test_a_launch_queues_only_as_many_first_runs_as_there_are_free_slots(scripted, queued, django_capture_on_commit_callbacks):
    first = scripted_task()
    first.account.concurrency_limit = 3
    first.account.save()
    tasks = [first] + [scripted_task(account=first.account) for _ in range(7)]

    with django_capture_on_commit_callbacks(execute=True):
        woken = limits.admit(first.account_id, [t.pk for t in tasks])

    assert woken == [t.pk for t in tasks[:3]]  # the oldest, one per free slot
    assert sorted(pk for pk, _ in queued) == sorted(woken)  # no broker message for the seven that must wait
    parked = Task.objects.filter(pk__in=[t.pk for t in tasks[3:]])
    assert all(t.vendor_state.get("waiting") == limits.WAITING and seconds_until_next_run(t) > 60 for t in parked)


@pytest.mark.django_db
def test_parked_tasks_start_in_order_as_slots_free(scripted, queued):
    first = scripted_task()
    first.account.concurrency_limit = 1
    first.account.save()
    tasks = [first] + [scripted_task(account=first.account) for _ in range(2)]
    limits.admit(first.account_id, [t.pk for t in tasks])
    step(tasks[0])
    scripted.poll_results = [completed("r1")]

    step(tasks[0])  # done: its slot frees and only the next oldest is made due

    tasks[1].refresh_from_db()
    tasks[2].refresh_from_db()
    assert tasks[1].next_run_at <= timezone.now() and seconds_until_next_run(tasks[2]) > 60
    assert runs.advance(tasks[1].pk) == "submit" and len(scripted.submits) == 2
