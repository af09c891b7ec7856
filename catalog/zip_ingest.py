"""Bulk import of an archive with one folder per SKU.

Layout, as Huhu documents it (001 §8.3): `sku_folder_1/front.jpg, sku_folder_1/back.jpg, …` and "Do NOT wrap SKU
folders in a parent folder" — we unwrap a single wrapping folder anyway and say so in a warning.

Hostile archives (RELIABILITY.md, "Uploads") are refused quickly and with bounded memory and disk:
- the whole archive: not a zip, too many entries, declared total size over the cap;
- one entry: unsafe name (`..`, absolute, backslash, NUL, control characters, too long, same name as another
  ignoring case), a link, encrypted, a nested archive, too deep, too big, a suspicious compression ratio, more
  bytes than declared, not a JPEG/PNG/WebP, a decompression bomb, truncated.
Entries are read one at a time with a byte cap, so a lying size header cannot make us read more than the cap.
Storage names are ours; the user's names are kept only for display in the report.
Each SKU is created atomically with its images; a re-import of the same archive creates nothing twice (checksums).
"""
from __future__ import annotations

import logging
import stat
import time
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import images, signals
from .models import SKU, GarmentImage, GarmentType, ImportStatus, Project, ZipImport
from .naming import SKU_CODE_RE, SKU_CODE_RULE, guess_garment
from .uploads import display_name

log = logging.getLogger(__name__)

NESTED_ARCHIVE_EXTENSIONS = (".zip", ".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst")
SYSTEM_FILES = {".ds_store", "thumbs.db", "desktop.ini"}
READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ZipLimits:
    max_entries: int
    max_entry_bytes: int
    max_total_bytes: int
    max_ratio: float
    max_name_length: int = 255
    max_component_length: int = 120

    @classmethod
    def from_settings(cls) -> ZipLimits:
        return cls(
            max_entries=settings.STUDIO_ZIP_MAX_ENTRIES,
            max_entry_bytes=settings.STUDIO_MAX_IMAGE_BYTES,
            max_total_bytes=settings.STUDIO_ZIP_MAX_TOTAL_BYTES,
            max_ratio=settings.STUDIO_ZIP_MAX_RATIO,
        )


class ArchiveRefused(Exception):
    """The whole archive is refused; the message is for the user."""


@dataclass
class Outcome:
    name: str
    sku: str
    outcome: str  # accepted | duplicate | rejected | skipped
    reason: str = ""

    def as_row(self) -> dict:
        return {"name": self.name, "sku": self.sku, "outcome": self.outcome, "reason": self.reason}


