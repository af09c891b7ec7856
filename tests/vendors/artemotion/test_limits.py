"""ArtEmotion's rate limits ("Rate Limits": 10 try-on submissions and 120 status polls per minute per API key) hold
across every worker process: our own count (database row lock) stops the call before the vendor would refuse it."""
import time

import pytest

from generations.engine import queue
from generations.models import Task, TaskStatus
from generations.vendors.artemotion import adapter as artemotion
from generations.vendors.artemotion.adapter import ArtEmotionAdapter, take_slot
from generations.vendors.base import RateLimited
from tests.conftest import wait_for

from tests.vendors.artemotion.test_support import KEY, account, fake, queued, step, tryon_task  # noqa: F401


@pytest.mark.django_db
def test_the_adapter_declares_the_documented_submission_rate():
    assert ArtEmotionAdapter.submissions_per_minute == 10


@pytest.mark.django_db
@pytest.mark.usefixtures("queued")
def test_the_eleventh_submission_in_a_minute_waits_instead_of_calling(fake, account):
    tasks = [tryon_task(account) for _ in range(11)]
    for task in tasks:
        step(task)

    assert fake.submissions_for(KEY) == 10
    waiting = Task.objects.get(pk=tasks[-1].pk)
    assert waiting.step == "submit" and waiting.status == TaskStatus.TASK_CREATED
    assert fake.rejected[(KEY, "tryon")] == 0


@pytest.mark.django_db
@pytest.mark.usefixtures("queued")
def test_the_121st_status_poll_in_a_minute_waits_instead_of_calling(fake, account):
    task = tryon_task(account)
    step(task)
    adapter = ArtEmotionAdapter(account)
    for _ in range(120):
        adapter.poll(task)

    with pytest.raises(RateLimited) as caught:
        adapter.poll(task)

    assert 0 < caught.value.retry_after <= artemotion.WINDOW_SECONDS  # until the oldest poll leaves the window
    assert len([r for r in fake.requests if "/jobs/" in r.path]) == 120
    assert fake.rejected[(KEY, "poll")] == 0


@pytest.mark.django_db
def test_a_slot_frees_when_the_oldest_call_leaves_the_minute_plus_a_second_of_margin(account, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(artemotion.time, "time", lambda: now[0])
    for second in range(3):
        now[0] = 1_000_000.0 + second
        assert take_slot(account.pk, "poll", 3) == 0.0
    now[0] = 1_000_010.0
    assert take_slot(account.pk, "poll", 3) == pytest.approx(51.0)
    now[0] = 1_000_060.5
    assert take_slot(account.pk, "poll", 3) > 0  # ArtEmotion may still count the first call
    now[0] = 1_000_061.5
    assert take_slot(account.pk, "poll", 3) == 0.0


@pytest.mark.services
def test_two_worker_processes_keep_to_ten_submissions_a_minute_and_the_poll_limit(worker, fake, settings):
    """12 try-ons on one key, two worker processes: ten go at once, two wait for the minute to pass; no call ever
    meets ArtEmotion's 429, and every task ends with exactly one paid submission."""
    from tests.vendors.artemotion.test_support import artemotion_account

    fake.run_seconds = 3.0
    account = artemotion_account(fake, concurrency_limit=20)
    tasks = [tryon_task(account) for _ in range(12)]
    host, port = fake._server.server_address[:2]
    worker.env_extra.update(STUDIO_FETCH_ALLOW_HOSTS=f"{host}:{port}", STUDIO_PUBLIC_URL="https://studio.example.com")
    worker.start(concurrency=2, queues="vendor,media", name="ae-a")
    worker.start(concurrency=2, queues="vendor,media", name="ae-b")
    for task in tasks:
        queue.queue_advance(task.pk)

    wait_for(lambda: fake.submissions_for(KEY) >= 10, timeout=60, message="the first ten submissions")
    started = time.monotonic()
    time.sleep(5)
    assert fake.submissions_for(KEY) == 10  # the other two wait for the window, they do not hit the 429
    wait_for(lambda: Task.objects.filter(pk__in=[t.pk for t in tasks], step="done").count() == 12,
             timeout=150, interval=1.0, message="all twelve tasks to finish")

    assert time.monotonic() - started >= 45  # the 11th went only once the minute had passed
    assert fake.busiest_minute(KEY) <= 10
    assert fake.rejected[(KEY, "tryon")] == 0 and fake.rejected[(KEY, "poll")] == 0
    assert fake.submissions_for(KEY) == 12
    assert set(Task.objects.filter(pk__in=[t.pk for t in tasks]).values_list("status", flat=True)) == {
        TaskStatus.REVIEW_SUBMITTED}
