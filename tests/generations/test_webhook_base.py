"""The shared webhook base, through a tiny test-only vendor view, plus the security cases every vendor inherits.

A vendor's webhook tests reuse the cases by subclassing WebhookSecurityCases and implementing its five hooks
(make_account, make_task, event_body, sign, completed_status); see TestBaseWebhookSecurity below.
"""
import json
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from generations.engine import queue
from generations.models import Task, TaskStatus, WebhookEvent
from generations.engine.webhooks import NormalizedEvent, WebhookView, vendor_webhook_path
from tests.factories import TaskFactory, VendorAccountFactory
from tests.generations.test_engine_support import scripted  # noqa: F401 - fixture

SECRET = "whsec-test-0123456789"
BODY_MARKER = "PRIVATE-CUSTOMER-DATA-7731"


class HookTestWebhookView(WebhookView):
    """Test-only vendor: JSON {"id", "type", "task_id", "status"}; statuses named like Huhu's."""

    vendor = "hooktest"
    _STATUS = {"running": TaskStatus.GENERATION_IN_PROCESS, "completed": TaskStatus.GENERATION_COMPLETED}

    def parse(self, request):
        body = json.loads(request.body)
        return [NormalizedEvent(event_id=body["id"], event_type=body["type"], vendor_task_id=body["task_id"],
                                payload=body, status=self._STATUS.get(body["status"], ""))]


@pytest.fixture
def published(monkeypatch):
    calls = []
    monkeypatch.setattr(queue, "queue_advance", lambda task_id, countdown=0: calls.append(task_id) or True)
    return calls


class WebhookSecurityCases:
    """Shared security cases. Subclasses implement the hooks; `published` records engine jobs queued."""

    # hooks ------------------------------------------------------------------------------------------------------
    def make_account(self):
        raise NotImplementedError

    def make_task(self, account) -> Task:
        raise NotImplementedError

    def event_body(self, task: Task | None, event_id: str, kind: str) -> bytes:
        """kind: "running" or "completed"; task None means a vendor id we never saw."""
        raise NotImplementedError

    def sign(self, account, body: bytes, *, secret: str | None = None, timestamp: float | None = None) -> dict:
        """Extra Client.post kwargs (HTTP_… headers) carrying a valid signature, or one made with `secret`."""
        raise NotImplementedError

    completed_status = TaskStatus.GENERATION_COMPLETED

    # helpers ----------------------------------------------------------------------------------------------------
    def post(self, account, body: bytes, headers: dict):
        return Client().post(vendor_webhook_path(account), data=body, content_type="application/json", **headers)

    def deliver(self, account, body: bytes, **sign_kwargs):
        return self.post(account, body, self.sign(account, body, **sign_kwargs))

    # cases ------------------------------------------------------------------------------------------------------
    @pytest.mark.django_db
    def test_a_signed_event_is_applied_and_the_engine_queued(self, published, django_capture_on_commit_callbacks):
        account = self.make_account()
        task = self.make_task(account)
        with django_capture_on_commit_callbacks(execute=True):
            response = self.deliver(account, self.event_body(task, "evt-1", "completed"))
        assert response.status_code == 200
        task.refresh_from_db()
        assert task.status == self.completed_status
        assert published == [task.pk]

    @pytest.mark.django_db
    def test_a_bad_signature_is_rejected_and_changes_nothing(self, caplog):
        account = self.make_account()
        task = self.make_task(account)
        body = self.event_body(task, "evt-1", "completed").replace(b"evt-1", BODY_MARKER.encode())
        response = self.deliver(account, body, secret="not-the-secret")
        assert response.status_code in (400, 403)
        task.refresh_from_db()
        assert task.status != self.completed_status and not WebhookEvent.objects.exists()
        assert BODY_MARKER not in caplog.text

    @pytest.mark.django_db
    def test_a_missing_signature_is_rejected(self):
        account = self.make_account()
        task = self.make_task(account)
        response = self.post(account, self.event_body(task, "evt-1", "completed"), {})
        assert response.status_code in (400, 403) and not WebhookEvent.objects.exists()

    @pytest.mark.django_db
    def test_another_accounts_secret_is_rejected(self):
        account, other = self.make_account(), self.make_account()
        task = self.make_task(account)
        body = self.event_body(task, "evt-1", "completed")
        response = self.post(account, body, self.sign(other, body))
        assert response.status_code in (400, 403) and not WebhookEvent.objects.exists()

    @pytest.mark.django_db
    @pytest.mark.parametrize("skew", [-301, 301])
    def test_a_timestamp_outside_five_minutes_is_rejected(self, skew):
        account = self.make_account()
        task = self.make_task(account)
        response = self.deliver(account, self.event_body(task, "evt-1", "completed"), timestamp=time.time() + skew)
        assert response.status_code in (400, 403) and not WebhookEvent.objects.exists()

    @pytest.mark.django_db
    def test_the_same_event_twice_is_applied_once_and_both_answered_2xx(
            self, published, django_capture_on_commit_callbacks):
        account = self.make_account()
        task = self.make_task(account)
        body = self.event_body(task, "evt-1", "completed")
        with django_capture_on_commit_callbacks(execute=True):
            first, second = self.deliver(account, body), self.deliver(account, body)
        assert (first.status_code, second.status_code) == (200, 200)
        assert WebhookEvent.objects.count() == 1 and published == [task.pk]

    @pytest.mark.django_db(transaction=True)
    def test_a_concurrent_duplicate_is_applied_once(self, published):
        account = self.make_account()
        task = self.make_task(account)
        body = self.event_body(task, "evt-1", "completed")
        headers = self.sign(account, body)
        barrier, statuses = threading.Barrier(2), []

        def deliver():
            try:
                barrier.wait(timeout=10)
                statuses.append(self.post(account, body, headers).status_code)
            finally:
                connection.close()

        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert statuses == [200, 200]
        assert WebhookEvent.objects.count() == 1 and published == [task.pk]

    @pytest.mark.django_db
    def test_an_event_for_an_unknown_task_is_answered_200_and_kept(self, published):
        account = self.make_account()
        response = self.deliver(account, self.event_body(None, "evt-9", "completed"))
        assert response.status_code == 200
        event = WebhookEvent.objects.get()
        assert event.task is None and event.processed_at is None and published == []

    @pytest.mark.django_db
    def test_an_out_of_order_event_never_moves_the_status_back(self):
        account = self.make_account()
        task = self.make_task(account)
        self.deliver(account, self.event_body(task, "evt-1", "completed"))
        self.deliver(account, self.event_body(task, "evt-2", "running"))
        task.refresh_from_db()
        assert task.status == self.completed_status


