"""Exports for the API: the same zip + manifest as the project page's export (generations/export.py), written by
the media worker into our storage, then offered through a signed link."""
import logging
import tempfile

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from generations import export

from .models import ExportJob

log = logging.getLogger(__name__)


def queue(job: ExportJob) -> None:
    def send():
        from . import jobs

        try:
            jobs.build_export.delay(job.pk)
        except Exception:
            log.warning("could not queue export %s; it stays queued", job.pk, exc_info=True)

    transaction.on_commit(send)


def build(job_id: int) -> ExportJob | None:
    if not ExportJob.objects.filter(pk=job_id, status__in=["queued", "running"]).update(status="running"):
        return None
    job = ExportJob.objects.select_related("project").get(pk=job_id)
    try:
        rows = export.plan_rows(export.exportable_outputs(job.project, client_approved_only=job.client_approved_only))
        with tempfile.TemporaryFile() as tmp:
            for chunk in export.iter_zip(rows):
                tmp.write(chunk)
            tmp.seek(0)
            job.file.save(f"export-{job.project_id}.zip", File(tmp), save=False)
        ExportJob.objects.filter(pk=job.pk).update(status="done", file=job.file.name, files=len(rows),
                                                   finished_at=timezone.now())
    except Exception as exc:
        log.exception("export %s failed", job_id)
        ExportJob.objects.filter(pk=job.pk).update(status="failed", message=str(exc)[:300],
                                                   finished_at=timezone.now())
    return ExportJob.objects.get(pk=job_id)
