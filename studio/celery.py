"""The Celery app. Jobs are thin: they take primary keys and call services (see generations/engine/jobs.py)."""
import os

from celery import Celery
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

app = Celery("studio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["generations.engine", "catalog", "api"], related_name="jobs")
# Each vendor package's own jobs (Huhu's syncs, ArtEmotion's captions and NSFW checks), by name from settings:
# the Celery app imports no vendor module itself.
app.autodiscover_tasks(lambda: settings.STUDIO_VENDOR_PACKAGES, related_name="jobs")
app.autodiscover_tasks(["generations"], related_name="export_jobs")  # media.write_export: large exports
