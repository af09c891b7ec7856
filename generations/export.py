"""Export of approved images: a zip streamed as it is written, and a CSV manifest.

The zip has a folder per SKU with files named `<SKU>_<view>_<n>.<ext>` and the manifest inside it. The manifest
maps every exported file back to its SKU, garment images, vendor, model, pose, prompt, task, output, who approved it
and when at each stage, credits and storage path — the "external manifest" Uwear's collection guide asks for
(002, "Generate a Whole Collection in Bulk").

Nothing is buffered whole (issue 17): rows come from the database in chunks of SKUs (keyset on the SKU code; the
prefetches done per chunk), each CSV row is written as its output goes into the zip, and zipfile writes to a sink drained after every
file chunk. The manifest is spooled to a temporary file while the images stream and appended at the end, so a
worker's memory does not grow with the export (only the zip's central directory does, about 100 bytes a file).
The query count per chunk is fixed, whatever the number of outputs.

Credits: a task's charge covers all its outputs, so each row carries the task's figures in columns named for the
task (`task_credits_charged`, `task_credits_estimated`) and the output's share (`credits_charged_share`: the task's
charge divided by the outputs it asked for), which is the column to sum.
"""
from __future__ import annotations

import csv
import gc
import io
import re
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from catalog.models import SKU, GarmentImage, Project

from .models import Decision, ReviewEvent, ReviewStage, TaskOutput, TaskStatus

S = TaskStatus
EXPORTABLE = (S.REVIEW_APPROVED, S.CLIENT_APPROVED)
MANIFEST_COLUMNS = [
    "sku", "file", "view", "garment_images", "vendor", "vendor_account", "operation", "model", "model_image", "pose",
    "prompt", "task_id", "output_id", "parent_output_id", "round", "review_status", "review_approved_by",
    "review_approved_at", "client_approved_by", "client_approved_at", "credits_charged_share", "task_credits_charged",
    "task_credits_estimated", "storage_path",
]
CHUNK = 256 * 1024
ROWS_PER_QUERY = 100
SKUS_PER_QUERY = 50  # small chunks: the first byte leaves after 50 SKUs' rows, whatever the export


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


def _share(credits, outputs: int) -> Decimal:
    return (Decimal(credits) / max(outputs or 1, 1)).quantize(Decimal("0.0001"))


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
            "credits_charged_share": _share(task.charged_credits, task.num_outputs),
            "task_credits_charged": task.charged_credits, "task_credits_estimated": task.estimated_credits,
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


def _in_sku_chunks(outputs: QuerySet, project: Project) -> Iterator[TaskOutput]:
    """The outputs, SKUS_PER_QUERY SKUs at a time in SKU-code order (keyset on the project's unique (project, code)
    index): each chunk is a small query, so the first rows come at once and no result set is held whole, neither
    in this process nor in a server-side cursor."""
    after = None
    while True:
        skus = SKU.objects.filter(project=project).order_by("code")
        if after is not None:
            skus = skus.filter(code__gt=after)
        chunk = list(skus.values_list("code", "pk")[:SKUS_PER_QUERY])
        if not chunk:
            return
        yield from outputs.filter(task__sku_id__in=[pk for _, pk in chunk])
        after = chunk[-1][0]
        # A prefetched approval points back at its output: the chunk's rows are a reference cycle, freed only by the
        # cycle collector. Collect the young generations now, or they pile up until a full collection.
        gc.collect(1)


def iter_rows(outputs: QuerySet, project: Project | None = None) -> Iterator[Row]:
    """Each output with its path in the zip, read in chunks (by SKU when the project is given, else with
    .iterator()). Outputs come sorted by SKU code, so the per-view file counter is kept for the current SKU only."""
    counters: dict[str, int] = defaultdict(int)
    current = None
    source = (_in_sku_chunks(outputs, project) if project is not None
              else outputs.iterator(chunk_size=ROWS_PER_QUERY))
    for output in source:
        sku = safe_component(output.task.sku.code)
        if sku != current:
            counters.clear()
            current = sku
        view = _view_of(output)
        counters[view] += 1
        yield Row(output, f"{sku}/{sku}_{view}_{counters[view]}.{_extension(output)}")


def manifest_csv(rows: Iterable[Row]) -> str:
    return "".join(iter_manifest(rows))


def iter_manifest(rows: Iterable[Row]) -> Iterator[str]:
    """The CSV, one row at a time as the rows come."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS)
    writer.writeheader()
    yield buf.getvalue()
    for row in rows:
        buf.seek(0)
        buf.truncate()
        writer.writerow(row.csv_row())
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


def iter_zip(rows: Iterable[Row], manifest_name: str = "manifest.csv",
             on_file: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """The zip, chunk by chunk: each image as it is read, then the manifest, spooled to a temporary file meanwhile.
    `on_file(n)` is told after the n-th file (the background export reports its progress with it)."""
    sink = _Sink()
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool, \
            zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as zf:
        writer = csv.DictWriter(spool, fieldnames=MANIFEST_COLUMNS)
        writer.writeheader()
        for n, row in enumerate(rows, 1):
            info = zipfile.ZipInfo(row.path, date_time=row.output.created_at.timetuple()[:6])
            with zf.open(info, "w", force_zip64=True) as dest, row.output.file.open("rb") as src:
                while chunk := src.read(CHUNK):
                    dest.write(chunk)
                    yield sink.drain()
            writer.writerow(row.csv_row())
            if on_file is not None:
                on_file(n)
        spool.seek(0)
        info = zipfile.ZipInfo(manifest_name, date_time=timezone.now().timetuple()[:6])
        with zf.open(info, "w", force_zip64=True) as dest:
            while text := spool.read(CHUNK):
                dest.write(text.encode("utf-8"))
                yield sink.drain()
    yield sink.drain()
