"""Huhu's pace (issue 13, point 2): no Huhu endpoint is called again for the same request within 5 s.

001 §5.16 GET /model/image: "Call every 5-10 seconds"; §10 "Poll /task every 5-10 seconds (not faster)"; 000 "Poll
gently … every 5-10 seconds, not faster". The fake records every repeat of a request within 5 s of its clock
(`pace_violations`). The engine runs here on a virtual clock shared with the fake: each step runs when the engine
scheduled it (the earliest next_run_at first) and the clock jumps there, so what the fake sees is the engine's own
schedule — the late re-poll at 0.3 × the interval included — without waiting in real time."""
import time
from datetime import UTC, datetime

import pytest
from django.db.models import F
from django.utils import timezone

from generations.engine import poll_timing
from generations.engine import runs
from generations.models import Task, TaskStatus
from generations.vendors.huhu import catalog as huhu_catalog
from tests.factories import SKUFactory
from tests.vendors.huhu.test_support import (huhu_account, other_task, queued, start_fake,  # noqa: F401
                                                         try_on_task)

pytestmark = pytest.mark.django_db


class VirtualClock:
    """Real time plus the jumps made so far: time.time and django.utils.timezone.now both read it."""

    def __init__(self, monkeypatch):
        self.real, self.offset = time.time, 0.0
        monkeypatch.setattr(time, "time", self.now)
        monkeypatch.setattr(timezone, "now", lambda: datetime.fromtimestamp(self.now(), UTC))
        # The adapter's own waits take virtual time too (raising=False: the hook is new with the pace rule).
        monkeypatch.setattr(huhu_catalog, "pause", self.jump, raising=False)
        poll_timing._DURATIONS.clear()

    def now(self) -> float:
        return self.real() + self.offset

    def jump(self, seconds: float) -> None:
        self.offset += max(0.0, seconds)
        if seconds > poll_timing.DURATION_TTL:  # its per-process cache expires on time.monotonic, which stays real
            poll_timing._DURATIONS.clear()

    def run(self, tasks: list[Task], limit: int = 400) -> None:
        """Run every due step, earliest first, until all tasks are done or held."""
        for _ in range(limit):
            active = Task.objects.filter(pk__in=[t.pk for t in tasks]).exclude(step__in=("done", "hold"))
            # No next_run_at means due now: first, on every database (PostgreSQL sorts NULLs last by default).
            task = active.order_by(F("next_run_at").asc(nulls_first=True), "pk").first()
            if task is None:
                return
            if task.next_run_at is not None:
                self.jump(task.next_run_at.timestamp() - self.now())
            runs.advance(task.pk)
        raise AssertionError("the tasks did not settle")


@pytest.fixture
def clock(monkeypatch):
    yield VirtualClock(monkeypatch)
    poll_timing._DURATIONS.clear()  # durations learnt on the virtual clock must not leak into the next test


@pytest.fixture
def fake(settings):
    server = start_fake(settings, latency=12)
    yield server
    server.stop()


def settled(tasks):
    for task in tasks:
        task.refresh_from_db()
    return {t.status for t in tasks}


@pytest.mark.parametrize("operation, path", [("upscale", "/upscale"), ("face", "/model/image")])
def test_requests_polled_by_request_id_are_never_polled_twice_within_five_seconds(fake, clock, queued,
                                                                                    operation, path):
    account = huhu_account(fake)
    first = [other_task(account, operation, prompt="Headshot front facing portrait") for _ in range(2)]
    clock.run(first)  # they teach the engine how long a job takes (12 s)
    fake.latency = 40  # the next ones take longer than expected: the late re-polls are where the pace broke
    later = [other_task(account, operation, prompt="Headshot front facing portrait") for _ in range(6)]
    clock.run(later)
    assert settled(first + later) == {TaskStatus.REVIEW_SUBMITTED}
    polls = sum(1 for r in fake.requests if r.method == "GET" and r.path.endswith(path))
    assert [v for v in fake.pace_violations if v["path"] == path] == [] and polls <= 2 * 4 + 6 * (40 // 5 + 2)
    assert fake.pace_report() == []  # linking each task's program, uploading: no repeats either


def test_try_ons_poll_one_task_list_per_program_and_repeat_no_request_within_five_seconds(fake, clock, queued):
    account = huhu_account(fake)
    both = try_on_task(account, back=True)
    tasks = [both] + [try_on_task(account, sku=SKUFactory(project=both.sku.project)) for _ in range(3)]
    clock.run(tasks)
    assert settled(tasks) == {TaskStatus.REVIEW_SUBMITTED}
    assert [v for v in fake.pace_violations if v["path"] == "/task"] == [] and fake.pace_report() == []
    lists = [r for r in fake.requests if r.method == "GET" and r.path.endswith("/task") and "task_id" not in r.query]
    assert len(lists) <= 2 + 12 // 5 + 2  # tasks created and found once, then one list per poll round for all four
