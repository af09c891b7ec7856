"""ArtEmotion's Vision API (seeds/004, "Vision API"): POST /vision, then GET /jobs/:job_id through the poll_url.

We use two of its twelve models: moondream3-preview/caption with length "long" (garment captions) and
imageutils/nsfw (the NSFW gate: "nsfw_probability … imageutils/nsfw only — float 0–1"). Every completed vision job
returns the same `result` object whose fields "are null — never absent". Vision has its own rate limit ("Rate limit
hit (20 req/min for vision)"); its status polls share the 120 per minute of GET /jobs. Errors are the same
`{error, code}` bodies as try-on and go through the same `translate`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from generations.vendors.artemotion.adapter import POLLS_PER_MINUTE, ArtEmotionAdapter, data_url, poll_target, record_balance, require_slot
from generations.vendors.base import GenerationFailed

CAPTION_MODEL = "moondream3-preview/caption"
NSFW_MODEL = "imageutils/nsfw"
VISION_PER_MINUTE = 20


@dataclass
class VisionJob:
    job_id: str
    model_id: str
    poll_url: str
    raw: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"job_id": self.job_id, "model_id": self.model_id, "poll_url": self.poll_url, **self.raw}


@dataclass
class VisionResult:
    state: Literal["pending", "completed", "failed"]
    text: str | None = None
    is_nsfw: bool | None = None
    nsfw_probability: float | None = None
    error: str = ""
    raw: dict = field(default_factory=dict)


class ArtEmotionVision:
    """Submit and poll vision jobs for one ArtEmotion account (the team's key pays: 2 credits per job)."""

    def __init__(self, account, client=None):
        self.account = account
        self.api = ArtEmotionAdapter(account, client=client)

    def close(self) -> None:
        self.api.close()

    def caption(self, image: bytes) -> VisionJob:
        # "length — For moondream3-preview/caption only: short, normal, or long."
        return self.submit(image, CAPTION_MODEL, length="long")

    def nsfw(self, image: bytes) -> VisionJob:
        return self.submit(image, NSFW_MODEL)

    def submit(self, image: bytes, model_id: str, **fields) -> VisionJob:
        require_slot(self.account.pk, "vision", VISION_PER_MINUTE, "vision requests")
        body = {"model_id": model_id, "image_url": data_url(image, "image").value, **fields}
        try:
            answer = self.api.call("POST", "/vision", json=body)
        except GenerationFailed as exc:  # SUBMISSION_ERROR: "Credits are automatically refunded"
            self._ledger(f"{model_id}: {exc}"[:300], refunded=True, model_id=model_id)
            raise
        record_balance(self.account, answer.get("credits_left"))
        job = VisionJob(str(answer["job_id"]), model_id, str(answer.get("poll_url") or ""),
                        raw={"credits_used": answer.get("credits_used"), "credits_left": answer.get("credits_left")})
        if answer.get("credits_used") is not None:
            self._ledger(model_id, credits=Decimal(str(answer["credits_used"])), external_id=job.job_id)
        return job

    def poll(self, job: dict) -> VisionResult:
        require_slot(self.account.pk, "poll", POLLS_PER_MINUTE, "status polls")
        answer = self.api.call("GET", poll_target(self.api.base_url, job["job_id"], job))
        return parse_vision(answer)

    def _ledger(self, note: str, *, credits: Decimal = Decimal(2), external_id: str = "", refunded: bool = False,
                model_id: str = "") -> None:
        from generations.models import CreditEntry, CreditKind

        common = {"team_id": self.account.team_id, "account": self.account, "operation": "vision"}
        if not refunded:
            CreditEntry.objects.get_or_create(account=self.account, kind=CreditKind.CHARGE, external_id=external_id,
                                              defaults={**common, "credits": credits, "note": note})
            return
        CreditEntry.objects.create(kind=CreditKind.CHARGE, credits=credits, note=model_id, **common)
        CreditEntry.objects.create(kind=CreditKind.REFUND, credits=credits, note=note, **common)


def parse_vision(answer: dict) -> VisionResult:
    """"Completed Response — Vision": a `result` object instead of images; a failed vision job carries `error`
    (the document's pollVisionJob reads data.error)."""
    status = answer.get("status")
    if status == "completed":
        result = answer.get("result") or {}
        probability = result.get("nsfw_probability")
        return VisionResult("completed", text=result.get("text"), is_nsfw=result.get("is_nsfw"),
                            nsfw_probability=float(probability) if probability is not None else None, raw=answer)
    if status == "failed":
        reason = answer.get("error") or "; ".join(str(x) for x in answer.get("logs") or [])
        return VisionResult("failed", error=str(reason or "ArtEmotion reports the vision job failed"), raw=answer)
    return VisionResult("pending", raw=answer)
