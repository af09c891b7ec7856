"""Uwear webhooks (seed 002: request-level webhook_url / webhook_secret, events generation.completed and
generation.failed, assets in data.results): the security cases every vendor shares, and deliveries from the fake
finishing real jobs. Signing is our assumption (see generations/vendors/uwear_webhook.py)."""
import json
import time

import pytest

from generations.engine import queue
from generations.models import Task, TaskStatus, Vendor, WebhookEvent
from generations.vendors.uwear.webhook import UwearWebhookView, sign
from tests.factories import TaskFactory, VendorAccountFactory
from tests.generations.test_webhook_base import WebhookSecurityCases, published  # noqa: F401

from tests.vendors.uwear.test_support import SECRET, account, deliver, fake, fixture, step, try_on_task  # noqa: F401

_numbers = iter(range(5000, 10**6))


class TestUwearWebhookSecurity(WebhookSecurityCases):
    def make_account(self):
        account = VendorAccountFactory(vendor=Vendor.UWEAR)
        account.set_webhook_secret(f"{SECRET}-{account.pk}")
        account.save()
        return account

    def make_task(self, account):
        return TaskFactory(account=account, team=account.team, sku__project__program__team=account.team,
                           status=TaskStatus.TASK_SUBMITTED, step="poll", vendor_task_id=str(next(_numbers)))

    def event_body(self, task, event_id, kind):
        """Uwear sends only terminal events; the only out-of-order delivery it can make is a second, contrary
        terminal event, so "running" is played by a late generation.failed. Uwear's envelope has no event id:
        dedupe is on event + generation (event_id is unused)."""
        generation_id = int(task.vendor_task_id) if task else 999999
        body = fixture("webhook_completed.json")
        body["data"]["generation_id"] = generation_id
        if kind != "completed":
            body = {"event": "generation.failed", "data": {"generation_id": generation_id, "status": "Error",
                                                            "results": []}}
        return json.dumps(body).encode()

    def sign(self, account, body, *, secret=None, timestamp=None):
        headers = sign(secret or account.reveal_webhook_secret(), body,
                       int(timestamp) if timestamp is not None else None)
        return {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}


@pytest.mark.django_db
def test_the_signature_headers_are_the_stripe_style_pair():
    assert (UwearWebhookView.signature_header, UwearWebhookView.timestamp_header) == ("X-Uwear-Signature",
                                                                                     "X-Uwear-Timestamp")


@pytest.mark.django_db
def test_an_account_without_a_webhook_secret_rejects_every_delivery(client):
    account = VendorAccountFactory(vendor=Vendor.UWEAR)
    body = json.dumps(fixture("webhook_completed.json")).encode()
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in sign("guess", body).items()}
    response = client.post(f"/webhooks/uwear/{account.webhook_token}/", data=body, content_type="application/json",
                           **headers)
    assert response.status_code == 403 and not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_a_delivery_that_is_not_a_generation_event_is_400(client):
    account = VendorAccountFactory(vendor=Vendor.UWEAR)
    account.set_webhook_secret(SECRET)
    account.save()
    body = json.dumps({"event": "clothing_item.created", "data": {"id": 3}}).encode()
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in sign(SECRET, body).items()}
    response = client.post(f"/webhooks/uwear/{account.webhook_token}/", data=body, content_type="application/json",
                           **headers)
    assert response.status_code == 400 and not WebhookEvent.objects.exists()


# --- deliveries from the fake, against the engine ---------------------------------------------------------------
@pytest.mark.django_db
def test_the_fakes_signed_completion_finishes_the_job_at_once(client, account, fake,
                                                              django_capture_on_commit_callbacks):
    task = try_on_task(account, num_outputs=2)
    step(task)
    Task.objects.filter(pk=task.pk).update(next_run_at=None)
    fake.finish_all()
    (delivery,) = fake.take_deliveries()
    assert json.loads(delivery.body)["event"] == "generation.completed"
    with django_capture_on_commit_callbacks(execute=False):
        assert deliver(client, delivery).status_code == 200
    task.refresh_from_db()
    assert task.status == TaskStatus.GENERATION_COMPLETED and task.next_run_at is not None
    step(task)
    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.count() == 2
    assert fake.paid_generations == 1


@pytest.mark.django_db
def test_a_duplicated_delivery_is_applied_once(client, account, fake):
    fake.webhooks = "duplicate"
    task = try_on_task(account)
    step(task)
    fake.finish_all()
    responses = [deliver(client, d).status_code for d in fake.take_deliveries()]
    assert responses == [200, 200]
    assert WebhookEvent.objects.filter(task=task).count() == 1


