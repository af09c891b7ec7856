"""Vendor results into OUR storage: fetch (guarded), check, store once, queue the thumbnail.

Vendor URLs expire (Huhu ~1 h, Uwear 4 h, ArtEmotion 24 h; DESIGN.md §3), so every output is copied the moment it
exists and pages only ever link to our copy. Storing is keyed on (task, vendor_result_id): a redelivered collect
step finds the row and stores nothing twice.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from catalog import images

from generations.models import OutputKind, Task, TaskOutput
from generations.vendors import http
from generations.vendors.base import FetchRefused, RemoteOutput

logger = logging.getLogger(__name__)

class RejectedOutput(FetchRefused):
    """The bytes the vendor gave us are not what they claim (HTML instead of an image, a broken video)."""


def result_id_for(task: Task, remote: RemoteOutput, index: int) -> str:
    return remote.result_id or f"{task.vendor_task_id or task.pk}:{task.round}:{index}"


def video_extension(data: bytes) -> str:
    """ISO BMFF (mp4) has "ftyp" at offset 4; WebM/Matroska starts with the EBML magic 1A 45 DF A3."""
    if len(data) >= 8 and data[4:8] == b"ftyp":
        return "mp4"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    raise RejectedOutput("the vendor's video is not an MP4 or WebM file")


def download(remote: RemoteOutput) -> bytes:
    if remote.data is not None:
        return remote.data
    if not remote.url:
        raise RejectedOutput("the vendor reported an output without a file or URL")
    return http.fetch_public(remote.url, settings.STUDIO_MAX_DOWNLOAD_BYTES).data


def checked(remote: RemoteOutput, data: bytes) -> tuple[str, int, int]:
    """(extension, width, height) after checking the bytes. Images go through the same check as uploads."""
    if remote.kind == "video":
        if len(data) > settings.STUDIO_MAX_DOWNLOAD_BYTES:
            raise RejectedOutput("the vendor's video is larger than the download limit")
        return video_extension(data), 0, 0
    try:
        image = images.check_image(data, max_bytes=settings.STUDIO_MAX_DOWNLOAD_BYTES)
    except images.RejectedImage as exc:
        raise RejectedOutput(f"the vendor's output {exc}") from None
    return image.extension, image.width, image.height


def existing(task: Task, result_id: str) -> TaskOutput | None:
    return TaskOutput.objects.filter(task=task, vendor_result_id=result_id).first()


def store(task: Task, remote: RemoteOutput, index: int) -> tuple[TaskOutput, bool]:
    """Get-or-create the TaskOutput for one vendor result. Returns (output, created)."""
    result_id = result_id_for(task, remote, index)
    found = existing(task, result_id)
    if found is not None:
        return found, False
    data = download(remote)
    extension, width, height = checked(remote, data)
    output = TaskOutput(task=task, round=task.round, kind=OutputKind.VIDEO if remote.kind == "video" else
                        OutputKind.IMAGE, width=width, height=height, size_bytes=len(data),
                        vendor_result_id=result_id, parent=task.parent_output)
    output.file.save(f"output.{extension}", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            output.save()
    except IntegrityError:
        # Someone stored this result between our check and our insert: keep theirs, drop our file.
        output.file.delete(save=False)
        return existing(task, result_id), False
    transaction.on_commit(lambda: _queue_thumbnail(output.pk))
    return output, True


def store_all(task: Task, remotes: list[RemoteOutput]) -> list[TaskOutput]:
    return [store(task, remote, index)[0] for index, remote in enumerate(remotes)]


def _queue_thumbnail(output_id: int) -> None:
    from generations.engine.queue import queue_output_thumbnail

    queue_output_thumbnail(output_id)


def make_thumbnail(output: TaskOutput) -> None:
    """Runs in the media worker. Videos get no thumbnail here (no decoder in the studio); pages show a poster."""
    if output.thumbnail or output.kind != OutputKind.IMAGE:
        return
    images.save_thumbnail(output, "file", "thumbnail")
