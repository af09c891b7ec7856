"""Outgoing webhooks (issue 18.5): a team's endpoints are told what happened, signed per Standard Webhooks.

- Product code publishes events (studio.events.publish) after its transaction commits; `_on_team_event` records one
  OutgoingEvent and one WebhookDelivery per active endpoint that wants that event type, and queues the delivery
  job. Anything failing here is logged and swallowed: a delivery never blocks or fails the work that caused it.
- `deliver` claims a delivery with a conditional update, POSTs the signed JSON through the same public-address
  guard as vendor calls (generations.vendors.http.PublicVendorTransport: https, public addresses only, pinned, no
  redirects), and records the status, response code and time.
- A failure (non-2xx, timeout, refused address) is retried on STUDIO_WEBHOOK_RETRY_SCHEDULE (5 s, 5 min, 30 min,
  2 h, 5 h, 8 h, 8 h: about 24 h). STUDIO_WEBHOOK_DISABLE_AFTER failed attempts in a row disable the endpoint and
  the team's admins are told (e-mail and the audit log).
"""
import json
import logging
import secrets
import time
from datetime import timedelta

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import receiver
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from studio import audit
from studio.events import team_event

from .models import DeliveryStatus, OutgoingEvent, WebhookDelivery, WebhookEndpoint

log = logging.getLogger("api.webhooks")
USER_AGENT = "FashionStudio-Webhooks/1.0"


# --- recording events ------------------------------------------------------------------------------------------
@receiver(team_event, dispatch_uid="api-outgoing-webhooks")
def _on_team_event(sender, team_id, event_type, data, dedupe_key="", **kwargs):
    try:
        record_event(team_id, event_type, data, dedupe_key)
    except Exception:
        log.exception("webhook event %s for team %s was not recorded", event_type, team_id)


def record_event(team_id, event_type: str, data: dict, dedupe_key: str = "") -> OutgoingEvent | None:
    endpoints = [e for e in WebhookEndpoint.objects.filter(team_id=team_id, is_active=True)
                 if event_type in (e.events or [])]
    if not endpoints:
        return None  # nobody listens: nothing to keep
    try:
        with transaction.atomic():
            event = OutgoingEvent.objects.create(team_id=team_id, public_id=f"msg_{secrets.token_hex(12)}",
                                                 event_type=event_type, data=data, dedupe_key=dedupe_key)
            deliveries = [WebhookDelivery.objects.create(endpoint=e, event=event) for e in endpoints]
    except IntegrityError:
        return None  # a "once only" event that was already announced
    for delivery in deliveries:
        queue(delivery.pk)
    return event


def queue(delivery_id: int, countdown: float | None = None) -> None:
    from . import jobs

    try:
        if countdown:
            jobs.deliver_webhook.apply_async((delivery_id,), countdown=countdown)
        else:
            jobs.deliver_webhook.delay(delivery_id)
    except Exception:  # the broker is down: the sweeper queues it again
        log.warning("could not queue webhook delivery %s", delivery_id, exc_info=True)


# --- signing and sending ---------------------------------------------------------------------------------------
def payload_for(event: OutgoingEvent) -> str:
    return json.dumps({"type": event.event_type, "timestamp": event.created_at.isoformat(), "data": event.data},
                      separators=(",", ":"), default=str)


def signed_headers(endpoint: WebhookEndpoint, event: OutgoingEvent, body: str, now=None) -> dict:
    now = now or timezone.now()
    signature = Webhook(endpoint.reveal_secret()).sign(event.public_id, now, body)
    return {"webhook-id": event.public_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature, "content-type": "application/json", "user-agent": USER_AGENT}


def _post(url: str, body: str, headers: dict) -> httpx.Response:
    from generations.vendors.http import PublicVendorTransport

    timeout = settings.STUDIO_WEBHOOK_TIMEOUT
    with httpx.Client(transport=PublicVendorTransport(), timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
                      follow_redirects=False, trust_env=False) as client:
        return client.post(url, content=body.encode(), headers=headers)