@pytest.mark.django_db
def test_a_failure_webhook_lets_the_engine_record_uwears_error(client, account, fake):
    fake.fail_next = 1
    task = try_on_task(account)
    step(task)
    fake.finish_all()
    (delivery,) = fake.take_deliveries()
    assert json.loads(delivery.body)["event"] == "generation.failed"
    assert deliver(client, delivery).status_code == 200
    step(task)
    assert task.status == TaskStatus.GENERATION_FAILED and not task.needs_attention
    assert task.error_message == "Uwear reported the generation as Error"  # the document shows no error field


@pytest.mark.django_db
def test_a_stale_delivery_from_the_fake_is_rejected(client, account, fake):
    task = try_on_task(account)
    step(task)
    fake.finish_all()
    (delivery,) = fake.take_deliveries()
    old = fake.signed(delivery.url, json.loads(delivery.body), SECRET, timestamp=int(time.time()) - 600)
    assert deliver(client, old).status_code == 403
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_polling_finishes_the_job_when_no_webhook_comes(account, fake):
    fake.webhooks = "drop"
    task = try_on_task(account)
    step(task)
    fake.finish_all()
    step(task)
    assert fake.take_deliveries() == []
    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "sha256=", "v1="])
def test_a_signature_with_or_without_a_scheme_prefix_is_accepted(client, prefix):
    account = VendorAccountFactory(vendor=Vendor.UWEAR)
    account.set_webhook_secret(SECRET)
    account.save()
    body = json.dumps(fixture("webhook_completed.json")).encode()
    headers = sign(SECRET, body)
    headers["X-Uwear-Signature"] = prefix + headers["X-Uwear-Signature"]
    response = client.post(f"/webhooks/uwear/{account.webhook_token}/", data=body, content_type="application/json",
                           headers=headers)
    assert response.status_code == 200 and WebhookEvent.objects.get().event_id == "generation.completed:789"


@pytest.mark.django_db(transaction=True)
def test_the_fake_posts_its_signed_webhook_over_http_to_the_studio(live_server, settings, fake, monkeypatch):

    from tests.vendors.uwear.test_support import uwear_account

    queued = []
    monkeypatch.setattr(queue, "queue_advance", lambda task_id, countdown=0: queued.append(task_id) or True)
    settings.STUDIO_PUBLIC_URL = live_server.url
    fake.webhooks = "http"
    task = try_on_task(uwear_account(fake))
    step(task)
    queued.clear()  # the submit step queued its own poll
    fake.finish_all()
    (sent,) = fake.sent_webhooks
    assert sent.url.startswith(live_server.url + "/webhooks/uwear/")
    event = WebhookEvent.objects.get()
    assert (event.event_type, event.task_id) == ("generation.completed", task.pk) and queued == [task.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["timestamped", "body"])
def test_the_signing_scheme_is_the_one_configured_on_the_account(client, scheme):
    import hashlib
    import hmac

    account = VendorAccountFactory(vendor=Vendor.UWEAR, settings={"webhook_signing": scheme})
    account.set_webhook_secret(SECRET)
    account.save()
    task = TaskFactory(account=account, team=account.team, sku__project__program__team=account.team,
                       status=TaskStatus.TASK_SUBMITTED, step="poll", vendor_task_id="4242")
    body = fixture("webhook_completed.json")
    body["data"]["generation_id"] = 4242
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))
    by_body = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    by_stamp = hmac.new(SECRET.encode(), f"{stamp}.".encode() + raw, hashlib.sha256).hexdigest()
    right, wrong = (by_body, by_stamp) if scheme == "body" else (by_stamp, by_body)
    url = f"/webhooks/uwear/{account.webhook_token}/"
    refused = client.post(url, data=raw, content_type="application/json", HTTP_X_UWEAR_SIGNATURE=wrong,
                          HTTP_X_UWEAR_TIMESTAMP=stamp)
    assert refused.status_code == 403 and not WebhookEvent.objects.exists()
    headers = {"HTTP_X_UWEAR_SIGNATURE": right, **({"HTTP_X_UWEAR_TIMESTAMP": stamp} if scheme == "timestamped"
                                                   else {})}
    accepted = client.post(url, data=raw, content_type="application/json", **headers)
    assert accepted.status_code == 200
    task.refresh_from_db()
    assert task.status == TaskStatus.GENERATION_COMPLETED