class TestBaseWebhookSecurity(WebhookSecurityCases):
    def make_account(self):
        account = VendorAccountFactory(vendor="hooktest")
        account.set_webhook_secret(f"{SECRET}-{account.pk}")  # each account its own secret
        account.save()
        return account

    def make_task(self, account):
        return TaskFactory(account=account, team=account.team, sku__project__program__team=account.team,
                           status=TaskStatus.TASK_SUBMITTED, step="poll", vendor_task_id=f"vt-{account.pk}")

    def event_body(self, task, event_id, kind):
        vendor_id = task.vendor_task_id if task else "vt-unknown"
        return json.dumps({"id": event_id, "type": f"task.{kind}", "task_id": vendor_id, "status": kind}).encode()

    def sign(self, account, body, *, secret=None, timestamp=None):
        stamp = str(int(timestamp if timestamp is not None else time.time()))
        key = secret or account.reveal_webhook_secret()
        return {"HTTP_X_SIGNATURE": WebhookView.sign(key, stamp, body), "HTTP_X_TIMESTAMP": stamp}


@pytest.mark.django_db
def test_an_unknown_account_token_is_404():
    response = Client().post("/webhooks/hooktest/no-such-token/", data=b"{}", content_type="application/json")
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_vendor_without_a_webhook_view_is_404():
    account = VendorAccountFactory(vendor="sandbox")
    response = Client().post(vendor_webhook_path(account), data=b"{}", content_type="application/json")
    assert response.status_code == 404


@pytest.mark.django_db
def test_get_is_not_allowed():
    account = VendorAccountFactory(vendor="hooktest")
    assert Client().get(vendor_webhook_path(account)).status_code == 405


@pytest.mark.django_db
def test_a_webhook_for_a_finished_task_is_answered_200_and_changes_nothing():
    case = TestBaseWebhookSecurity()
    account = case.make_account()
    task = case.make_task(account)
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.REVIEW_SUBMITTED, step="done")
    response = case.deliver(account, case.event_body(task, "evt-1", "running"))
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.status == TaskStatus.REVIEW_SUBMITTED
    assert WebhookEvent.objects.get().processed_at is not None


@pytest.mark.django_db
def test_an_event_before_the_vendor_id_is_saved_is_kept_and_applied_once_when_it_is():
    """RELIABILITY.md: a webhook that arrives before the submit transaction commits is kept and applied."""
    from generations.engine.webhooks import apply_pending

    case = TestBaseWebhookSecurity()
    account = case.make_account()
    task = case.make_task(account)
    Task.objects.filter(pk=task.pk).update(vendor_task_id="")  # the submit step has not saved it yet
    body = json.dumps({"id": "evt-early", "type": "task.completed", "task_id": "vt-early", "status": "completed"})
    assert case.deliver(account, body.encode()).status_code == 200
    stored = WebhookEvent.objects.get()
    assert stored.task is None and stored.processed_at is None

    Task.objects.filter(pk=task.pk).update(vendor_task_id="vt-early")  # the engine records the submission
    task.refresh_from_db()
    assert apply_pending(task) is True
    task.refresh_from_db()
    stored.refresh_from_db()
    assert task.status == TaskStatus.GENERATION_COMPLETED
    assert stored.task_id == task.pk and stored.processed_at is not None
    assert apply_pending(task) is False  # applied once


@pytest.mark.django_db
def test_the_engine_applies_an_early_event_when_it_records_the_submission(monkeypatch, scripted):
    from generations.engine import runs
    from tests.generations.test_engine_support import scripted_task

    monkeypatch.setattr(queue, "queue_advance", lambda task_id, countdown=0: True)
    task = scripted_task()
    vendor_id = f"job-{task.pk}-1"  # what the scripted adapter's first submission returns
    WebhookEvent.objects.create(account=task.account, vendor="hooktest", event_id="evt-1", event_type="task.running",
                                payload={"studio_pending": {"vendor_task_id": vendor_id,
                                                            "status": TaskStatus.GENERATION_IN_PROCESS}})
    Task.objects.filter(pk=task.pk).update(next_run_at=None)
    assert runs.advance(task.pk) == "submit"
    task.refresh_from_db()
    assert task.vendor_task_id == vendor_id and task.status == TaskStatus.GENERATION_IN_PROCESS
    assert task.step == "poll" and WebhookEvent.objects.get().processed_at is not None
