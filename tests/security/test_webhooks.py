"""Issue 14.7 and 14.8: webhook dedupe is per vendor account; only finite integer timestamps pass."""
import json
import time

import pytest
from django.test import Client

from generations.models import Task, TaskStatus, WebhookEvent
from generations.engine.webhooks import WebhookView, vendor_webhook_path
from tests.generations.test_webhook_base import TestBaseWebhookSecurity, published  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
case = TestBaseWebhookSecurity()


def _body(event_id, vendor_task_id, status="completed"):
    return json.dumps({"id": event_id, "type": f"task.{status}", "task_id": vendor_task_id, "status": status}).encode()


def test_another_teams_event_with_our_vendor_job_id_does_not_swallow_our_delivery(published):
    ours, theirs = case.make_account(), case.make_account()
    assert ours.team_id != theirs.team_id
    task = case.make_task(ours)
    body = _body("evt-shared-1", task.vendor_task_id)
    # The other team signs the same event id with its own (valid) secret, first.
    assert case.deliver(theirs, body).status_code == 200
    # Our genuine delivery still applies.
    assert case.deliver(ours, body).status_code == 200
    task.refresh_from_db()
    assert task.status == TaskStatus.GENERATION_COMPLETED
    assert WebhookEvent.objects.filter(account=ours, event_id="evt-shared-1", task=task).exists()


def test_a_repeat_on_the_same_account_is_still_applied_once(published):
    account = case.make_account()
    task = case.make_task(account)
    body = _body("evt-2", task.vendor_task_id)
    assert case.deliver(account, body).status_code == 200
    assert case.deliver(account, body).status_code == 200
    assert WebhookEvent.objects.filter(account=account).count() == 1


@pytest.mark.parametrize("stamp", ["nan", "NaN", "inf", "-inf", "infinity", "1e9", "", " ", "12.5", "-1",
                                   "0x65", "１７００００００００", "99999999999999999999999"])
def test_a_timestamp_that_is_not_a_finite_integer_is_rejected(stamp, published):
    account = case.make_account()
    task = case.make_task(account)
    body = _body("evt-3", task.vendor_task_id)
    signature = WebhookView.sign(account.reveal_webhook_secret(), stamp, body)
    response = Client().post(vendor_webhook_path(account), data=body, content_type="application/json",
                             HTTP_X_SIGNATURE=signature, HTTP_X_TIMESTAMP=stamp)
    assert response.status_code in (400, 403)
    assert not WebhookEvent.objects.exists()
    assert Task.objects.get(pk=task.pk).status == TaskStatus.TASK_SUBMITTED


def test_a_current_integer_timestamp_in_milliseconds_is_accepted(published):
    account = case.make_account()
    task = case.make_task(account)
    assert case.deliver(account, _body("evt-4", task.vendor_task_id), timestamp=time.time() * 1000).status_code == 200
