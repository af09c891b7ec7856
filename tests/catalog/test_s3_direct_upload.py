"""Zip import straight from the browser to S3 (catalog/s3_uploads.py), against a real S3-compatible server (moto)
on 127.0.0.1: presigned multipart URLs, the parts PUT with httpx as the browser does, completion, the ingest."""
import io
import json
import os
import random
import uuid
import zipfile
from types import SimpleNamespace

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from moto.server import ThreadedMotoServer
from PIL import Image

from catalog import s3_uploads, zip_ingest
from catalog.models import SKU, GarmentImage, ImportStatus, ZipImport
from catalog.s3_uploads import MIN_PART_SIZE, DirectUploadError
from studio.models import Role
from tests.factories import MembershipFactory, ProjectFactory, image_bytes

pytestmark = pytest.mark.django_db

CREDENTIALS = {"access_key": "testing", "secret_key": "testing"}  # moto accepts any; never real secrets
REGION = "us-east-1"


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_storage(endpoint: str, bucket: str, **options) -> dict:
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": bucket, "endpoint_url": endpoint, "region_name": REGION, "default_acl": None,
        "querystring_auth": True, "file_overwrite": False, **CREDENTIALS, **options}}


@pytest.fixture
def s3(s3_endpoint, settings, monkeypatch):
    """A fresh bucket on the local S3 server as the default storage, direct upload on, 5 MiB parts."""
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var, raising=False)
    bucket = f"studio-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(s3_endpoint, bucket)}
    settings.STUDIO_S3_DIRECT_UPLOAD = True
    # The browser PUTs parts to the bucket: the Content-Security-Policy names its origin in connect-src, as
    # settings.py does from AWS_S3_ENDPOINT_URL.
    settings.SECURE_CSP = {**settings.SECURE_CSP, "connect-src": [*settings.SECURE_CSP["connect-src"], s3_endpoint]}
    monkeypatch.setattr(s3_uploads, "PART_SIZE", MIN_PART_SIZE)
    return SimpleNamespace(client=client, bucket=bucket, endpoint=s3_endpoint)


def member(client, role=Role.CREATIVE, team=None):
    membership = MembershipFactory(role=role, **({"team": team} if team else {}))
    client.force_login(membership.user)
    client.project = ProjectFactory(program__team=membership.team)
    return client


@pytest.fixture
def creative(client):
    return member(client)


@pytest.fixture
def queued(monkeypatch):
    ids = []
    monkeypatch.setattr("catalog.jobs.queue_import", ids.append)
    return ids


def noise_png(side: int, seed: int) -> bytes:
    """A PNG that does not compress: a few of them make an archive of several 5 MiB parts."""
    rng = random.Random(seed)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3)).save(out, "PNG", compress_level=1)
    return out.getvalue()


@pytest.fixture(scope="module")
def big_archive() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("SKU-1/front.png", noise_png(1100, 1))
        zf.writestr("SKU-2/back.png", noise_png(1100, 2))
        zf.writestr("SKU-2/side.jpg", image_bytes(fmt="JPEG"))
        zf.writestr("../evil.jpg", image_bytes(fmt="JPEG"))
    assert len(buf.getvalue()) > MIN_PART_SIZE + 1024
    return buf.getvalue()


def post_json(client, url, body, **kwargs):
    return client.post(url, json.dumps(body), content_type="application/json", **kwargs)


def start(client, name="spring.zip", size=None, data=b"", **kwargs):
    return post_json(client, reverse("s3_import_start", args=[client.project.pk]),
                     {"filename": name, "size": len(data) if size is None else size}, **kwargs)


def put_parts(started: dict, data: bytes) -> list[dict]:
    """What zip_upload.js does: slice the file, PUT every slice to its URL, keep the ETag each PUT answers."""
    size = started["part_size"]
    parts = []
    for number, url in enumerate(started["urls"], start=1):
        response = httpx.put(url, content=data[(number - 1) * size:number * size])
        assert response.status_code == 200, response.text
        parts.append({"PartNumber": number, "ETag": response.headers["ETag"]})
    return parts


