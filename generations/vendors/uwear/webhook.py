"""Uwear webhook receiver on the shared base (generations/engine/webhooks.py): verify, dedupe, apply, answer fast.

Seed 002 says what is delivered — events `generation.completed` and `generation.failed` ("Supported values are
generation.completed and generation.failed"), "terminal webhook payloads put generated assets in `data.results`",
and a request-level `webhook_secret` ("Optional request-level signing secret for webhook_url") — but not how the
delivery is signed, nor the envelope's other field names. What we assume, each in one place below:
- signing (`UwearWebhookView.verify`, self-contained): hex HMAC-SHA256 of "{timestamp}.{raw body}" keyed with the
  secret, in X-Uwear-Signature (a "sha256=" or "v1=" prefix is accepted) with the Unix time in X-Uwear-Timestamp;
  deliveries older or newer than 5 minutes are refused. This is the Stripe scheme (stripe.com/docs/webhooks/
  signatures: signed payload "{t}.{body}", HMAC-SHA256, 5-minute tolerance), which Standard Webhooks
  (standardwebhooks.com: "{id}.{timestamp}.{body}") follows in spirit.
- the envelope (`event_fields`): the event name in `event` (or `type`), the job in `data.generation_id` (or
  `data.id`, or a top-level `generation_id`).
Dedupe is on event + generation id. generation.completed moves the task to "Generation completed" and wakes the
engine, which reads GET /generation/{id} at once and copies the outputs, so what is stored is the same whether the
webhook came, came twice, or never came. generation.failed only wakes the engine: its own poll records the failure
with Uwear's message (a status set here first would leave the engine nothing to move).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

from generations.models import TaskStatus
from generations.engine.webhooks import NormalizedEvent, WebhookRejected, WebhookView
from generations.engine.webhooks import webhook_url as account_webhook_url

EVENTS = ("generation.completed", "generation.failed")


def webhook_url(account, task) -> str:
    """The request-level webhook_url: the account's endpoint (webhooks/uwear/<token>/). The attempt key rides along
    as a query parameter so that a delivery, or an echoed payload, names the exact attempt it belongs to."""
    url = account_webhook_url(account)
    return f"{url}?attempt={task.attempt_key}" if task.attempt_key else url


def event_fields(body: dict) -> tuple[str, str, dict]:
    """(event, generation id, data) from a delivery. The document names only the events and `data.results`."""
    event = str(body.get("event") or body.get("type") or body.get("event_type") or "")
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    generation_id = data.get("generation_id") or data.get("id") or body.get("generation_id")
    if event not in EVENTS or generation_id in (None, ""):
        raise ValueError("not a Uwear generation event")
    return event, str(generation_id), data


class UwearWebhookView(WebhookView):
    vendor = "uwear"
    signature_header = "X-Uwear-Signature"
    timestamp_header = "X-Uwear-Timestamp"

    def verify(self, request, account) -> None:
        """The ONE place that knows how Uwear signs (see the module docstring); replace it when Uwear publishes its
        scheme. Unsigned → 400; unreadable, stale (> 5 min either way) or wrong → 403 (base check_timestamp)."""
        signature = request.headers.get(self.signature_header, "").strip()
        timestamp = request.headers.get(self.timestamp_header, "").strip()
        scheme = (account.settings or {}).get("webhook_signing") or "timestamped"
        if not signature or (scheme == "timestamped" and not timestamp):
            raise WebhookRejected("missing signature or timestamp", 400)
        if timestamp or scheme == "timestamped":  # the body scheme has no timestamp; dedupe still applies
            self.check_timestamp(timestamp)
        if not account.webhook_secret_encrypted:
            raise WebhookRejected("the account has no webhook secret", 403)
        for prefix in ("sha256=", "v1="):  # tolerate the prefixes the Stripe / GitHub conventions add
            signature = signature.removeprefix(prefix)
        signed = request.body if scheme == "body" else f"{timestamp}.".encode() + request.body
        expected = hmac.new(account.reveal_webhook_secret().encode(), signed, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise WebhookRejected("bad signature", 403)

    def parse(self, request) -> list[NormalizedEvent]:
        body = json.loads(request.body)
        if not isinstance(body, dict):
            raise ValueError("the delivery is not a JSON object")
        event, generation_id, _data = event_fields(body)
        status = TaskStatus.GENERATION_COMPLETED if event == "generation.completed" else ""
        return [NormalizedEvent(event_id=f"{event}:{generation_id}", event_type=event, vendor_task_id=generation_id,
                                payload=body, status=status)]


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Headers for a delivery signed the way UwearWebhookView verifies (used by tests to forge good and bad ones)."""
    timestamp = int(timestamp if timestamp is not None else datetime.now(UTC).timestamp())
    return {UwearWebhookView.timestamp_header: str(timestamp),
            UwearWebhookView.signature_header: hmac.new(secret.encode(), f"{timestamp}.".encode() + body,
                                                        hashlib.sha256).hexdigest()}
