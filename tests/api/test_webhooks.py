"""Outgoing webhooks against a receiver on 127.0.0.1: Standard Webhooks signatures, retries after a 500 and after a
timeout, disabling after repeated failures, nothing for another team's events, never failing the work."""
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from api import webhooks
from api.models import DeliveryStatus, OutgoingEvent, WebhookDelivery, WebhookEndpoint, new_webhook_secret
from generations import lifecycle
from generations.models import TaskStatus
from studio.models import AuditEvent
from tests import factories as f

S = TaskStatus


class Receiver:
    """Answers each POST with the next planned reaction: a status code, or "hang" (no answer for a second)."""

    def __init__(self):
        self.received: list[dict] = []
        self.plan: list = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.received.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                reaction = outer.plan.pop(0) if outer.plan else 200
                if reaction == "hang":
                    time.sleep(1.0)
                    reaction = 200
                try:
                    self.send_response(reaction)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture(autouse=True)
def _reset(receiver):
    receiver.received.clear()
    receiver.plan.clear()


@pytest.fixture
def endpoint(team, receiver):
    secret = new_webhook_secret()
    made = WebhookEndpoint(team=team, url=receiver.url, events=["task.completed", "task.failed", "output.approved"])
    made.set_secret(secret)
    made.save()
    made.plaintext = secret
    return made


def due_now(delivery):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_completed_task_is_announced_once_committed_and_signed_per_standard_webhooks(
        endpoint, receiver, team, _no_broker, django_capture_on_commit_callbacks):
    task = f.TaskFactory(sku=f.SKUFactory(project__program__team=team), team=team, status=S.GENERATION_IN_PROCESS)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.transition_task(task, S.GENERATION_COMPLETED)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.pk, None) in _no_broker  # queued for the worker
    webhooks.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_code) == (DeliveryStatus.SUCCEEDED, 200)
    sent = receiver.received[0]
    payload = Webhook(endpoint.plaintext).verify(sent["body"], sent["headers"])  # raises if the signature is wrong
    assert payload["type"] == "task.completed" and payload["data"]["task"] == task.pk
    assert sent["headers"]["webhook-id"] == delivery.event.public_id
    with pytest.raises(Exception):
        Webhook(new_webhook_secret()).verify(sent["body"], sent["headers"])


def test_a_500_is_retried_later_and_then_delivered(endpoint, receiver, team, _no_broker):
    receiver.plan = [500]
    webhooks.record_event(team.pk, "task.failed", {"task": 1})
    delivery = WebhookDelivery.objects.get()
    webhooks.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_code, delivery.attempts) == (DeliveryStatus.RETRYING, 500, 1)
    assert (delivery.pk, 5) in _no_broker  # the first retry of the ~24 h schedule
    assert webhooks.deliver(delivery.pk) is None  # not due yet: a duplicate job does nothing
    due_now(delivery)
    webhooks.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_code, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 200, 2)
    ids = {r["headers"]["webhook-id"] for r in receiver.received}
    assert len(receiver.received) == 2 and len(ids) == 1  # the same message id on the retry: receivers dedupe


def test_a_timeout_is_retried_and_then_delivered(endpoint, receiver, team, settings):
    settings.STUDIO_WEBHOOK_TIMEOUT = 0.3
    receiver.plan = ["hang"]
    webhooks.record_event(team.pk, "task.completed", {"task": 2})
    delivery = WebhookDelivery.objects.get()
    webhooks.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RETRYING and delivery.error == "no answer in time"
    due_now(delivery)
    webhooks.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2


def test_the_retry_schedule_spans_about_a_day(settings):
    assert 20 * 3600 <= sum(settings.STUDIO_WEBHOOK_RETRY_SCHEDULE) <= 30 * 3600


def test_repeated_failures_disable_the_endpoint_and_tell_the_team_admins(endpoint, receiver, team, settings):
    settings.STUDIO_WEBHOOK_DISABLE_AFTER = 3
    receiver.plan = [500] * 10
    webhooks.record_event(team.pk, "task.completed", {"task": 3})
    delivery = WebhookDelivery.objects.get()
    for _ in range(3):
        due_now(delivery)
        webhooks.deliver(delivery.pk)
    endpoint.refresh_from_db()
    delivery.refresh_from_db()
    assert not endpoint.is_active and "3 failed deliveries in a row" in endpoint.disabled_reason
    assert delivery.status == DeliveryStatus.FAILED  # no more retries to a disabled endpoint
    assert [m.to for m in mail.outbox] == [["admin@example.com"]] and endpoint.url in mail.outbox[0].body
    assert AuditEvent.objects.filter(team=team, action="webhook_endpoint_disabled").exists()
    webhooks.record_event(team.pk, "task.completed", {"task": 4})
    assert WebhookDelivery.objects.count() == 1  # nothing new is sent to it


