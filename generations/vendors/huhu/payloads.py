"""Huhu Studio: pure functions — constants, the credit table, status vocabularies, payload builders and response
parsers. No HTTP and no database here, so every quirk of the documents is testable on its own.

Sources: seeds/000_83a96c53b5cdf30b.txt ("000", overview) and seeds/001_7160986f48095db7.txt ("001", reference).
"""
from __future__ import annotations

import base64
import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from generations.vendors.base import RemoteOutput, Unsupported, ValidationFailed

# 000 "Base URL" / 001 §2
PRODUCTION_URL = "https://api.huhu.ai/public/v1"
GAMMA_URL = "https://api-gamma.huhu.ai/public/v1"
BASE_URL_PRESETS = (("Production", PRODUCTION_URL), ("Gamma / Dev", GAMMA_URL))  # (label, URL), production first

# 000 "Credit Costs" and 001 §4 "Credits". Try-on always runs HD ("ALWAYS use HD_P resolution", 001 §7 Workflow D),
# so it costs "Image Generation (HD)" per output image; faces and model images "2 per image" (001 §5.14, §5.15);
# pose generation is "Multipose Generation"; upscale "2 credits per image" (001 §5.28); video 25 / 40 (001 §5.26).
CREDITS_PER_IMAGE = {"try_on": 2, "face": 2, "model_image": 2, "pose": 2, "upscale": 2}
VIDEO_CREDITS = {"5": 25, "10": 40}

# 001 §5.28: "input_pixels × factor² ≤ 18,000,000"
MAX_UPSCALE_PIXELS = 18_000_000

# 001 §5.21 "Task status values (in order)". Anything from "Generation completed" on means the images exist.
TASK_CREATED = "Task created"
RUNNING_TASK_STATUSES = ("Task submitted", "Generation started", "Generation in process")
FAILED_TASK_STATUSES = ("Generation failed",)
DONE_TASK_STATUSES = ("Generation completed", "Editing submitted", "Editing in process", "Editing completed",
                      "Editing failed", "Review submitted", "Review in process", "Review approved", "Review rejected",
                      "Client approved", "Client rejected")
# 001 §5.16: "Request Submitted" / "Generation Completed" / "Generation Failed" (note the capitals, unlike tasks).
# 001 §5.27 video: "Generation in process" → "Generation completed" / "Generation failed".
# 001 §5.29 upscale: "pending" → "success" / "failed".
_STATES = {
    "task created": "pending",
    "task submitted": "running", "generation started": "running", "generation in process": "running",
    "request submitted": "running", "pending": "running",
    "generation completed": "completed", "success": "completed",
    "generation failed": "failed", "failed": "failed",
}


def job_state(status: str | None) -> str:
    """Any Huhu status string → pending/running/completed/failed. Compared case-insensitively, because the
    documents spell the same state "Generation completed" (tasks) and "Generation Completed" (model images)."""
    key = (status or "").strip().lower()
    if key in _STATES:
        return _STATES[key]
    if key in {s.lower() for s in DONE_TASK_STATUSES}:
        return "completed"
    return "running"


def estimate_credits(operation: str, options: dict, num_outputs: int) -> Decimal:
    if operation == "video":
        return Decimal(VIDEO_CREDITS[str(options.get("video_length") or "5")])
    if operation not in CREDITS_PER_IMAGE:
        raise Unsupported(f"Huhu has no cost for {operation}")
    images = 1 if operation == "pose" else num_outputs  # POST /model/pose takes no image count (001 §5.20)
    return Decimal(CREDITS_PER_IMAGE[operation] * images)


def check_upscale_pixels(width: int, height: int, factor: float) -> None:
    """Refuse before paying: 001 §5.28 "2048×2048 → 4x = 67M ✗ exceeds 18M"."""
    output = width * height * factor * factor
    if output > MAX_UPSCALE_PIXELS:
        raise ValidationFailed(
            f"Upscaling {width}×{height} by {factor:g}x would make {output / 1e6:.1f} million pixels; Huhu allows at "
            f"most 18 million (input pixels × factor² ≤ 18,000,000). Choose a factor of at most "
            f"{(MAX_UPSCALE_PIXELS / (width * height)) ** 0.5:.2f}.")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- The two documented spellings of "create" (000 JSON body vs 001 query parameters) ---------------------------
def name_request(field_name: str, value: str, placement: str = "both") -> dict:
    """httpx kwargs for POST /program and POST /project. 000 shows a JSON body ({"project_name": ...}); 001 §5.4
    and §5.6 list the name "In: query" (and §5.4's path even reads "POST /program={name}"). Sending the name in
    both places satisfies either reading; account.settings["create_name_in"] = "body" | "query" narrows it."""
    kwargs: dict = {}
    if placement in ("both", "body"):
        kwargs["json"] = {field_name: value}
    if placement in ("both", "query"):
        kwargs["params"] = {field_name: value}
    return kwargs