@dataclass
class Plan:
    by_sku: dict[str, list[tuple[zipfile.ZipInfo, str]]] = field(default_factory=lambda: defaultdict(list))
    outcomes: list[Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def entry_count(self) -> int:
        return sum(len(v) for v in self.by_sku.values()) + len(self.outcomes)


# --- names --------------------------------------------------------------------------------------------------------
def name_problem(name: str, info: zipfile.ZipInfo, limits: ZipLimits) -> str | None:
    """Why an entry name is unsafe, or None. Checked before a single byte is decompressed."""
    if "\x00" in name:
        return "has a NUL character in its name"
    if "\\" in name:
        return "uses backslashes in its path"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "is an absolute path"
    parts = name.rstrip("/").split("/")
    if any(p in ("..", ".") for p in parts):
        return "points outside its folder (..)"
    if any(p == "" for p in parts):
        return "has an empty folder name"
    if any(unicodedata.category(ch)[0] == "C" for ch in name):
        return "has control characters in its name"
    if len(name) > limits.max_name_length or any(len(p) > limits.max_component_length for p in parts):
        return "has a name that is too long"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "is a link; links are not followed"
    if info.flag_bits & 0x1:
        return "is encrypted"
    if name.lower().endswith(NESTED_ARCHIVE_EXTENSIONS):
        return "is an archive inside the archive; nested archives are not opened"
    return None


def _is_system_file(parts: list[str]) -> bool:
    base = parts[-1].lower()
    return parts[0] == "__MACOSX" or base.startswith("._") or base in SYSTEM_FILES


def plan_archive(zf: zipfile.ZipFile, limits: ZipLimits) -> Plan:
    """Sort every entry into a SKU folder or a reported refusal, reading only the central directory."""
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise ArchiveRefused(f"The archive has {len(infos):,} entries; the limit is {limits.max_entries:,}.")
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_total_bytes:
        raise ArchiveRefused(f"The archive expands to {declared / 1_048_576:,.0f} MB; the limit is "
                             f"{limits.max_total_bytes / 1_048_576:,.0f} MB.")
    plan, candidates, seen = Plan(), [], set()
    for info in infos:
        if info.is_dir():
            continue
        shown = display_name(info.filename) if "/" not in info.filename else _display_path(info.filename)
        problem = name_problem(info.filename, info, limits)
        if problem:
            plan.outcomes.append(Outcome(shown, "", "rejected", problem))
            continue
        parts = info.filename.split("/")
        if _is_system_file(parts):
            plan.outcomes.append(Outcome(shown, "", "skipped", "system file"))
            continue
        folded = unicodedata.normalize("NFC", info.filename).casefold()
        if folded in seen:
            plan.outcomes.append(Outcome(shown, "", "rejected", "has the same name as another entry (ignoring case)"))
            continue
        seen.add(folded)
        candidates.append((info, parts, shown))
    candidates = _unwrap_single_parent(candidates, plan)
    for info, parts, shown in candidates:
        if len(parts) == 1:
            plan.outcomes.append(Outcome(shown, "", "rejected", "is not inside a SKU folder"))
        elif len(parts) > 2:
            plan.outcomes.append(Outcome(shown, parts[0], "rejected",
                                         "is nested deeper than one folder; put images directly in the SKU folder"))
        else:
            sku_code = unicodedata.normalize("NFC", parts[0]).strip()
            if not SKU_CODE_RE.fullmatch(sku_code):
                plan.outcomes.append(Outcome(shown, "", "rejected", f"the folder is not a valid SKU code: "
                                                                    f"{SKU_CODE_RULE}"))
                continue
            plan.by_sku[sku_code].append((info, shown))
    return plan


def _display_path(name: str) -> str:
    folder, _, base = name.rpartition("/")
    return f"{display_name(folder)}/{display_name(base)}" if folder else display_name(base)


def _unwrap_single_parent(candidates: list, plan: Plan) -> list:
    """Huhu asks for no wrapping folder, but archiving a folder on a desktop makes exactly that: unwrap it."""
    if not candidates:
        return candidates
    tops = {parts[0] for _, parts, _ in candidates}
    if len(tops) == 1 and all(len(parts) >= 3 for _, parts, _ in candidates):
        wrapper = tops.pop()
        plan.warnings.append(f"All SKU folders were inside one folder, “{display_name(wrapper)}”; it was unwrapped.")
        return [(info, parts[1:], shown) for info, parts, shown in candidates]
    return candidates


# --- reading -------------------------------------------------------------------------------------------------------
def read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ZipLimits) -> bytes:
    """An entry's bytes, never more than the cap, whatever its header claims."""
    if info.file_size > limits.max_entry_bytes:
        raise images.RejectedImage(f"is {info.file_size / 1_048_576:.1f} MB; the limit is "
                                   f"{limits.max_entry_bytes / 1_048_576:.0f} MB per image")
    if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
        raise images.RejectedImage(f"compresses {info.file_size / info.compress_size:,.0f}:1, which only a zip bomb "
                                   "does")
    parts, total = [], 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(READ_CHUNK):
                total += len(chunk)
                if total > limits.max_entry_bytes or total > info.file_size:
                    raise images.RejectedImage("holds more bytes than its header declares")
                parts.append(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
        raise images.RejectedImage(f"could not be read from the archive ({exc})") from None
    return b"".join(parts)


# --- storing -------------------------------------------------------------------------------------------------------
@dataclass
class _Accepted:
    shown: str
    checked: images.CheckedImage
    image_name: str
    thumb_name: str
    garment_type: str
    view: str


def _store_files(data: bytes, checked: images.CheckedImage, thumb: bytes) -> tuple[str, str]:
    field_image = GarmentImage._meta.get_field("image")
    field_thumb = GarmentImage._meta.get_field("thumbnail")
    storage = field_image.storage
    image_name = storage.save(field_image.generate_filename(None, f"x.{checked.extension}"), ContentFile(data))
    thumb_name = field_thumb.storage.save(field_thumb.generate_filename(None, "x.webp"), ContentFile(thumb))
    return image_name, thumb_name


def _sku_type(accepted: list[_Accepted]) -> str:
    types = {a.garment_type for a in accepted}
    if {GarmentType.TOP, GarmentType.BOTTOM} <= types or GarmentType.FULL_BODY in types:
        return GarmentType.FULL_BODY
    return max(types, key=lambda t: sum(a.garment_type == t for a in accepted)) if types else GarmentType.TOP


def _create_sku(project: Project, code: str, accepted: list[_Accepted], user) -> tuple[bool, int]:
    """The SKU and all its new images in one transaction; stored files are removed if it fails."""
    try:
        with transaction.atomic():
            sku, created = SKU.objects.get_or_create(
                project=project, code=code, defaults={"name": code, "garment_type": _sku_type(accepted)})
            GarmentImage.objects.bulk_create([
                GarmentImage(sku=sku, image=a.image_name, thumbnail=a.thumb_name, width=a.checked.width,
                             height=a.checked.height, size_bytes=a.checked.size_bytes, checksum=a.checked.checksum,
                             original_name=a.shown.rsplit("/", 1)[-1], garment_type=a.garment_type, view=a.view,
                             uploaded_by=user)
                for a in accepted
            ])
    except BaseException:
        storage = GarmentImage._meta.get_field("image").storage
        for a in accepted:
            storage.delete(a.image_name)
            storage.delete(a.thumb_name)
        raise
    return created, len(accepted)


# --- the import ----------------------------------------------------------------------------------------------------
@dataclass
class IngestResult:
    outcomes: list[Outcome]
    warnings: list[str]
    skus_created: int = 0
    images_created: int = 0


ProgressFn = Callable[[int, int], None]


def ingest_archive(project: Project, fileobj: IO[bytes], *, user=None, limits: ZipLimits | None = None,
                   progress: ProgressFn | None = None) -> IngestResult:
    limits = limits or ZipLimits.from_settings()
    try:
        zf = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ArchiveRefused("This file is not a zip archive we can read.") from None
    with zf:
        plan = plan_archive(zf, limits)
        result = IngestResult(outcomes=list(plan.outcomes), warnings=plan.warnings)
        total, done = plan.entry_count, len(plan.outcomes)
        if progress:
            progress(done, total)
        for code, entries in plan.by_sku.items():
            accepted, outcomes = _check_sku_entries(zf, project, code, entries, limits)
            result.outcomes.extend(outcomes)
            if accepted:
                try:
                    created, count = _create_sku(project, code, accepted, user)
                except IntegrityError:
                    # Another import of the same archive stored these images meanwhile: nothing lost.
                    result.outcomes.extend(Outcome(a.shown, code, "duplicate", "already imported") for a in accepted)
                    created, count = False, 0
                result.skus_created += int(created)
                result.images_created += count
                result.outcomes.extend(Outcome(a.shown, code, "accepted", f"{a.garment_type}, {a.view}")
                                       for a in accepted[:count])
            done += len(entries)
            if progress:
                progress(done, total)
    return result


def _check_sku_entries(zf, project, code, entries, limits) -> tuple[list[_Accepted], list[Outcome]]:
    existing = set(GarmentImage.objects.filter(sku__project=project, sku__code=code)
                   .values_list("checksum", flat=True))
    folder_type, _ = guess_garment(code, GarmentType.TOP)
    accepted, outcomes = [], []
    for info, shown in entries:
        try:
            data = read_entry(zf, info, limits)
            checked, thumb = images.check_and_thumbnail(data, max_bytes=limits.max_entry_bytes)
        except images.RejectedImage as exc:
            outcomes.append(Outcome(shown, code, "rejected", str(exc)))
            continue
        if checked.checksum in existing:
            outcomes.append(Outcome(shown, code, "duplicate", "already imported"))
            continue
        existing.add(checked.checksum)
        garment_type, view = guess_garment(info.filename.rsplit("/", 1)[-1], folder_type)
        image_name, thumb_name = _store_files(data, checked, thumb)
        accepted.append(_Accepted(shown, checked, image_name, thumb_name, garment_type, view))
    return accepted, outcomes


def run_import(import_id: int) -> ZipImport | None:
    """The media job's body: claim the import, ingest its archive, record the report. Safe to run again
    (a redelivered job re-checks checksums and creates nothing twice)."""
    claimed = ZipImport.objects.filter(pk=import_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]).update(
        status=ImportStatus.RUNNING)
    if not claimed:
        return None
    job = ZipImport.objects.select_related("project").get(pk=import_id)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 0.5 or done == total:  # one UPDATE per half second at most
            last[0] = now
            ZipImport.objects.filter(pk=import_id).update(processed_entries=done, total_entries=total)

    try:
        with job.archive.open("rb") as fh:
            result = ingest_archive(job.project, fh, user=job.created_by, progress=progress)
    except ArchiveRefused as exc:
        ZipImport.objects.filter(pk=import_id).update(status=ImportStatus.FAILED, message=str(exc),
                                                      finished_at=timezone.now())
        _announce_finished(job)
        return ZipImport.objects.get(pk=import_id)
    ZipImport.objects.filter(pk=import_id).update(
        status=ImportStatus.DONE, report=[o.as_row() for o in result.outcomes], message="\n".join(result.warnings),
        skus_created=F("skus_created") + result.skus_created,
        images_created=F("images_created") + result.images_created, finished_at=timezone.now())
    signals.project_import_finished.send(sender=ZipImport, project=job.project)
    _announce_finished(job)
    return ZipImport.objects.get(pk=import_id)