def test_no_delivery_for_another_teams_events(endpoint, receiver, db):
    other = f.TeamFactory()
    assert webhooks.record_event(other.pk, "task.completed", {"task": 5}) is None
    assert not WebhookDelivery.objects.exists() and not OutgoingEvent.objects.exists()
    assert receiver.received == []


def test_only_the_events_an_endpoint_asked_for_are_sent(endpoint, team):
    webhooks.record_event(team.pk, "batch.finished", {"batch": 1})
    assert not WebhookDelivery.objects.exists()


def test_a_failing_listener_never_fails_the_work(endpoint, team, monkeypatch, django_capture_on_commit_callbacks):
    def broken(*args, **kwargs):
        raise RuntimeError("database of events is down")

    monkeypatch.setattr(webhooks, "record_event", broken)
    task = f.TaskFactory(sku=f.SKUFactory(project__program__team=team), team=team, status=S.GENERATION_IN_PROCESS)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.transition_task(task, S.GENERATION_FAILED, error_message="vendor said no")
    task.refresh_from_db()
    assert task.status == S.GENERATION_FAILED


def test_a_batch_finishing_is_announced_once(team, receiver, django_capture_on_commit_callbacks):
    made = WebhookEndpoint(team=team, url=receiver.url, events=["batch.finished"])
    made.set_secret(new_webhook_secret())
    made.save()
    sku = f.SKUFactory(project__program__team=team)
    batch = f.BatchFactory(project=sku.project)
    tasks = [f.TaskFactory(sku=sku, team=team, batch=batch, status=S.GENERATION_IN_PROCESS) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.transition_task(tasks[0], S.GENERATION_COMPLETED)
    assert not OutgoingEvent.objects.exists()  # one task still running
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.transition_task(tasks[1], S.GENERATION_FAILED)
        lifecycle.transition_task(tasks[0], S.REVIEW_SUBMITTED)
    event = OutgoingEvent.objects.get()
    assert event.event_type == "batch.finished" and event.data["batch"] == batch.pk and event.data["failed"] == 1


def test_the_delivery_log_shows_attempts_and_resends_the_same_message(client, team_admin, endpoint, receiver, team,
                                                                      django_capture_on_commit_callbacks):
    webhooks.record_event(team.pk, "task.completed", {"task": 6})
    first = WebhookDelivery.objects.get()
    webhooks.deliver(first.pk)
    client.force_login(team_admin.user)
    page = client.get(reverse("webhook_endpoint_detail", args=[endpoint.pk])).content.decode()
    assert "HTTP 200" in page and first.event.public_id in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhook_delivery_resend", args=[first.pk]))
    again = WebhookDelivery.objects.exclude(pk=first.pk).get()
    webhooks.deliver(again.pk)
    assert [r["headers"]["webhook-id"] for r in receiver.received] == [first.event.public_id] * 2


def test_registering_an_endpoint_checks_the_address_and_shows_the_secret_once(client, team_admin, settings):
    settings.STUDIO_VENDOR_ALLOW_HOSTS = []
    client.force_login(team_admin.user)
    for url in ("http://hooks.example.com/x", "https://10.0.0.5/x", "https://127.0.0.1:8443/x"):
        response = client.post(reverse("webhook_endpoints"), {"url": url, "events": ["task.completed"]})
        assert response.status_code == 400 and "Not allowed" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()
    settings.STUDIO_VENDOR_ALLOW_HOSTS = ["127.0.0.1"]
    response = client.post(reverse("webhook_endpoints"), {"url": "http://127.0.0.1:9/x", "events": ["task.failed"]})
    html = response.content.decode()
    start = html.index("whsec_")
    secret = html[start:html.index("<", start)]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.reveal_secret() == secret and secret not in endpoint.secret_encrypted
    assert secret not in client.get(reverse("webhook_endpoints")).content.decode()
    assert json.dumps(endpoint.events) == '["task.failed"]'


def test_the_sweep_queues_deliveries_whose_job_was_lost_and_recovers_one_stuck_in_sending(
        endpoint, team, _no_broker, settings):
    webhooks.record_event(team.pk, "task.completed", {"task": 7})
    webhooks.record_event(team.pk, "task.failed", {"task": 8})
    lost, stuck = WebhookDelivery.objects.order_by("pk")
    long_ago = timezone.now() - timedelta(hours=1)
    WebhookDelivery.objects.filter(pk=lost.pk).update(status=DeliveryStatus.RETRYING, next_attempt_at=long_ago)
    WebhookDelivery.objects.filter(pk=stuck.pk).update(status=DeliveryStatus.SENDING, last_attempt_at=long_ago,
                                                       created_at=long_ago)
    _no_broker.clear()
    assert webhooks.requeue_due() == 2
    assert sorted(pk for pk, _ in _no_broker) == [lost.pk, stuck.pk]
    stuck.refresh_from_db()
    assert stuck.status == DeliveryStatus.RETRYING and "worker stopped" in stuck.error
