"""The webhook security cases every vendor shares (tests/generations/test_webhook_base.py), played with ArtEmotion's
headers, "v1=" signature over "{timestamp}.{raw body}" and payload (seeds/004, "Webhooks (skip polling)")."""
import hashlib
import hmac
import json
import time

from generations.models import TaskStatus, Vendor
from tests.factories import TaskFactory, VendorAccountFactory
from tests.generations.test_webhook_base import WebhookSecurityCases, published  # noqa: F401

_job_ids = iter(range(10**6))


class TestArtEmotionWebhookSecurity(WebhookSecurityCases):
    """The security cases every vendor shares, with ArtEmotion's headers, "v1=" signature and payload."""

    def make_account(self):
        account = VendorAccountFactory(vendor=Vendor.ARTEMOTION)
        account.set_webhook_secret(f"whsec_test_{account.pk}")
        account.save()
        return account

    def make_task(self, account):
        return TaskFactory(account=account, team=account.team, sku__project__program__team=account.team,
                           status=TaskStatus.TASK_SUBMITTED, step="poll", vendor_task_id=f"job-{next(_job_ids)}")

    def event_body(self, task, event_id, kind):
        """ArtEmotion sends terminal statuses only ("Exactly once per terminal status"), so the out-of-order
        "running" event is played by a late, contrary job.failed."""
        status = "completed" if kind == "completed" else "failed"
        body = {"request_id": task.vendor_task_id if task else "job-unknown",
                "model_id": "image-apps-v2/virtual-try-on", "kind": "image", "status": status,
                "timestamp": int(time.time()), "result": {"images": ["https://cdn.artemotion.ai/results/x.png"]}}
        return json.dumps(body).encode()

    def sign(self, account, body, *, secret=None, timestamp=None):
        stamp = str(int(timestamp if timestamp is not None else time.time()))
        key = (secret or account.reveal_webhook_secret()).encode()
        digest = hmac.new(key, f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        return {"HTTP_X_ARTEMOTION_SIGNATURE": f"v1={digest}", "HTTP_X_ARTEMOTION_TIMESTAMP": stamp,
                "HTTP_X_ARTEMOTION_EVENT": f"job.{json.loads(body)['status']}"}
