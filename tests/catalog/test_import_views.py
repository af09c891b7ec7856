"""The import pages: upload an archive, watch progress (polling stops with 286), read the report."""
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog import zip_ingest
from catalog.models import ImportStatus, ZipImport
from studio.models import Role
from tests.factories import MembershipFactory, ProjectFactory, image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def creative(client):
    membership = MembershipFactory(role=Role.CREATIVE)
    client.force_login(membership.user)
    client.project = ProjectFactory(program__team=membership.team)
    return client


def archive(entries) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_uploading_an_archive_queues_an_import_and_shows_its_page(creative, django_capture_on_commit_callbacks,
                                                                  monkeypatch):
    queued = []
    monkeypatch.setattr("catalog.jobs.queue_import", queued.append)
    upload = SimpleUploadedFile("spring.zip", archive({"SKU-1/front.jpg": image_bytes(fmt="JPEG")}))
    with django_capture_on_commit_callbacks(execute=True):
        response = creative.post(reverse("project_import", args=[creative.project.pk]), {"archive": upload})
    job = ZipImport.objects.get()
    assert response.status_code == 302 and response.url == reverse("import_detail", args=[job.pk])
    assert queued == [job.pk] and job.original_name == "spring.zip"
    page = creative.get(response.url)
    assert b"Queued" in page.content


def test_the_progress_fragment_polls_until_the_import_ends_then_shows_the_report(creative):
    upload = SimpleUploadedFile("a.zip", archive({"SKU-1/front.jpg": image_bytes(fmt="JPEG"),
                                                  "../evil.jpg": image_bytes(fmt="JPEG")}))
    job = zip_ingest.start_import(creative.project, upload)
    url = reverse("import_detail", args=[job.pk])
    running = creative.get(url, headers={"HX-Request": "true"})
    assert running.status_code == 200 and b'hx-trigger="every 1s"' in running.content
    zip_ingest.run_import(job.pk)
    done = creative.get(url, headers={"HX-Request": "true"})
    assert done.status_code == 286
    assert b"points outside its folder" in done.content and b"1 SKU" in done.content


def test_an_archive_announced_over_the_cap_is_refused_before_it_is_read(creative, settings):
    settings.STUDIO_ZIP_MAX_ARCHIVE_BYTES = 10_000
    upload = SimpleUploadedFile("big.zip", b"x" * 12_000)
    response = creative.post(reverse("project_import", args=[creative.project.pk]), {"archive": upload},
                             follow=True)
    assert b"larger than the" in response.content
    assert not ZipImport.objects.exists()


def test_a_client_cannot_import(client):
    membership = MembershipFactory(role=Role.CLIENT)
    client.force_login(membership.user)
    project = ProjectFactory(program__team=membership.team)
    upload = SimpleUploadedFile("a.zip", b"PK")
    assert client.post(reverse("project_import", args=[project.pk]), {"archive": upload}).status_code == 403
    assert not ZipImport.objects.exists()


def test_a_failed_import_says_why(creative):
    job = zip_ingest.start_import(creative.project, SimpleUploadedFile("x.zip", b"nonsense"))
    zip_ingest.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert b"not a zip archive" in creative.get(reverse("import_detail", args=[job.pk])).content