def complete(client, started: dict, parts):
    return post_json(client, started["complete_url"], {"parts": parts})


def uploads_in_progress(s3) -> list:
    return s3.client.list_multipart_uploads(Bucket=s3.bucket).get("Uploads", [])


def small_archive() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("SKU-9/front.jpg", image_bytes(fmt="JPEG"))
    return buf.getvalue()


# --- the whole path ------------------------------------------------------------------------------------------------
def test_an_archive_goes_from_the_browser_to_the_bucket_in_parts_and_is_imported(
        s3, creative, queued, big_archive, django_capture_on_commit_callbacks):
    started = start(creative, data=big_archive).json()
    job = ZipImport.objects.get(pk=started["import"])
    assert job.status == ImportStatus.UPLOADING and job.archive.name.startswith("imports/")
    assert started["part_size"] == MIN_PART_SIZE and len(started["urls"]) == 2
    assert b"still going from the browser" in creative.get(reverse("import_detail", args=[job.pk])).content

    parts = put_parts(started, big_archive)
    with django_capture_on_commit_callbacks(execute=True):
        response = complete(creative, started, parts)

    assert response.status_code == 200 and response.json()["url"] == reverse("import_detail", args=[job.pk])
    assert queued == [job.pk]
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED and job.size_bytes == len(big_archive)
    assert s3.client.head_object(Bucket=s3.bucket, Key=job.archive.name)["ContentLength"] == len(big_archive)
    assert not uploads_in_progress(s3)

    zip_ingest.run_import(job.pk)  # the media job, run here as the other import tests do
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and (job.skus_created, job.images_created) == (2, 3)
    assert sorted(SKU.objects.filter(project=creative.project).values_list("code", flat=True)) == ["SKU-1", "SKU-2"]
    assert {(r["name"], r["outcome"]) for r in job.report} >= {
        ("SKU-1/front.png", "accepted"), ("SKU-2/back.png", "accepted"), ("SKU-2/side.jpg", "accepted")}
    assert [r["reason"] for r in job.report if r["outcome"] == "rejected"] == ["points outside its folder (..)"]
    image = GarmentImage.objects.filter(sku__code="SKU-1").get()
    assert s3.client.head_object(Bucket=s3.bucket, Key=image.image.name)["ContentLength"] == image.size_bytes
    page = creative.get(response.json()["url"])
    assert b"2 SKUs and 3 images added" in page.content


def test_the_project_page_sends_archives_to_s3_only_when_s3_is_on(creative, settings, s3_endpoint):
    url = reverse("project_detail", args=[creative.project.pk])
    assert b"data-s3-start" not in creative.get(url).content
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(s3_endpoint, "studio-page")}
    settings.STUDIO_S3_DIRECT_UPLOAD = True
    page = creative.get(url).content.decode()
    assert f'data-s3-start="{reverse("s3_import_start", args=[creative.project.pk])}"' in page
    assert "js/zip_upload.js" in page


# --- start ---------------------------------------------------------------------------------------------------------
def test_an_archive_over_the_cap_is_refused_before_anything_is_sent(s3, creative, settings):
    settings.STUDIO_ZIP_MAX_ARCHIVE_BYTES = 10_000
    response = start(creative, size=10_001)
    assert response.status_code == 400 and "larger than the" in response.json()["error"]
    assert not ZipImport.objects.exists() and not uploads_in_progress(s3)


@pytest.mark.parametrize("name", ["spring.rar", "spring", "zip"])
def test_a_file_that_is_not_a_zip_is_refused(s3, creative, name):
    response = start(creative, name=name, size=1000)
    assert response.status_code == 400 and ".zip archive" in response.json()["error"]
    assert not ZipImport.objects.exists()


