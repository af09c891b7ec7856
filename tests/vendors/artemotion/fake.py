"""A contract-faithful fake of the ArtEmotion API (seeds/004), served for real on 127.0.0.1.

Built from the document, not from our adapter:
- POST /tryon, POST /vision, GET /jobs/:job_id?model_id=, GET /models, GET /vision, under /api/v1 ("Base URL").
- Bearer keys on everything but the two catalogs ("Authentication", "List Models", "List Vision Models").
- Field validation and the documented error bodies `{error, code}` ("Error Responses", "Error Codes"):
  INVALID_REQUEST, INVALID_MODEL, MISSING_FIELD, IMAGE_ERROR (unreachable, private, over 10 MB, not JPEG/PNG/WebP),
  UNAUTHORIZED, INSUFFICIENT_CREDITS, RATE_LIMIT_EXCEEDED.
- Credits per model: try-on 15/20, vision 2–5 ("List Models", "List Vision Models").
- Rate limits per key over a sliding minute ("Rate Limits"): 10 try-on submissions, 120 status polls, and 20 vision
  requests ("Rate limit hit (20 req/min for vision)"). Submissions are recorded so tests can check the busiest
  60-second window.
- The status walk queued (queue_position) → processing → completed (images, elapsed_ms) / failed (logs); vision
  jobs complete with the normalized `result` object whose fields are never absent.
- Result image URLs that expire after 24 hours ("Result image URLs expire after 24 hours").
- Webhooks ("Webhooks (skip polling)"): fired once when the job first turns terminal, signed `v1=` HMAC-SHA256 over
  "{timestamp}.{raw body}" with X-ArtEmotion-Timestamp; never retried. Deliveries wait in `outbox` so a test can
  deliver them (to Django's test client), drop them, or deliver them late.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import ipaddress
import json
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from PIL import Image

from tests.fakes.base import FakeVendorServer, Request, Response, json_response, route

MAX_IMAGE_BYTES = 10 * 1024 * 1024
RESULT_TTL = 24 * 3600
TRYON_MODELS = {"image-apps-v2/virtual-try-on": 15, "flux-2-lora-gallery/virtual-tryon": 20}
TRYON_BEST_FOR = {
    "image-apps-v2/virtual-try-on": "All garment types — tops, bottoms, glasses, hats, sneakers",
    "flux-2-lora-gallery/virtual-tryon": "Tops and bottoms (LoRA-based generation)",
}
GARMENT_TYPES = {"top", "bottom", "glasses", "hat", "sneakers", "clothing"}
# model id → (credits, tasks, prompt rule) from "List Vision Models".
VISION_MODELS = {
    "moondream2": (2, "caption, vqa", "optional"),
    "llava-next": (4, "vqa, ocr, caption", "required"),
    "nvidia/nemotron-3-nano-omni/vision": (5, "vqa, reasoning", "required"),
    "nvidia/nemotron-3-nano-omni": (5, "vqa, reasoning, multimodal", "required"),
    "florence-2-large/object-detection": (2, "detection", "unused"),
    "moondream2/object-detection": (2, "detection", "object"),
    "moondream3-preview/detect": (3, "detection", "required"),
    "x-ailab/nsfw": (2, "moderation", "unused"),
    "moondream3-preview/caption": (2, "caption", "unused"),
    "moondream3-preview/query": (2, "vqa", "required"),
    "moondream-next": (2, "caption, vqa", "task_type"),
    "imageutils/nsfw": (2, "moderation", "unused"),
}
LIMITS = {"tryon": 10, "poll": 120, "vision": 20}
DATA_URL_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def error(status: int, code: str, message: str) -> Response:
    return json_response({"error": message, "code": code}, status)


@dataclass
class Job:
    job_id: str
    key: str
    kind: str  # "tryon" or "vision"
    model_id: str
    body: dict
    created_at: float
    credits: int
    queue_seconds: float
    run_seconds: float
    outcome: str = "completed"  # or "failed"
    images: list[str] = field(default_factory=list)
    result: dict | None = None
    fired: bool = False


@dataclass
class Delivery:
    url: str
    headers: dict[str, str]
    body: bytes
    job_id: str


class FakeArtEmotion(FakeVendorServer):
    prefix = "/api/v1"

    def __init__(self, keys: dict[str, int] | None = None, *, queue_seconds: float = 0.0, run_seconds: float = 10.0):
        super().__init__()
        self.keys: dict[str, int] = dict(keys or {"ae_live_test": 1000})  # key → credits
        self.jobs: dict[str, Job] = {}
        self.calls: dict[tuple[str, str], list[float]] = defaultdict(list)  # (key, bucket) → times accepted
        self.submissions: list[tuple[str, float]] = []  # (key, time) of every accepted paid POST /tryon
        self.rejected: dict[tuple[str, str], int] = defaultdict(int)  # (key, bucket) → 429s answered
        self.outbox: list[Delivery] = []
        self.webhooks = "queue"  # "queue" deliveries for the test, or "drop" them all
        self.queue_seconds, self.run_seconds = queue_seconds, run_seconds
        self.next_outcome = "completed"
        self.fail_logs = ["Try-on failed: no person detected in person_image_url"]
        self.caption_text = "A navy cotton crew-neck t-shirt with short sleeves and a small chest logo."
        self.nsfw_by_digest: dict[str, float] = {}  # sha256 of image bytes → probability
        self.default_nsfw_probability = 0.02
        self.reported_images: dict[str, bytes] = {}
        self._seq = threading.Lock()

    # --- helpers for tests -------------------------------------------------------------------------------------
    def submissions_for(self, key: str) -> int:
        return sum(1 for k, _ in self.submissions if k == key)

    def busiest_minute(self, key: str | None = None) -> int:
        """The most paid try-on submissions any 60-second window saw (per key, or for all keys)."""
        times = sorted(t for k, t in self.submissions if key is None or k == key)
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= 60:
                start += 1
            best = max(best, end - start + 1)
        return best

    def finish(self, job_id: str) -> None:
        """Let a job's time run out so the next status poll (or `tick`) sees it terminal."""
        job = self.jobs[job_id]
        job.created_at = self.clock() - job.queue_seconds - job.run_seconds - 1
        self.tick()

    def tick(self) -> None:
        """ArtEmotion's own status poller: fires the webhook of every job that has turned terminal."""
        for job in list(self.jobs.values()):
            self._observe(job)

    def tick(self) -> None:
        """ArtEmotion's own status poll ("We fire when the job-status poll first sees completed or failed"): runs
        whether or not a client ever asks GET /jobs, so a job whose submit answer was lost still fires."""
        for job in list(self.jobs.values()):
            self._observe(job)

    def take_deliveries(self) -> list[Delivery]:
        with self.lock:
            out, self.outbox = self.outbox, []
        return out

    # --- auth, limits, credits ---------------------------------------------------------------------------------
    def _key(self, req: Request) -> tuple[str | None, Response | None]:
        header = req.header("authorization")
        if not header:
            return None, error(401, "UNAUTHORIZED", "Missing Authorization header")
        scheme, _, key = header.partition(" ")
        if scheme != "Bearer" or key not in self.keys:
            return None, error(401, "UNAUTHORIZED", "Invalid API key")
        return key, None

    def _rate(self, key: str, bucket: str) -> Response | None:
        now = self.clock()
        with self.lock:
            recent = [t for t in self.calls[(key, bucket)] if now - t < 60]
            if len(recent) >= LIMITS[bucket]:
                self.calls[(key, bucket)] = recent
                self.rejected[(key, bucket)] += 1
                return error(429, "RATE_LIMIT_EXCEEDED",
                             f"Rate limit exceeded. Max {LIMITS[bucket]} requests per minute.")
            recent.append(now)
            self.calls[(key, bucket)] = recent
        return None

    def _charge(self, key: str, credits: int) -> Response | None:
        with self.lock:
            if self.keys[key] < credits:
                return error(402, "INSUFFICIENT_CREDITS",
                             f"Insufficient credits. Required: {credits}, available: {self.keys[key]}.")
            self.keys[key] -= credits
        return None

    # --- images ------------------------------------------------------------------------------------------------
    def _check_image(self, value, name: str) -> Response | None:
        if not isinstance(value, str) or not value:
            return error(400, "INVALID_REQUEST", f"Missing required field: {name}")
        if value.startswith("data:"):
            header, _, payload = value.partition(",")
            mime = header[5:].split(";")[0]
            if ";base64" not in header or not payload:
                return error(400, "INVALID_REQUEST", f"{name} is not a base64 data URL")
            try:
                data = base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                return error(400, "INVALID_REQUEST", f"{name} is not valid base64")
            if len(value) > MAX_IMAGE_BYTES or len(data) > MAX_IMAGE_BYTES:
                return error(400, "IMAGE_ERROR", "Image error: Image exceeds 10 MB")
            try:
                with Image.open(io.BytesIO(data)) as img:
                    fmt = img.format
            except Exception:
                return error(400, "IMAGE_ERROR", "Image error: Could not decode image")
            if fmt not in DATA_URL_TYPES.values() or DATA_URL_TYPES.get(mime) != fmt:
                return error(400, "IMAGE_ERROR", "Image error: Unsupported image format (JPEG, PNG, WebP)")
            with self.lock:
                self.reported_images[hashlib.sha256(data).hexdigest()] = data
            return None
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            return error(400, "INVALID_REQUEST", f"{name} must be an HTTPS URL or a base64 data URL")
        host = parts.hostname
        try:
            private = not ipaddress.ip_address(host).is_global
        except ValueError:
            private = host == "localhost" or host.endswith(".local") or host.endswith(".internal")
        if private:
            return error(400, "IMAGE_ERROR", "Image error: Private URLs not allowed")
        return None

    # --- routes: catalogs --------------------------------------------------------------------------------------
    @route("GET", "/models")
    def list_models(self, req: Request) -> Response:
        return json_response({"models": [
            {"model_id": model_id, "credits": credits, "best_for": TRYON_BEST_FOR[model_id]}
            for model_id, credits in TRYON_MODELS.items()
        ]})

    @route("GET", "/vision")
    def list_vision_models(self, req: Request) -> Response:
        return json_response({"models": [
            {"model_id": model_id, "credits": credits, "tasks": tasks, "prompt": prompt}
            for model_id, (credits, tasks, prompt) in VISION_MODELS.items()
        ]})

    # --- routes: try-on ----------------------------------------------------------------------------------------
    @route("POST", "/tryon")
    def tryon(self, req: Request) -> Response:
        key, denied = self._key(req)
        if denied:
            return denied
        try:
            body = req.json()
        except ValueError:
            return error(400, "INVALID_REQUEST", "Invalid JSON body")
        if not isinstance(body, dict):
            return error(400, "INVALID_REQUEST", "Invalid JSON body")
        for name in ("person_image_url", "garment_image_url"):
            problem = self._check_image(body.get(name), name)
            if problem:
                return problem
        garment_type = body.get("garment_type", "clothing")
        if garment_type not in GARMENT_TYPES:
            return error(400, "INVALID_REQUEST", f"garment_type must be one of: {', '.join(sorted(GARMENT_TYPES))}")
        model_id = body.get("model_id", "image-apps-v2/virtual-try-on")
        if model_id not in TRYON_MODELS:
            return error(400, "INVALID_MODEL", f'Unknown model_id "{model_id}". GET /api/v1/models for the model list.')
        problem = self._check_webhook(body)
        if problem:
            return problem
        limited = self._rate(key, "tryon")
        if limited:
            return limited
        unpaid = self._charge(key, TRYON_MODELS[model_id])
        if unpaid:
            return unpaid
        job = self._new_job(key, "tryon", model_id, body, TRYON_MODELS[model_id])
        with self.lock:
            self.submissions.append((key, self.clock()))
        return json_response({"job_id": job.job_id, "model_id": model_id, "status": "queued",
                              "credits_used": job.credits, "poll_url": self._poll_url(job)}, 202)

    def _check_webhook(self, body: dict) -> Response | None:
        url = body.get("webhook_url")
        if url is not None and (not isinstance(url, str) or urlsplit(url).scheme != "https"):
            return error(400, "INVALID_REQUEST", "webhook_url must be HTTPS")
        return None

    # --- routes: vision ----------------------------------------------------------------------------------------
    @route("POST", "/vision")
    def vision(self, req: Request) -> Response:
        key, denied = self._key(req)
        if denied:
            return denied
        try:
            body = req.json()
        except ValueError:
            return error(400, "INVALID_REQUEST", "Invalid JSON body")
        model_id = body.get("model_id", "moondream2")
        if model_id not in VISION_MODELS:
            return error(400, "INVALID_MODEL", f'Unknown model_id "{model_id}". GET /api/v1/vision for the model list.')
        problem = self._check_image(body.get("image_url"), "image_url") or self._vision_fields(model_id, body)
        problem = problem or self._check_webhook(body)
        if problem:
            return problem
        limited = self._rate(key, "vision")
        if limited:
            return limited
        credits = VISION_MODELS[model_id][0]
        unpaid = self._charge(key, credits)
        if unpaid:
            return unpaid
        job = self._new_job(key, "vision", model_id, body, credits)
        return json_response({"job_id": job.job_id, "status": "queued", "credits_used": credits,
                              "credits_left": self.keys[key], "poll_url": self._poll_url(job)}, 202)

    @staticmethod
    def _vision_fields(model_id: str, body: dict) -> Response | None:
        rule = VISION_MODELS[model_id][2]
        if rule == "required" and not body.get("prompt"):
            return error(400, "MISSING_FIELD", f'model_id "{model_id}" requires a "prompt" field '
                                               f'(e.g. "Describe this image in detail.").')
        if rule == "object" and not body.get("object"):
            return error(400, "MISSING_FIELD", f'model_id "{model_id}" requires an "object" field.')
        if rule == "task_type" and body.get("task_type") == "query" and not body.get("prompt"):
            return error(400, "MISSING_FIELD", f'model_id "{model_id}" with task_type "query" requires a "prompt" '
                                               f'field with the question to ask.')
        if "length" in body and body["length"] not in ("short", "normal", "long"):
            return error(400, "INVALID_REQUEST", 'length must be "short", "normal" or "long"')
        return None

    # --- routes: status ----------------------------------------------------------------------------------------
    @route("GET", "/jobs/(?P<job_id>[^/]+)")
    def job_status(self, req: Request, job_id: str) -> Response:
        key, denied = self._key(req)
        if denied:
            return denied
        model_id = req.arg("model_id")
        if not model_id:
            return error(400, "INVALID_REQUEST", "Missing required query parameter: model_id")
        limited = self._rate(key, "poll")
        if limited:
            return limited
        job = self.jobs.get(job_id)
        if job is None or job.key != key or job.model_id != model_id:
            return error(404, "NOT_FOUND", "Job not found")
        return json_response(self._observe(job))

    # --- jobs --------------------------------------------------------------------------------------------------
    def _new_job(self, key: str, kind: str, model_id: str, body: dict, credits: int) -> Job:
        job = Job(uuid.uuid4().hex, key, kind, model_id, body, self.clock(), credits,
                  self.queue_seconds, self.run_seconds if kind == "tryon" else 1.0, self.next_outcome)
        with self.lock:
            self.jobs[job.job_id] = job
        return job

    def _poll_url(self, job: Job) -> str:
        return f"{self.url}/jobs/{job.job_id}?model_id={quote(job.model_id, safe='')}"

    def _state(self, job: Job) -> str:
        age = self.clock() - job.created_at
        if age < job.queue_seconds:
            return "queued"
        if age < job.queue_seconds + job.run_seconds:
            return "processing"
        return job.outcome

    def _observe(self, job: Job) -> dict:
        """The job's GET /jobs body now; fires its webhook the first time it is seen terminal."""
        state = self._state(job)
        payload: dict = {"job_id": job.job_id, "model_id": job.model_id, "status": state}
        if state == "queued":
            payload["queue_position"] = 1 + sum(1 for j in self.jobs.values()
                                                if j.created_at < job.created_at and self._state(j) == "queued")
        elif state == "completed":
            payload.update(self._completed(job))
            payload["elapsed_ms"] = int((job.queue_seconds + job.run_seconds) * 1000)
        elif state == "failed":
            if job.kind == "vision":
                payload["error"] = "Vision job failed: inference backend error"
            else:
                payload["logs"] = list(self.fail_logs)
        if state in ("completed", "failed"):
            self._fire(job, state, payload)
        return payload

    def _completed(self, job: Job) -> dict:
        if job.kind == "vision":
            if job.result is None:
                job.result = self._vision_result(job)
            return {"result": job.result}
        if not job.images:
            job.images = [self.publish_file(_result_png(job.job_id), ttl=RESULT_TTL, name=f"{job.job_id}.png")]
        return {"images": list(job.images)}

    def _vision_result(self, job: Job) -> dict:
        result = {"text": None, "objects": None, "annotated_image": None, "is_nsfw": None, "nsfw_probability": None}
        tasks = VISION_MODELS[job.model_id][1]
        if "moderation" in tasks:
            probability = self.nsfw_by_digest.get(_digest(job.body.get("image_url", "")),
                                                  self.default_nsfw_probability)
            result["is_nsfw"] = probability >= 0.5
            result["nsfw_probability"] = probability if job.model_id == "imageutils/nsfw" else None
        elif "detection" in tasks:
            result["objects"] = [{"label": job.body.get("object") or "garment",
                                  "x_min": 0.2, "y_min": 0.1, "x_max": 0.8, "y_max": 0.9}]
        else:
            result["text"] = self.caption_text
        return result

    def _fire(self, job: Job, state: str, payload: dict) -> None:
        # "Exactly once per terminal status … No retries." Only jobs that registered a webhook_url.
        with self.lock:
            if job.fired or not job.body.get("webhook_url"):
                return
            job.fired = True
            if self.webhooks == "drop":
                return
        result = payload.get("result") if job.kind == "vision" else (
            {"images": payload["images"]} if state == "completed" else None)
        body = {"request_id": job.job_id, "model_id": job.model_id,
                "kind": "vision" if job.kind == "vision" else "image", "status": state,
                "timestamp": int(self.clock()), "result": result}
        if state == "failed":
            body["logs"] = payload.get("logs") or [payload.get("error", "")]
        with self.lock:
            self.outbox.append(self.signed(job.body["webhook_url"], body, job.body.get("webhook_secret"), job.job_id))

    def signed(self, url: str, body: dict, secret: str | None, job_id: str = "") -> Delivery:
        raw = json.dumps(body).encode()
        timestamp = str(int(self.clock()))
        headers = {"Content-Type": "application/json", "User-Agent": "ArtEmotion-Webhooks/1.0",
                   "X-ArtEmotion-Event": f"job.{body['status']}", "X-ArtEmotion-Timestamp": timestamp}
        if secret:
            digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
            headers["X-ArtEmotion-Signature"] = f"v1={digest}"
        return Delivery(url, headers, raw, job_id)

    def not_found(self, req: Request) -> Response:
        path = req.path[len(self.prefix):]
        if any(pattern.match(path) for _, pattern, _ in self._routes):
            return error(405, "METHOD_NOT_ALLOWED", f"Method {req.method} not allowed on {path}")
        return error(404, "NOT_FOUND", "Not found")


def _digest(data_url: str) -> str:
    if data_url.startswith("data:"):
        return hashlib.sha256(base64.b64decode(data_url.partition(",")[2])).hexdigest()
    return hashlib.sha256(data_url.encode()).hexdigest()


def _result_png(job_id: str) -> bytes:
    seed = hashlib.sha256(job_id.encode()).digest()
    image = Image.new("RGB", (96, 128), tuple(seed[:3]))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