def _announce_finished(job: ZipImport) -> None:
    """import.finished for the team's webhooks (studio.events; after commit, never failing the import)."""
    from studio.events import publish

    done = ZipImport.objects.filter(pk=job.pk).values("status", "skus_created", "images_created").first() or {}
    publish(job.project.program.team_id, "import.finished", {"import": job.pk, "project": job.project_id, **done})


def archive_too_big(cap: int) -> str:
    return f"The archive is larger than the {cap / 1024**3:.1f} GB limit. Nothing was imported."


def start_import(project: Project, uploaded, user=None) -> ZipImport:
    """Keep the uploaded archive in our storage (streamed, never read into memory) and queue the media job."""
    with transaction.atomic():
        job = ZipImport(project=project, original_name=display_name(getattr(uploaded, "name", "")),
                        size_bytes=getattr(uploaded, "size", 0) or 0, created_by=user)
        job.archive.save("archive.zip", uploaded, save=False)
        job.save()
        queue_stored_import(job)
    return job


def queue_stored_import(job: ZipImport) -> None:
    """The archive is in our storage and the row is queued: queue the media job once the transaction commits.
    An empty project shows "Creating" until the import ends, as Huhu's projects do."""
    from . import jobs

    if not job.project.skus.exists():
        Project.objects.filter(pk=job.project_id, status="Created").update(status="Creating")
    transaction.on_commit(lambda: jobs.queue_import(job.pk))
