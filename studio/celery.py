"""The Celery app. Jobs are thin: they take primary keys and call services (see generations/jobs.py)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

app = Celery("studio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["generations", "catalog", "api"], related_name="jobs")
app.autodiscover_tasks(["generations"], related_name="vision_jobs")  # media.caption_garment, media.nsfw_check
app.autodiscover_tasks(["generations"], related_name="huhu_jobs")  # Huhu model, pose and credit-history syncs
