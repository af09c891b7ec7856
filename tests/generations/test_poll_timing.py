"""When a running job is polled: at its expected finish (learned from the account's last jobs), not every interval;
and a batch poll waits a moment for the jobs due just after it, so one call reports on all of them."""
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from generations.engine import poll_timing
from generations.models import Task
from tests.factories import TaskFactory, VendorAccountFactory

pytestmark = pytest.mark.django_db
ADAPTER = SimpleNamespace(poll_interval=0.5)


@pytest.fixture(autouse=True)
def fresh_durations():
    poll_timing._DURATIONS.clear()
    yield
    poll_timing._DURATIONS.clear()


def finished_jobs(account, seconds: float, n: int = 3) -> None:
    for _ in range(n):
        TaskFactory(account=account, team=account.team, step="done", vendor_state={"took": seconds})


def running(account, started_ago: float) -> Task:
    return TaskFactory(account=account, team=account.team, step="poll",
                       submitted_at=timezone.now() - timedelta(seconds=started_ago))


def test_without_history_the_vendor_poll_interval_applies():
    task = running(VendorAccountFactory(), 0)
    assert poll_timing.delay(ADAPTER, task) == ADAPTER.poll_interval


def test_a_job_is_polled_when_the_account_s_jobs_usually_finish_not_every_interval():
    account = VendorAccountFactory()
    finished_jobs(account, 9.0)
    task = running(account, 1.0)

    assert 7.9 < poll_timing.delay(ADAPTER, task) < 8.2  # 9 s after it started, not 0.5 s from now


def test_a_job_past_its_expected_finish_is_asked_about_again_soon():
    account = VendorAccountFactory()
    finished_jobs(account, 2.0)
    task = running(account, 3.0)

    assert poll_timing.delay(ADAPTER, task) == pytest.approx(ADAPTER.poll_interval * poll_timing.LATE_RETRY_SHARE)


def test_a_batch_poll_waits_briefly_for_a_job_due_just_after_it_and_not_for_later_ones():
    account = VendorAccountFactory()
    finished_jobs(account, 2.0)
    task = running(account, 2.0)  # due now
    window = min(2.0 * poll_timing.GATHER_OF_DURATION, ADAPTER.poll_interval * poll_timing.GATHER_OF_INTERVAL)

    running(account, 2.0 - window / 2)  # due half a window later: worth waiting for
    assert 0 < poll_timing.gather_wait(ADAPTER, task) <= window / 2 + poll_timing.DUE_MARGIN + 0.05

    Task.objects.filter(step="poll").exclude(pk=task.pk).update(submitted_at=timezone.now())  # due 2 s later
    assert poll_timing.gather_wait(ADAPTER, task) == 0.0
