"""Large exports run in the background (issue 17): a worker writes the zip into our storage, counting the files as
it goes; the page polls the job and offers the download once it is ready. The same job serves the API
(POST /api/v1/exports/, api/views_generations.py): one model, one worker task, one zip.

An export over STUDIO_EXPORT_BACKGROUND_FILES outputs becomes a job; smaller ones stream straight to the browser.
The zip is the one `export.iter_zip` streams, written chunk by chunk to a temporary file, then saved to storage.
"""
from __future__ import annotations

import logging
import tempfile
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from . import export
from .models import ExportJob, ExportState

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 50  # files between two progress writes


def over_background_size(count: int) -> bool:
    return count > settings.STUDIO_EXPORT_BACKGROUND_FILES


def start(*, project, team, user, client_approved_only: bool, total: int) -> ExportJob:
    job = ExportJob.objects.create(project=project, team=team, created_by=user, total=total,
                                   client_approved_only=client_approved_only)
    transaction.on_commit(lambda: queue(job.pk))
    return job


def queue(job_id: int) -> None:
    """Hand the job to the media worker. A broker that is down does not fail the request that asked: the job
    stays queued and the sweep hands it over again."""
    try:
        write_export.delay(job_id)
    except Exception:  # noqa: BLE001 - any broker failure; the sweep retries
        logger.warning("could not queue export %s; the sweep queues it again", job_id, exc_info=True)


QUEUED_GRACE = timedelta(minutes=2)  # a queued job whose message was lost (broker down or restarted)


def sweep() -> int:
    """Queue again the jobs whose message was lost; end the jobs whose worker was stopped mid-write (hard time
    limit, a killed process): they say so, and the person starts the export again. A duplicate message finds the
    job claimed and does nothing (`run`)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.STUDIO_EXPORT_TIME_LIMIT + 60)
    ExportJob.objects.filter(state=ExportState.RUNNING, started_at__lt=stale).update(
        state=ExportState.FAILED, finished_at=now,
        error_message="The worker stopped while writing the zip: start the export again.")
    lost = list(ExportJob.objects.filter(state=ExportState.QUEUED, created_at__lt=now - QUEUED_GRACE)
                .values_list("pk", flat=True)[:100])
    for pk in lost:
        queue(pk)
    return len(lost)


@shared_task(name="media.export_sweep", ignore_result=True)
def sweep_exports() -> int:
    return sweep()


@shared_task(name="media.write_export", acks_late=True, time_limit=settings.STUDIO_EXPORT_TIME_LIMIT)
def write_export(job_id: int) -> None:
    run(job_id)


def run(job_id: int) -> None:
    """Claim the job (a redelivered message finds it taken or finished), write the zip, save it."""
    if not ExportJob.objects.filter(pk=job_id, state=ExportState.QUEUED).update(state=ExportState.RUNNING,
                                                                               started_at=timezone.now()):
        return
    job = ExportJob.objects.select_related("project").get(pk=job_id)
    outputs = export.exportable_outputs(job.project, client_approved_only=job.client_approved_only)

    written = [0]

    def progress(n: int) -> None:
        written[0] = n
        if n % PROGRESS_EVERY == 0:
            ExportJob.objects.filter(pk=job.pk).update(done=n)

    try:
        with tempfile.TemporaryFile() as spool:
            for chunk in export.iter_zip(export.iter_rows(outputs, job.project), on_file=progress):
                spool.write(chunk)
            size = spool.tell()
            spool.seek(0)
            job.file.save(f"export-{job.pk}.zip", File(spool), save=False)
    except Exception as exc:  # noqa: BLE001 - the person sees that it failed; the log has the details
        logger.exception("export %s failed", job_id)
        ExportJob.objects.filter(pk=job.pk).update(state=ExportState.FAILED, finished_at=timezone.now(),
                                                   error_message=f"The export could not be written ({type(exc).__name__}).")
        return
    ExportJob.objects.filter(pk=job.pk).update(state=ExportState.DONE, file=job.file.name, size_bytes=size,
                                               done=written[0], total=written[0], finished_at=timezone.now())
