"""Reading Hautech pipelines: the one place that interprets `GET /v1/pipelines/{pipelineId}` answers.

What the document fixes (seed 003, every "waitForPipeline"): the answer has `status`, and "pending" means not done
(`if (res.data.status !== 'pending') return res.data;`); results are under `output` (`result.output.preparedImageId`,
`result.output.poseId`, `result.output` for Naomi). What it leaves open, decided here and nowhere else:
- the words for success and failure: any status that is not pending and not an in-progress or failure word is
  final and read for its output; a failure's message is taken from `error` (string or {"message"}), `message`
  or `output.error`;
- the shape of a generated image in `output`: a URL string, {"url"/"imageUrl"}, {"imageId"} (URL asked for
  separately), or a list of those under `images`/`results`/`urls`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

IN_PROGRESS = {"pending", "queued", "running", "processing", "in_progress", "started", "created", "scheduled"}
FAILED = {"failed", "failure", "error", "errored", "cancelled", "canceled", "rejected", "timeout", "timed_out",
          "aborted"}
URL_KEYS = ("url", "imageUrl", "image_url", "signedUrl", "downloadUrl")
ID_KEYS = ("imageId", "image_id", "resultImageId", "id")
LIST_KEYS = ("images", "results", "urls", "imageUrls", "imageIds", "outputs")


@dataclass
class Pipeline:
    state: Literal["pending", "running", "completed", "failed"]
    status: str
    output: Any = None
    error: str = ""
    raw: dict = field(default_factory=dict)


def parse_pipeline(raw: Any) -> Pipeline:
    if not isinstance(raw, dict):
        return Pipeline("failed", "", error="Hautech answered the pipeline status with something unexpected")
    status = str(raw.get("status") or "")
    word = status.lower()
    output = raw.get("output")
    if word == "pending":
        return Pipeline("pending", status, raw=raw)
    if word in IN_PROGRESS:
        return Pipeline("running", status, raw=raw)
    error = _error_message(raw)
    if word in FAILED or (error and not output):
        return Pipeline("failed", status, output, error or f"the Hautech pipeline ended as {status!r}", raw)
    return Pipeline("completed", status, output, raw=raw)


def _error_message(raw: dict) -> str:
    candidates = [raw.get("error"), raw.get("message"), raw.get("errorMessage")]
    if isinstance(raw.get("output"), dict):
        candidates.append(raw["output"].get("error"))
    for value in candidates:
        if isinstance(value, dict):
            value = value.get("message") or value.get("detail") or value.get("error")
        if isinstance(value, str) and value.strip():
            return value.strip()[:1000]
    return ""


def output_images(output: Any) -> list[tuple[str, str]]:
    """(image id, url) for every generated image in a Naomi / Full Naomi output; either part may be empty."""
    if isinstance(output, str):
        return [("", output)] if output.startswith(("http://", "https://")) else [(output, "")]
    if isinstance(output, list):
        return [pair for item in output for pair in output_images(item)]
    if not isinstance(output, dict):
        return []
    for key in LIST_KEYS:
        if isinstance(output.get(key), list) and output[key]:
            return output_images(output[key])
    url = next((str(output[k]) for k in URL_KEYS if isinstance(output.get(k), str) and output[k]), "")
    image_id = next((str(output[k]) for k in ID_KEYS if isinstance(output.get(k), str | int) and output[k]), "")
    if url or image_id:
        return [(image_id, url)]
    for key in ("image", "result"):
        if output.get(key):
            return output_images(output[key])
    return []