@pytest.mark.parametrize("body", [{}, {"filename": "a.zip"}, {"filename": "a.zip", "size": "12"},
                                  {"filename": "a.zip", "size": True}, {"filename": 3, "size": 12}])
def test_start_needs_a_file_name_and_a_size(s3, creative, body):
    response = post_json(creative, reverse("s3_import_start", args=[creative.project.pk]), body)
    assert response.status_code == 400 and not ZipImport.objects.exists()


def test_the_part_size_grows_so_a_huge_archive_stays_within_10000_parts(monkeypatch):
    assert s3_uploads.part_size_for(100 * 1024**2) == 16 * 1024**2
    huge = 400 * 1024**3
    size = s3_uploads.part_size_for(huge)
    assert size % (1024 * 1024) == 0 and s3_uploads.part_count(huge, size) <= 10_000
    monkeypatch.setattr(s3_uploads, "PART_SIZE", 1024)
    assert s3_uploads.part_size_for(1000) == MIN_PART_SIZE  # S3's minimum, whatever we configure


def test_storage_that_does_not_answer_fails_the_import_with_a_clear_message(creative, settings):
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(
        "http://127.0.0.1:9", "studio-down", client_config=Config(retries={"max_attempts": 1}, connect_timeout=1))}
    settings.STUDIO_S3_DIRECT_UPLOAD = True
    response = start(creative, size=1000)
    assert response.status_code == 400 and "Storage refused the upload" in response.json()["error"]
    job = ZipImport.objects.get()
    assert job.status == ImportStatus.FAILED and "Could not connect" in job.message


# --- complete ------------------------------------------------------------------------------------------------------
def test_a_wrong_etag_fails_the_import_with_the_storage_reason_and_imports_nothing(s3, creative, queued):
    data = small_archive()
    started = start(creative, data=data).json()
    put_parts(started, data)
    response = complete(creative, started, [{"PartNumber": 1, "ETag": '"0123456789abcdef0123456789abcdef"'}])
    assert response.status_code == 400 and "InvalidPart" in response.json()["error"]
    job = ZipImport.objects.get()
    assert job.status == ImportStatus.FAILED and "InvalidPart" in job.message
    assert queued == [] and not SKU.objects.exists() and not uploads_in_progress(s3)
    assert b"InvalidPart" in creative.get(reverse("import_detail", args=[job.pk])).content


@pytest.mark.parametrize("parts", [
    [],
    [{"PartNumber": 1}],
    [{"PartNumber": 1, "ETag": ""}],
    [{"PartNumber": 2, "ETag": '"x"'}],
    [{"PartNumber": True, "ETag": '"x"'}],
    [{"PartNumber": 1, "ETag": '"x"'}, {"PartNumber": 1, "ETag": '"x"'}],
    "1",
    None,
])
def test_a_malformed_list_of_parts_is_refused_before_storage_is_asked(s3, creative, queued, parts):
    data = small_archive()
    started = start(creative, data=data).json()
    put_parts(started, data)
    response = complete(creative, started, parts)
    assert response.status_code == 400 and "incomplete or malformed" in response.json()["error"]
    assert ZipImport.objects.get().status == ImportStatus.FAILED
    assert queued == [] and not uploads_in_progress(s3)


def test_completing_twice_queues_the_import_once(s3, creative, queued, django_capture_on_commit_callbacks):
    data = small_archive()
    started = start(creative, data=data).json()
    parts = put_parts(started, data)
    with django_capture_on_commit_callbacks(execute=True):
        first = complete(creative, started, parts)
        second = complete(creative, started, parts)
    assert first.status_code == second.status_code == 200 and first.json() == second.json()
    assert queued == [started["import"]]