def created_id(body: dict, id_field: str) -> str | None:
    """The id of a created program/project, or None: 000's POST /program response has no program_id at all and 001
    §5.6 says only "Same shape as 5.6", so the caller falls back to finding the new object by name."""
    value = body.get(id_field) if isinstance(body, dict) else None
    return str(value) if value else None


# --- SKU zip (001 §5.13, §8.3) -------------------------------------------------------------------------------------
def sku_zip(folders: dict[str, list[tuple[str, bytes]]]) -> bytes:
    """One folder per SKU at the top level ("Do NOT wrap SKU folders in a parent folder", 001 §8.3)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for folder, files in folders.items():
            for name, data in files:
                archive.writestr(f"{folder}/{name}", data)
    return out.getvalue()


def zip_folder_name(code: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_ ." else "_" for c in code).strip(" .")
    return cleaned or "sku"


# --- Task listing (001 §5.21) --------------------------------------------------------------------------------------
@dataclass
class TaskRow:
    task_id: str
    status: str
    status_time: int | None
    sku_id: str
    sku_name: str
    project_id: str
    garment_view: str
    output_image_id: str | None
    output_image_url: str | None
    raw: dict = field(default_factory=dict)

    @property
    def view(self) -> str:
        return "back" if self.garment_view.lower().startswith("back") else "front"


def parse_task_list(body: dict) -> list[TaskRow]:
    """GET /task without detail parameters: {"skus": [{sku_id, sku_name, project_id, tasks: [...]}]}. 000's example
    groups carry only sku_name; 001's carry sku_id and project_id too."""
    rows = []
    for group in body.get("skus") or []:
        for task in group.get("tasks") or []:
            rows.append(TaskRow(
                task_id=str(task.get("task_id")), status=str(task.get("task_status") or ""),
                status_time=task.get("task_status_time"), sku_id=str(group.get("sku_id") or ""),
                sku_name=str(group.get("sku_name") or ""), project_id=str(group.get("project_id") or ""),
                garment_view=str(task.get("garment_view") or ""), output_image_id=task.get("output_image_id"),
                output_image_url=task.get("output_image_url"), raw=task))
    return rows


def parse_task_outputs(body: dict, task_id: str | None = None) -> list[RemoteOutput]:
    """GET /task detail: {"task_id", "task_status", "output": [{"image_id", "image_url"}]} (000, 001 §7 step 9).
    Each output's raw carries the Huhu task that made it: a video names it as source_task_id (001 §5.26)."""
    task_id = task_id or body.get("task_id")
    return [RemoteOutput(result_id=str(o.get("image_id") or ""), url=o.get("image_url"),
                         raw={**o, "task_id": task_id} if task_id else o)
            for o in body.get("output") or [] if o.get("image_url")]


def generation_payload(program_id: str, project_id: str, task_ids: list[str], num_outputs: int, prompt: str) -> dict:
    """POST /task/generate (001 §5.25). num_output_images 1-4; prompt optional ("slim fit, tucked in", §8.5)."""
    payload = {"program_id": program_id, "project_id": project_id, "task_ids": task_ids,
               "num_output_images": num_outputs}
    if prompt:
        payload["prompt"] = prompt
    return payload


# --- Model images, faces, poses (001 §5.14-5.16, §5.20) ----------------------------------------------------------
def parse_generated_images(body: dict) -> list[RemoteOutput]:
    return [RemoteOutput(result_id=str(i.get("model_image_id") or ""), url=i.get("model_image_url"), raw=i)
            for i in body.get("images_generated") or [] if i.get("model_image_url")]


# --- Video (001 §5.26-5.27) ----------------------------------------------------------------------------------------
def video_id(body: dict) -> str:
    """POST /video answers {"program_id", "task_id"} (001 §5.26) while GET /video/requests lists "request_id"s: we
    take the returned id as the request id to look for, accepting "request_id" should the answer carry one."""
    value = body.get("request_id") or body.get("task_id")
    if not value:
        raise ValidationFailed("Huhu accepted the video request without returning its id")
    return str(value)


def find_video(body: dict, request_id: str) -> dict | None:
    for row in body.get("requests") or []:
        if str(row.get("request_id") or row.get("task_id") or "") == request_id:
            return row
    return None


def video_output(row: dict, request_id: str) -> list[RemoteOutput]:
    url = row.get("video_url")
    return [RemoteOutput(result_id=request_id, url=url, kind="video", raw=row)] if url else []


# --- Upscale (001 §5.28-5.29) ---------------------------------------------------------------------------------------
def upscale_outputs(body: dict, request_id: str) -> list[RemoteOutput]:
    return [RemoteOutput(result_id=f"{request_id}:{i}", url=url, raw={"url_index": i})
            for i, url in enumerate(body.get("result_urls") or []) if url]
