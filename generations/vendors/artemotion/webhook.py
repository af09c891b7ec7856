"""ArtEmotion webhook deliveries (seeds/004, "Webhooks (skip polling)") on the shared base view.

- Signature: "X-ArtEmotion-Signature: v1=<hex> — only sent when you provide webhook_secret"; HMAC-SHA256 over
  "${timestamp}.${rawBody}" where the timestamp is the X-ArtEmotion-Timestamp header ("Unix epoch seconds when we
  signed the request"), compared in constant time; "Reject the request if the timestamp drifts more than
  5 minutes from your server clock." Every submit sends a secret, so an unsigned delivery is refused.
- Payload: {request_id, model_id, kind, status, timestamp, result}. "Exactly once per terminal status", so
  request_id + status identifies a delivery for dedupe.
- "No retries", so polling stays on. A completed delivery moves the task to "Generation completed" and wakes the
  engine, whose poll reads GET /jobs at once and stores the images (fresh URLs; the same outputs whether the
  webhook came, came twice or never came). A failed delivery only wakes the engine: its poll records the failure
  with ArtEmotion's logs (a status set here first would leave the engine nothing to move). Same as Uwear's view.
"""
from __future__ import annotations

import json

from django.http import HttpRequest

from generations.models import TaskStatus
from generations.engine.webhooks import NormalizedEvent, WebhookView

TERMINAL = ("completed", "failed")


class ArtEmotionWebhookView(WebhookView):
    vendor = "artemotion"
    signature_header = "X-ArtEmotion-Signature"
    timestamp_header = "X-ArtEmotion-Timestamp"

    def signature_value(self, header: str) -> str:
        # The document's verifyWebhook: `if (!sig?.startsWith("v1=")) return false` — no other scheme is accepted.
        return header[3:] if header.startswith("v1=") else ""

    def parse(self, request: HttpRequest) -> list[NormalizedEvent]:
        body = json.loads(request.body)
        request_id, status = str(body["request_id"]), str(body["status"])
        if status not in TERMINAL:
            raise ValueError("ArtEmotion only delivers terminal statuses")
        event_type = request.headers.get("X-ArtEmotion-Event") or f"job.{status}"
        return [NormalizedEvent(event_id=f"{request_id}:{status}", event_type=event_type, vendor_task_id=request_id,
                                payload=body, status=TaskStatus.GENERATION_COMPLETED if status == "completed" else "")]