class UploadGone:
    """The storage client, except that S3 no longer knows the multipart upload (another request completed or
    aborted it), as AWS answers some time after a completion."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        return getattr(self.client, name)

    def complete_multipart_upload(self, **kwargs):
        raise ClientError({"Error": {"Code": "NoSuchUpload", "Message": "The specified upload does not exist."}},
                          "CompleteMultipartUpload")


def test_a_double_click_whose_upload_the_other_request_completed_still_queues_once(
        s3, creative, queued, monkeypatch, django_capture_on_commit_callbacks):
    data = small_archive()
    started = start(creative, data=data).json()
    parts = put_parts(started, data)
    job = ZipImport.objects.get()
    s3.client.complete_multipart_upload(Bucket=s3.bucket, Key=job.archive.name, UploadId=job.upload_id,
                                        MultipartUpload={"Parts": parts})  # the first click, not yet recorded
    real = s3_uploads._client
    monkeypatch.setattr(s3_uploads, "_client", lambda: UploadGone(real()))
    with django_capture_on_commit_callbacks(execute=True):
        assert s3_uploads.complete(job, parts).status == ImportStatus.QUEUED
        assert s3_uploads.complete(ZipImport.objects.get(), parts).status == ImportStatus.QUEUED
    assert queued == [job.pk]


def test_a_complete_after_the_upload_was_aborted_elsewhere_fails(s3, creative, queued, monkeypatch):
    data = small_archive()
    started = start(creative, data=data).json()
    parts = put_parts(started, data)
    job = ZipImport.objects.get()
    s3.client.abort_multipart_upload(Bucket=s3.bucket, Key=job.archive.name, UploadId=job.upload_id)
    real = s3_uploads._client
    monkeypatch.setattr(s3_uploads, "_client", lambda: UploadGone(real()))
    with pytest.raises(DirectUploadError, match="NoSuchUpload"):
        s3_uploads.complete(job, parts)
    assert ZipImport.objects.get().status == ImportStatus.FAILED and queued == []


def test_an_archive_stored_larger_than_announced_and_over_the_cap_is_deleted(s3, creative, queued, settings):
    settings.STUDIO_ZIP_MAX_ARCHIVE_BYTES = 1000
    started = start(creative, size=10).json()
    parts = put_parts(started, b"x" * 2000)  # the browser sends more than it announced
    response = complete(creative, started, parts)
    assert response.status_code == 400 and "larger than the" in response.json()["error"]
    job = ZipImport.objects.get()
    assert job.status == ImportStatus.FAILED and queued == []
    assert "Contents" not in s3.client.list_objects_v2(Bucket=s3.bucket)


# --- abort ---------------------------------------------------------------------------------------------------------
def test_abort_drops_the_parts_and_the_import_page_says_why(s3, creative, queued):
    data = small_archive()
    started = start(creative, data=data).json()
    put_parts(started, data)
    response = post_json(creative, started["abort_url"], {"reason": "A part could not be sent."})
    assert response.status_code == 200
    job = ZipImport.objects.get()
    assert job.status == ImportStatus.FAILED and not uploads_in_progress(s3)
    assert "cancelled: A part could not be sent." in job.message
    assert complete(creative, started, []).status_code == 400  # a complete after the abort changes nothing
    assert queued == [] and ZipImport.objects.get().status == ImportStatus.FAILED


def test_the_sweeper_ends_an_upload_the_browser_abandoned_once_its_links_have_expired(s3, creative):
    from datetime import timedelta

    from django.utils import timezone

    from generations.engine.housekeeping import sweep

    data = small_archive()
    started = start(creative, data=data).json()
    put_parts(started, data)  # then the tab is closed: complete never comes
    assert sweep()["abandoned_uploads"] == 0  # its links still work: it may yet complete
    expired = timezone.now() + timedelta(seconds=3600 + s3_uploads.ABANDON_GRACE_SECONDS + 1)

    assert sweep(now=expired)["abandoned_uploads"] == 1

    job = ZipImport.objects.get(pk=started["import"])
    assert job.status == ImportStatus.FAILED and "stopped sending parts" in job.message
    assert not uploads_in_progress(s3)  # the parts S3 kept are dropped


def test_abort_after_complete_changes_nothing(s3, creative, queued, django_capture_on_commit_callbacks):
    data = small_archive()
    started = start(creative, data=data).json()
    with django_capture_on_commit_callbacks(execute=True):
        complete(creative, started, put_parts(started, data))
    post_json(creative, started["abort_url"], {})
    assert ZipImport.objects.get().status == ImportStatus.QUEUED and queued == [started["import"]]


# --- who may ---------------------------------------------------------------------------------------------------------
def test_another_team_gets_a_404_on_complete_and_abort(s3, creative):
    data = small_archive()
    started = start(creative, data=data).json()
    parts = put_parts(started, data)
    other = member(Client())
    assert complete(other, started, parts).status_code == 404
    assert post_json(other, started["abort_url"], {}).status_code == 404
    assert start(other, data=data).status_code == 200  # in its own project it may
    assert post_json(other, reverse("s3_import_start", args=[creative.project.pk]),
                     {"filename": "a.zip", "size": 10}).status_code == 404
    assert ZipImport.objects.get(pk=started["import"]).status == ImportStatus.UPLOADING


def test_a_client_may_not_upload(s3, client):
    member(client, role=Role.CLIENT)
    assert start(client, size=1000).status_code == 403
    assert not ZipImport.objects.exists()


def test_the_json_endpoints_need_the_csrf_token(s3, creative):
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = creative.cookies
    strict.project = creative.project
    assert start(strict, size=1000).status_code == 403
    strict.get(reverse("project_detail", args=[creative.project.pk]))
    token = strict.cookies["csrftoken"].value
    assert start(strict, size=1000, headers={"X-CSRFToken": token}).status_code == 200


# --- without S3 ----------------------------------------------------------------------------------------------------
def test_without_s3_the_start_endpoint_refuses_and_the_form_still_imports(creative, queued, settings):
    response = start(creative, size=1000)
    assert response.status_code == 404 and "send the archive with the form" in response.json()["error"]
    settings.STUDIO_S3_DIRECT_UPLOAD = True  # the flag alone does not make local files S3
    assert start(creative, size=1000).status_code == 404
    upload = SimpleUploadedFile("spring.zip", small_archive())
    response = creative.post(reverse("project_import", args=[creative.project.pk]), {"archive": upload})
    job = ZipImport.objects.get()
    assert response.status_code == 302 and response.url == reverse("import_detail", args=[job.pk])
    assert job.status == ImportStatus.QUEUED
    assert os.path.exists(job.archive.path)


# --- in a real browser -----------------------------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_zip_chosen_on_the_project_page_goes_straight_to_the_bucket_and_is_imported(
        chromium, live_server, s3, client, monkeypatch, big_archive):
    from playwright.sync_api import expect

    s3.client.put_bucket_cors(Bucket=s3.bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": [live_server.url], "AllowedMethods": ["PUT"], "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag"]}]})  # as the README asks of a real bucket
    monkeypatch.setattr("catalog.jobs.queue_import", zip_ingest.run_import)  # the media job, in the server thread
    member(client)
    context = chromium.new_context()
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    tab = context.new_page()
    s3_requests = []
    tab.on("request", lambda r: s3_requests.append(r.method) if r.url.startswith(s3.endpoint) else None)
    try:
        tab.goto(f"{live_server.url}/projects/{client.project.pk}/")
        tab.set_input_files("#import-archive", {"name": "spring.zip", "mimeType": "application/zip",
                                                "buffer": big_archive})
        tab.click("#import-zip button[type=submit]")

        expect(tab.locator("#import-progress")).to_contain_text("2 SKUs and 3 images added")
        assert s3_requests.count("PUT") == 2
        assert sorted(SKU.objects.values_list("code", flat=True)) == ["SKU-1", "SKU-2"]
    finally:
        context.close()
