"""ArtEmotion webhooks ("Webhooks (skip polling)") as the fake really delivers them: signed when a job turns terminal,
posted to our endpoint through Django's test client. ArtEmotion-specific refusals (the "v1=" prefix, a missing
timestamp, a tampered body, ArtEmotion's clock off by more than 5 minutes), then the flow: a delivery wakes the poll,
and polling finishes jobs whose delivery is dropped or late. The shared security cases (bad, missing and foreign
signatures, replays, duplicates, unknown jobs) run in test_artemotion_webhook_security.py."""
import json
import logging

import pytest
from django.utils import timezone

from generations.models import TaskStatus, WebhookEvent

from tests.vendors.artemotion.test_support import account, deliver, fake, queued, step, tryon_task  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued")]


@pytest.fixture
def finished(fake, account):
    """A submitted task whose job has just completed; returns (task, the signed delivery ArtEmotion made)."""
    task = tryon_task(account)
    step(task)
    fake.finish(task.vendor_task_id)
    [delivery] = fake.take_deliveries()
    return task, delivery


def test_a_delivery_is_signed_as_the_document_shows(finished):
    task, delivery = finished
    body = json.loads(delivery.body)
    assert body["request_id"] == task.vendor_task_id and body["status"] == "completed"
    assert delivery.headers["X-ArtEmotion-Signature"].startswith("v1=")
    assert delivery.headers["X-ArtEmotion-Event"] == "job.completed"


def test_a_valid_delivery_is_recorded_and_wakes_the_poll_at_once(client, finished, queued,
                                                                django_capture_on_commit_callbacks):
    task, delivery = finished

    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, delivery)

    assert response.status_code == 200
    event = WebhookEvent.objects.get(vendor="artemotion")
    assert event.task == task and event.event_id == f"{task.vendor_task_id}:completed" and event.processed_at
    task.refresh_from_db()
    assert task.status == TaskStatus.GENERATION_COMPLETED
    assert task.next_run_at <= timezone.now() and ("advance", task.pk) in queued
    step(task)
    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.count() == 1


def test_a_signature_without_the_v1_prefix_is_rejected(client, finished):
    task, delivery = finished
    bare = delivery.headers["X-ArtEmotion-Signature"][3:]
    assert deliver(client, delivery, **{"X-ArtEmotion-Signature": bare}).status_code == 403
    assert not WebhookEvent.objects.exists()


def test_a_missing_timestamp_is_rejected(client, finished):
    task, delivery = finished
    assert deliver(client, delivery, **{"X-ArtEmotion-Timestamp": None}).status_code in (400, 403)
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("drift", [-301, 301])
def test_a_timestamp_more_than_5_minutes_from_our_clock_is_rejected(client, fake, account, drift):
    task = tryon_task(account)
    step(task)
    fake.advance(drift)  # ArtEmotion's clock (and so its signed timestamp) is off by more than 5 minutes
    fake.finish(task.vendor_task_id)
    [delivery] = fake.take_deliveries()

    assert deliver(client, delivery).status_code == 403
    assert not WebhookEvent.objects.exists()


def test_a_body_changed_after_signing_is_rejected(client, finished):
    task, delivery = finished
    delivery.body = delivery.body.replace(b'"completed"', b'"failed"')
    assert deliver(client, delivery).status_code == 403


def test_a_delivery_to_an_unknown_account_url_is_404(client, finished):
    task, delivery = finished
    delivery.url = "https://studio.example.com/webhooks/artemotion/no-such-token/"
    assert deliver(client, delivery).status_code == 404


def test_rejections_never_log_the_body_or_the_signature(client, finished, caplog):
    task, delivery = finished
    caplog.set_level(logging.DEBUG)
    deliver(client, delivery, **{"X-ArtEmotion-Signature": "v1=" + "f" * 64})

    assert "rejected" in caplog.text
    assert task.vendor_task_id not in caplog.text and "f" * 64 not in caplog.text


def test_a_dropped_delivery_does_not_stop_polling_from_finishing_the_job(fake, account):
    fake.webhooks = "drop"  # "No retries. If your endpoint is down we don't retry — fall back to polling"
    task = tryon_task(account)
    step(task)
    fake.finish(task.vendor_task_id)

    step(task)

    assert fake.take_deliveries() == []
    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.count() == 1


def test_a_late_delivery_after_polling_finished_changes_nothing(client, fake, account):
    task = tryon_task(account)
    step(task)
    fake.finish(task.vendor_task_id)
    step(task)
    [late] = fake.take_deliveries()

    assert deliver(client, late).status_code == 200

    task.refresh_from_db()
    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.count() == 1 and task.step == "done"


def test_a_failed_job_delivery_wakes_the_poll_which_fails_the_task(client, fake, account):
    fake.next_outcome = "failed"
    task = tryon_task(account)
    step(task)
    fake.finish(task.vendor_task_id)
    [delivery] = fake.take_deliveries()
    assert delivery.headers["X-ArtEmotion-Event"] == "job.failed"

    assert deliver(client, delivery).status_code == 200
    step(task)

    assert task.status == TaskStatus.GENERATION_FAILED and "no person detected" in task.error_message


@pytest.mark.django_db
def test_a_held_try_on_whose_answer_was_lost_is_settled_by_artemotions_webhook(client, fake, account, settings,
                                                                              django_capture_on_commit_callbacks):
    from generations.models import CreditEntry, CreditKind

    settings.STUDIO_HTTP_READ_TIMEOUT = 0.3
    fake.inject("lost", path=r"/tryon$", seconds=0.6)  # ArtEmotion takes the job; its answer never arrives
    task = tryon_task(account)
    step(task)
    assert task.step == "hold" and task.outcome_unknown and len(fake.submissions) == 1
    assert CreditEntry.objects.get(task=task).kind == CreditKind.POSSIBLE

    fake.advance(60)
    fake.tick()  # ArtEmotion's own status poll sees the job finished and fires the registered webhook
    (delivery,) = fake.take_deliveries()
    with django_capture_on_commit_callbacks(execute=False):
        assert deliver(client, delivery).status_code == 200
    task.refresh_from_db()
    assert task.vendor_task_id == delivery.job_id and not task.needs_attention and task.step == "poll"
    step(task)
    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.count() == 1
    assert len(fake.submissions) == 1  # paid once: nothing was sent again
    kinds = sorted(CreditEntry.objects.filter(task=task).exclude(kind=CreditKind.ESTIMATE)
                   .values_list("kind", flat=True))
    assert kinds == [CreditKind.CHARGE]