def deliver(delivery_id: int) -> WebhookDelivery | None:
    now = timezone.now()
    claimed = (WebhookDelivery.objects.filter(pk=delivery_id, status__in=[DeliveryStatus.PENDING,
                                                                          DeliveryStatus.RETRYING])
               .exclude(next_attempt_at__gt=now)
               .update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, last_attempt_at=now))
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        return _finish(delivery, DeliveryStatus.FAILED, error="the endpoint is disabled")
    body = payload_for(delivery.event)
    started = time.monotonic()
    code, error = None, ""
    try:
        response = _post(endpoint.url, body, signed_headers(endpoint, delivery.event, body))
        code = response.status_code
        if not 200 <= code < 300:
            error = f"answered HTTP {code}"
    except httpx.TimeoutException:
        error = "no answer in time"
    except httpx.HTTPError as exc:
        error = f"could not connect ({type(exc).__name__})"
    except Exception as exc:  # FetchRefused from the guard, and anything unexpected: a failed attempt, not a crash
        error = str(exc.args[0] if getattr(exc, "args", None) else exc)[:300] or type(exc).__name__
    elapsed = int((time.monotonic() - started) * 1000)
    if not error:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
        return _finish(delivery, DeliveryStatus.SUCCEEDED, code=code, ms=elapsed)
    return _failed(delivery, code, elapsed, error)


def _finish(delivery, status, *, code=None, ms=None, error="", next_at=None) -> WebhookDelivery:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=status, response_code=code, response_ms=ms,
                                                          error=error[:300], next_attempt_at=next_at)
    delivery.refresh_from_db()
    return delivery


def _failed(delivery, code, ms, error) -> WebhookDelivery:
    endpoint = delivery.endpoint
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    endpoint.refresh_from_db(fields=["consecutive_failures", "is_active"])
    if endpoint.is_active and endpoint.consecutive_failures >= settings.STUDIO_WEBHOOK_DISABLE_AFTER:
        disable(endpoint, f"{endpoint.consecutive_failures} failed deliveries in a row (last: {error})")
    schedule = settings.STUDIO_WEBHOOK_RETRY_SCHEDULE
    if endpoint.is_active and delivery.attempts <= len(schedule):
        delay = schedule[delivery.attempts - 1]
        delivery = _finish(delivery, DeliveryStatus.RETRYING, code=code, ms=ms, error=error,
                           next_at=timezone.now() + timedelta(seconds=delay))
        queue(delivery.pk, countdown=delay)
        return delivery
    return _finish(delivery, DeliveryStatus.FAILED, code=code, ms=ms, error=error)


def disable(endpoint: WebhookEndpoint, reason: str) -> bool:
    moved = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_reason=reason[:300], disabled_at=timezone.now())
    endpoint.refresh_from_db()
    if moved:
        audit.record(endpoint.team, None, audit.AuditAction.WEBHOOK_ENDPOINT_DISABLED, endpoint.url[:200], reason=reason[:300])
        _tell_admins(endpoint, reason)
    return bool(moved)


def _tell_admins(endpoint: WebhookEndpoint, reason: str) -> None:
    from studio.models import Role

    emails = list(endpoint.team.memberships.filter(role=Role.ADMIN).exclude(user__email="")
                  .values_list("user__email", flat=True))
    if not emails:
        return
    try:
        send_mail(f"Webhook endpoint disabled: {endpoint.url[:80]}",
                  f"The studio stopped sending webhooks to {endpoint.url} for the team {endpoint.team.name}:\n"
                  f"{reason}\n\nFix the receiver, then enable the endpoint again on the team's webhook page "
                  f"({settings.STUDIO_PUBLIC_URL}/team/webhooks/{endpoint.pk}/).",
                  None, emails, fail_silently=False)
    except Exception:
        log.exception("could not e-mail the admins of team %s about endpoint %s", endpoint.team_id, endpoint.pk)


def resend(delivery: WebhookDelivery) -> WebhookDelivery:
    """The same event (same webhook-id) to the same endpoint, again, as a new delivery in the log."""
    again = WebhookDelivery.objects.create(endpoint=delivery.endpoint, event=delivery.event)
    transaction.on_commit(lambda: queue(again.pk))
    return again


def requeue_due() -> int:
    late = timezone.now() - timedelta(seconds=60)
    # A worker that died while sending: the delivery is tried again (receivers dedupe on webhook-id).
    stuck = timezone.now() - timedelta(seconds=settings.STUDIO_WEBHOOK_TIMEOUT + 120)
    stuck_ids = list(WebhookDelivery.objects.filter(status=DeliveryStatus.SENDING, last_attempt_at__lt=stuck)
                     .values_list("pk", flat=True)[:500])
    WebhookDelivery.objects.filter(pk__in=stuck_ids, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.RETRYING, error="the worker stopped while sending", next_attempt_at=timezone.now())
    due = list(WebhookDelivery.objects.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
                                              endpoint__is_active=True)
               .exclude(next_attempt_at__gt=late).exclude(next_attempt_at__isnull=True, created_at__gt=late)
               .values_list("pk", flat=True)[:500])
    due = list(dict.fromkeys([*due, *stuck_ids]))
    for pk in due:
        queue(pk)
    return len(due)
