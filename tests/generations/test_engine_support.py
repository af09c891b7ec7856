"""Shared pieces for the engine tests (no tests here): a scripted adapter registered under test-only vendor names,
and helpers that run one engine step as a worker would.

The scripted adapter is told what its vendor will answer (Submission, PollResult or an error from the tree) and
records every paid call with the attempt key it carried, so a test can count submissions exactly.
"""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image

from generations.engine import queue
from generations.engine import runs
from generations.models import Task
from generations.vendors import registry
from generations.vendors.base import (Balance, Capabilities, OperationSpec, PollResult, RemoteOutput, Submission,
                                      VendorAdapter)
from tests.factories import GarmentImageFactory, TaskFactory, VendorAccountFactory


class Script:
    def __init__(self):
        self.submits: list[str] = []  # attempt keys, one per paid call
        self.submit_results: list = []
        self.poll_results: list = []
        self.found: Submission | None = None
        self.find_calls = 0
        self.balance = Decimal("0")
        self.during_submit = None  # callable(task) run inside the paid call

    def next(self, queue: list, default):
        result = queue.pop(0) if queue else default
        if isinstance(result, Exception):
            raise result
        return result


SCRIPT = Script()


class ScriptedAdapter(VendorAdapter):
    vendor = "scripted"
    label = "Scripted vendor"
    can_reconcile = True
    poll_interval = 2.0
    capabilities = Capabilities({"try_on": OperationSpec("try_on", outputs_max=4, needs_garment=True)})

    def estimate(self, operation, options, num_outputs):
        return Decimal("2") * num_outputs

    def check_balance(self):
        return Balance(credits=SCRIPT.balance)

    def submit(self, task):
        self._before_send("POST", "/scripted/jobs")  # the paid request leaves here (vendors/http.py before_send)
        SCRIPT.submits.append(task.attempt_key)
        if SCRIPT.during_submit:
            SCRIPT.during_submit(task)
        return SCRIPT.next(SCRIPT.submit_results, Submission(f"job-{task.pk}-{len(SCRIPT.submits)}"))

    def find_submission(self, task):
        SCRIPT.find_calls += 1
        return SCRIPT.found

    def poll(self, task):
        return SCRIPT.next(SCRIPT.poll_results, PollResult(state="running"))


class NoReconcileAdapter(ScriptedAdapter):
    vendor = "scripted_norec"
    can_reconcile = False


@pytest.fixture
def scripted():
    global SCRIPT
    SCRIPT.__init__()
    with registry.registered("scripted", ScriptedAdapter), registry.registered("scripted_norec", NoReconcileAdapter):
        yield SCRIPT


def png(color=(40, 90, 200), size=(32, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def completed(*result_ids: str) -> PollResult:
    return PollResult(state="completed", vendor_status="Generation completed",
                      outputs=[RemoteOutput(result_id=r, data=png()) for r in result_ids])


def scripted_task(vendor="scripted", account=None, **kwargs) -> Task:
    if account is None:
        account = VendorAccountFactory(vendor=vendor)
    task = TaskFactory(account=account, team=account.team, sku__project__program__team=account.team, **kwargs)
    task.garment_images.add(GarmentImageFactory(sku=task.sku))
    return task


def step(task: Task) -> str | None:
    """Run the task's next step now (as if its countdown had passed) and reload it."""
    Task.objects.filter(pk=task.pk).update(next_run_at=None)
    ran = runs.advance(task.pk)
    task.refresh_from_db()
    return ran


def seconds_until_next_run(task: Task) -> float:
    return (task.next_run_at - timezone.now()).total_seconds()


@pytest.fixture
def queued(monkeypatch):
    """Record publishes instead of reaching a broker (the default filesystem broker folder is shared)."""

    calls: list[tuple[int, float]] = []

    def record(task_id, countdown=0):
        calls.append((task_id, countdown))
        return True

    monkeypatch.setattr(queue, "queue_advance", record)
    return calls
