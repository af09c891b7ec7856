"""SANDBOX: a local, labelled vendor so the studio works end to end with no key (DESIGN.md §6).

It is not a stand-in for a real adapter: every image it makes is visibly stamped "SANDBOX". It behaves like a
remote vendor on the same base as the others — submit returns a job id, the job "runs" for a configurable time,
poll then reports it completed with the outputs — so the engine's steps, limits and crash recovery are exercised
the same way. The Pillow work happens in poll, i.e. in a worker, never in a request.

Its "server side" is an append-only ledger file per account under STUDIO_SANDBOX_DIR: one line per submit call.
That gives it a submission listing to reconcile against (like Huhu's GET /task), and lets tests count paid calls
across worker processes, including ones that were killed.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import time
import uuid
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageChops, ImageDraw, ImageFont, PngImagePlugin

from generations.vendors.base import (Balance, Capabilities, GenerationFailed, Option, OperationSpec, PollResult, RemoteOutput,
                   Submission, Unsupported, VendorAdapter)

STAMP = "SANDBOX"
STAMP_COLOR = (255, 0, 153)
CANVAS_HEIGHT = 768
# Vertical band of the figure a garment covers, as fractions of the image height.
PLACEMENT = {
    "Top": (0.30, 0.55),
    "Bottom": (0.50, 0.95),
    "Full body": (0.28, 0.90),
    "Shoes": (0.91, 0.99),
    "Accessory": (0.02, 0.14),
}
_LIGHT = 225  # flat-lay backgrounds are near white: channels above this are background


class SandboxAdapter(VendorAdapter):
    vendor = "sandbox"
    label = "Sandbox"
    can_reconcile = True
    poll_interval = 1.0
    capabilities = Capabilities({
        "try_on": OperationSpec("try_on", outputs_max=4, needs_garment=True,
                                help="Composites the garment onto the model image locally (SANDBOX)."),
        "edit": OperationSpec("edit", needs_parent_output=True, help="Tints an output and stamps it (SANDBOX)."),
        "upscale": OperationSpec("upscale", accepts_prompt=False, needs_parent_output=True, options=(
            Option("factor", "Upscale factor", "choice", choices=(("2", "2×"),), default="2"),
        )),
    })

    def __init__(self, account, client=None):
        super().__init__(account, client=client)
        # account.settings["reconcile"] = False plays a vendor with no submission listing (tests of "needs attention").
        self.can_reconcile = bool(account.settings.get("reconcile", True))

    # --- cost and balance ---------------------------------------------------------------------------------------
    def estimate(self, operation: str, options: dict, num_outputs: int) -> Decimal:
        self.capabilities.spec(operation)
        return Decimal(num_outputs)

    def check_balance(self) -> Balance:
        return Balance(credits=Decimal(str(self.account.settings.get("credits", 1000))))

    # --- the job ------------------------------------------------------------------------------------------------
    def submit(self, task) -> Submission:
        self.capabilities.spec(task.operation)
        record = {"job_id": f"sbx-{uuid.uuid4().hex[:16]}", "attempt_key": task.attempt_key, "task_id": task.pk,
                  "round": task.round, "submitted_at": time.time(), "latency": self.latency()}
        self._before_send("POST", "ledger")  # no HTTP here: the point of no return is writing our own record
        _append(self.ledger_path(), record)
        return Submission(vendor_task_id=record["job_id"], raw=record)

    def find_submission(self, task) -> Submission | None:
        if not self.can_reconcile:  # playing a vendor that keeps no record we can ask
            return None
        for record in ledger(self.account):
            if record.get("attempt_key") == task.attempt_key and task.attempt_key:
                return Submission(vendor_task_id=record["job_id"], raw=record)
        return None

    def poll(self, task) -> PollResult:
        job = task.vendor_state.get("submission") or {}
        ready_at = float(job.get("submitted_at", 0)) + float(job.get("latency", 0))
        if time.time() < ready_at:
            return PollResult(state="running", vendor_status="Generation in process", raw={"job_id": job.get("job_id")})
        if self._fails(task):
            return PollResult(state="failed", vendor_status="Generation failed",
                              error="SANDBOX simulated failure (fail_rate)", raw={"job_id": job.get("job_id")})
        outputs = [RemoteOutput(result_id=f"{task.vendor_task_id}-{i}", data=self.render(task, i))
                   for i in range(self._output_count(task))]
        return PollResult(state="completed", vendor_status="Generation completed", outputs=outputs,
                          raw={"job_id": job.get("job_id")})

    # --- settings -----------------------------------------------------------------------------------------------
    def latency(self) -> float:
        return float(self.account.settings.get("latency_seconds", settings.STUDIO_SANDBOX_SECONDS))

    def _fails(self, task) -> bool:
        """Deterministic per task and round, so a test with fail_rate=0.5 fails the same tasks every run."""
        rate = float(self.account.settings.get("fail_rate", 0))
        digest = hashlib.sha256(f"{task.pk}:{task.round}".encode()).digest()
        return int.from_bytes(digest[:4], "big") / 2**32 < rate

    def _output_count(self, task) -> int:
        return task.num_outputs if task.operation == "try_on" else 1

    def ledger_path(self) -> Path:
        return ledger_path(self.account)

    # --- Pillow -------------------------------------------------------------------------------------------------
    def render(self, task, index: int) -> bytes:
        if task.operation == "try_on":
            image = compose_try_on(_model_image(task), _garment(task), index)
        elif task.operation == "edit":
            image = _tint(_parent_image(task), task.prompt, index)
        elif task.operation == "upscale":
            parent = _parent_image(task)
            image = parent.resize((parent.width * 2, parent.height * 2), Image.Resampling.LANCZOS)
        else:
            raise Unsupported(f"the sandbox does not offer {task.operation}")
        return to_png(stamp(image))


# --- The ledger ("the vendor's records") ------------------------------------------------------------------------
def ledger_path(account) -> Path:
    # created_at keeps two test databases whose accounts share a primary key from sharing a ledger.
    created = int(account.created_at.timestamp() * 1_000_000) if account.created_at else 0
    return Path(settings.STUDIO_SANDBOX_DIR) / f"account-{account.pk}-{created}.jsonl"


def _append(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record) + "\n").encode()
    # One write() on an O_APPEND descriptor: lines from several worker processes never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def ledger(account) -> list[dict]:
    path = ledger_path(account)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# --- Image work -------------------------------------------------------------------------------------------------
def _open(field) -> Image.Image:
    with field.open("rb") as fh:
        image = Image.open(io.BytesIO(fh.read()))
        image.load()
    return image


def _model_image(task) -> Image.Image:
    if task.model_image_id and task.model_image.image:
        image = _open(task.model_image.image).convert("RGB")
        width = max(1, round(image.width * CANVAS_HEIGHT / image.height))
        return image.resize((width, CANVAS_HEIGHT), Image.Resampling.LANCZOS)
    return _silhouette()


def _silhouette() -> Image.Image:
    """A plain figure when no model image was chosen: head, torso, legs."""
    image = Image.new("RGB", (512, CANVAS_HEIGHT), (236, 236, 232))
    draw = ImageDraw.Draw(image)
    fill = (190, 170, 155)
    draw.ellipse([216, 20, 296, 110], fill=fill)
    draw.rectangle([186, 120, 326, 420], fill=fill)
    draw.rectangle([190, 420, 250, 740], fill=fill)
    draw.rectangle([262, 420, 322, 740], fill=fill)
    return image


def _garment(task):
    images = list(task.garment_images.all()) or list(task.sku.garment_images.all())
    if not images:
        raise GenerationFailed("SANDBOX: the task has no garment image")
    chosen = next((g for g in images if g.view == "front"), images[0])
    garment_type = chosen.garment_type or task.sku.garment_type
    return _open(chosen.image).convert("RGB"), garment_type


def cutout(garment: Image.Image) -> Image.Image:
    """Remove a light flat-lay background: pixels light in every channel become transparent, then crop to the
    garment. (The grey level alone would also drop pale but saturated colours.)"""
    light = [channel.point(lambda v: 255 if v > _LIGHT else 0) for channel in garment.convert("RGB").split()]
    background = ImageChops.multiply(ImageChops.multiply(light[0], light[1]), light[2])
    mask = ImageChops.invert(background)
    rgba = garment.convert("RGBA")
    rgba.putalpha(mask)
    box = mask.getbbox()
    return rgba.crop(box) if box else rgba


def compose_try_on(model: Image.Image, garment_and_type, index: int = 0) -> Image.Image:
    garment, garment_type = garment_and_type
    piece = cutout(garment)
    top, bottom = PLACEMENT.get(garment_type, PLACEMENT["Top"])
    height = model.height
    box_height = max(1, int((bottom - top) * height))
    max_width = int(model.width * (0.35 if garment_type in ("Shoes", "Accessory") else 0.6))
    scale = min(box_height / piece.height, max_width / piece.width)
    piece = piece.resize((max(1, int(piece.width * scale)), max(1, int(piece.height * scale))),
                         Image.Resampling.LANCZOS)
    x = (model.width - piece.width) // 2 + index * 6  # outputs differ slightly, like real variations
    y = int(top * height)
    result = model.copy()
    result.paste(piece, (x, y), piece)
    return result


def _parent_image(task) -> Image.Image:
    if not task.parent_output_id:
        raise GenerationFailed("SANDBOX: edit and upscale need an output to start from")
    return _open(task.parent_output.file).convert("RGB")


def _tint(image: Image.Image, prompt: str, index: int) -> Image.Image:
    digest = hashlib.sha256(f"{prompt}:{index}".encode()).digest()
    overlay = Image.new("RGB", image.size, tuple(digest[:3]))
    return Image.blend(image, overlay, 0.15)


def stamp(image: Image.Image) -> Image.Image:
    """The visible SANDBOX label: a magenta band across the top with the word in white."""
    image = image.convert("RGB")
    band = max(18, image.height // 14)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, image.width, band], fill=STAMP_COLOR)
    try:
        font = ImageFont.load_default(size=int(band * 0.7))
    except (TypeError, OSError):
        font = ImageFont.load_default()
    draw.text((8, band * 0.12), STAMP, fill=(255, 255, 255), font=font)
    return image


def to_png(image: Image.Image) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", f"Fashion Studio {STAMP}")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()
