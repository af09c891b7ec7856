"""Atelier's webhook: the base's HMAC scheme (X-Signature over "<timestamp>.<body>"), JSON {"id", "job", "status"}."""
from __future__ import annotations

import json

from generations.engine.webhooks import NormalizedEvent, WebhookRejected, WebhookView
from generations.models import TaskStatus

from .adapter import JOBS


class AtelierWebhookView(WebhookView):
    vendor = "atelier"

    def parse(self, request):
        try:
            body = json.loads(request.body)
        except ValueError:
            raise WebhookRejected("not JSON", 400) from None
        if body.get("status") == "done":
            JOBS.get(body.get("job"), {})["status"] = "done"
        status = TaskStatus.GENERATION_COMPLETED if body.get("status") == "done" else ""
        return [NormalizedEvent(event_id=str(body.get("id")), event_type="job." + str(body.get("status")),
                                vendor_task_id=str(body.get("job")), payload=body, status=status)]
