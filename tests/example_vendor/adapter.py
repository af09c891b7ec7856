"""Atelier's adapter: one operation (try-on), a job that finishes on its second poll or by webhook."""
from __future__ import annotations

import io
import uuid
from decimal import Decimal

from PIL import Image

from generations.vendors.base import (Capabilities, Contribution, OperationSpec, PollResult, RemoteOutput, Submission,
                                      VendorAdapter)

# The vendor's side of the conversation: job id → {"attempt": our attempt key, "polls": n, "status": ...}.
JOBS: dict[str, dict] = {}


class AtelierAdapter(VendorAdapter):
    vendor = "atelier"
    label = "Atelier (test vendor)"
    can_reconcile = True
    poll_interval = 1.0
    capabilities = Capabilities({
        "try_on": OperationSpec("try_on", outputs_max=1, needs_garment=True, help="Atelier's try-on."),
    })
    urls = "tests.example_vendor.urls"
    webhooks = "tests.example_vendor.webhook"
    contributions = (Contribution("sku", "panel", "sku_atelier", "Atelier fit notes"),)

    def estimate(self, operation: str, options: dict, num_outputs: int) -> Decimal:
        self.capabilities.spec(operation)
        return Decimal(2) * num_outputs

    def submit(self, task) -> Submission:
        self._before_send("POST", "jobs")  # the point of no return of the paid call (the engine's "sent" mark)
        job_id = f"atl-{uuid.uuid4().hex[:12]}"
        JOBS[job_id] = {"attempt": task.attempt_key, "polls": 0, "status": "running"}
        return Submission(vendor_task_id=job_id, raw={"id": job_id})

    def find_submission(self, task) -> Submission | None:
        for job_id, job in JOBS.items():
            if task.attempt_key and job["attempt"] == task.attempt_key:
                return Submission(vendor_task_id=job_id, raw={"id": job_id})
        return None

    def poll(self, task) -> PollResult:
        job = JOBS[task.vendor_task_id]
        job["polls"] += 1
        if job["status"] != "done" and job["polls"] < 2:
            return PollResult(state="running", vendor_status="running")
        job["status"] = "done"
        out = io.BytesIO()
        Image.new("RGB", (32, 48), (90, 60, 140)).save(out, "PNG")
        return PollResult(state="completed", vendor_status="done",
                          outputs=[RemoteOutput(result_id=f"{task.vendor_task_id}-0", data=out.getvalue())])
