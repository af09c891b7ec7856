"""Export of approved images: a zip streamed as it is written, and a CSV manifest.

The zip has a folder per SKU with files named `<SKU>_<view>_<n>.<ext>` and the manifest inside it. The manifest
maps every exported file back to its SKU, garment images, vendor, model, pose, prompt, task, output, who approved it
and when at each stage, credits and storage path — the "external manifest" Uwear's collection guide asks for
(002, "Generate a Whole Collection in Bulk").

Nothing is buffered whole: zipfile writes to a sink we drain after every chunk, so memory stays at one chunk
whatever the export's size. The query count is fixed, whatever the number of outputs.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from catalog.models import GarmentImage, Project

from .models import Decision, ReviewEvent, ReviewStage, TaskOutput, TaskStatus

S = TaskStatus
EXPORTABLE = (S.REVIEW_APPROVED, S.CLIENT_APPROVED)
MANIFEST_COLUMNS = [
    "sku", "file", "view", "garment_images", "vendor", "vendor_account", "operation", "model", "model_image", "pose",
    "prompt", "task_id", "output_id", "parent_output_id", "round", "review_status", "review_approved_by",
    "review_approved_at", "client_approved_by", "client_approved_at", "credits_charged", "credits_estimated",
    "storage_path",
]
CHUNK = 256 * 1024


def exportable_outputs(project: Project, *, client_approved_only: bool = False) -> QuerySet:
    statuses = (S.CLIENT_APPROVED,) if client_approved_only else EXPORTABLE
    approvals = ReviewEvent.objects.filter(decision=Decision.APPROVED).select_related("actor").order_by("created_at")
    return (TaskOutput.objects.filter(task__sku__project=project, review_status__in=statuses, flagged=False)
            .select_related("task", "task__sku", "task__account", "task__model_image__fashion_model", "task__pose")
            .prefetch_related(Prefetch("review_events", queryset=approvals, to_attr="approvals"),
                              Prefetch("task__garment_images", queryset=GarmentImage.objects.order_by("pk")))
            .order_by("task__sku__code", "task_id", "round", "pk"))


def safe_component(text: str) -> str:
    """A SKU code as a file-name component: letters, digits, dot, dash and underscore only."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip(".-") or "sku"
    return cleaned[:80]


def _view_of(output: TaskOutput) -> str:
    views = {g.view for g in output.task.garment_images.all()}
    if len(views) == 1:
        return views.pop()
    image = output.task.model_image
    if image and image.view_type == "back_facing":
        return "back"
    return "front" if not views or "front" in views else sorted(views)[0]


def _extension(output: TaskOutput) -> str:
    ext = output.file.name.rsplit(".", 1)[-1].lower() if "." in output.file.name else "bin"
    return "jpg" if ext == "jpeg" else ext


@dataclass
class Row:
    output: TaskOutput
    path: str  # inside the zip

    def manifest(self) -> dict:
        o, task = self.output, self.output.task
        review = next((e for e in o.approvals if e.stage == ReviewStage.REVIEW), None)
        client = next((e for e in o.approvals if e.stage == ReviewStage.CLIENT), None)
        model_image = task.model_image
        return {
            "sku": task.sku.code, "file": self.path, "view": _view_of(o),
            "garment_images": ";".join(g.original_name or g.image.name for g in task.garment_images.all()),
            "vendor": task.account.get_vendor_display(), "vendor_account": task.account.name,
            "operation": task.get_operation_display(),
            "model": model_image.fashion_model.name if model_image else "",
            "model_image": model_image.pk if model_image else "", "pose": task.pose.name if task.pose else "",
            "prompt": task.prompt, "task_id": task.pk, "output_id": o.pk, "parent_output_id": o.parent_id or "",
            "round": o.round, "review_status": o.review_status,
            "review_approved_by": review.actor.get_username() if review and review.actor else "",
            "review_approved_at": review.created_at.isoformat() if review else "",
            "client_approved_by": client.actor.get_username() if client and client.actor else "",
            "client_approved_at": client.created_at.isoformat() if client else "",
            "credits_charged": task.charged_credits, "credits_estimated": task.estimated_credits,
            "storage_path": o.file.name,
        }

    def csv_row(self) -> dict:
        return {name: csv_cell(value) for name, value in self.manifest().items()}


# OWASP "CSV Injection": a cell starting with one of these is read as a formula by spreadsheet programs. Such a cell
# is prefixed with a single quote (and the csv module quotes embedded separators and doubles quotes).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A manifest value safe to open in a spreadsheet: text starting with = + - @ tab or CR gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def plan_rows(outputs: QuerySet) -> list[Row]:
    counters: dict[tuple[str, str], int] = defaultdict(int)
    rows = []
    for output in outputs:
        sku = safe_component(output.task.sku.code)
        view = _view_of(output)
        counters[(sku, view)] += 1
        rows.append(Row(output, f"{sku}/{sku}_{view}_{counters[(sku, view)]}.{_extension(output)}"))
    return rows


def manifest_csv(rows: list[Row]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row.csv_row())
    return buf.getvalue()


def iter_manifest(rows: list[Row]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row.csv_row())
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    if buf.getvalue():
        yield buf.getvalue()


class _Sink(io.RawIOBase):
    """A write-only, unseekable stream: zipfile then writes data descriptors, and we hand bytes on as they come."""

    def __init__(self):
        self._parts: list[bytes] = []
        self._written = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def iter_zip(rows: list[Row], manifest_name: str = "manifest.csv") -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as zf:
        for row in rows:
            info = zipfile.ZipInfo(row.path, date_time=row.output.created_at.timetuple()[:6])
            with zf.open(info, "w", force_zip64=True) as dest, row.output.file.open("rb") as src:
                while chunk := src.read(CHUNK):
                    dest.write(chunk)
                    yield sink.drain()
        zf.writestr(manifest_name, manifest_csv(rows))
    yield sink.drain()
