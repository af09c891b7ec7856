"""The upload the document only names ("the three-step upload process", seed 003): bytes in, image id out, behind
one adapter method whose endpoints each account can change; each image is uploaded once per account."""
import pytest

from generations.models import VendorReference
from generations.vendors.hautech.adapter import HautechAdapter

from tests.vendors.hautech.test_support import drive, fake, hautech_account, hautech_task  # noqa: F401

pytestmark = pytest.mark.django_db


def garment_bytes(task) -> bytes:
    with task.garment_images.get().image.open("rb") as fh:
        return fh.read()


def test_the_upload_initializes_sends_the_bytes_and_finalizes_into_an_image_id(fake):
    adapter = HautechAdapter(hautech_account(fake))

    image_id = adapter.upload_image(_png(), "garment.png")

    calls = [(r.method, r.path.split("/_upload/")[0] + ("/_upload" if "/_upload/" in r.path else ""))
             for r in fake.requests]
    assert calls == [("POST", "/v1/images/upload/initialize"), ("PUT", "/_upload"),
                     ("POST", "/v1/images/upload/finalize")]
    assert fake.uploaded[image_id] == _png()


def test_the_upload_url_gets_the_file_but_never_our_api_key(fake):
    HautechAdapter(hautech_account(fake)).upload_image(_png(), "garment.png")

    sent = next(r for r in fake.requests if r.method == "PUT")
    assert "authorization" not in sent.headers
    assert sent.header("content-type").startswith("multipart/form-data")


def test_the_upload_endpoints_and_encoding_come_from_the_account(fake):
    fake.upload_paths = {"initialize": "/v2/uploads/start", "finalize": "/v2/uploads/complete"}
    account = hautech_account(fake, upload={"initialize_path": "/v2/uploads/start",
                                            "finalize_path": "/v2/uploads/complete", "send_as": "raw"})

    image_id = HautechAdapter(account).upload_image(_png(), "garment.png")

    assert fake.uploaded[image_id] == _png()
    sent = next(r for r in fake.requests if r.method == "PUT")
    assert sent.header("content-type") == "image/png" and sent.body == _png()


def test_a_task_uploads_the_garment_and_pose_bytes_once_and_keeps_their_ids(fake):
    account = hautech_account(fake)
    task = hautech_task(account)

    drive(task, fake)

    assert garment_bytes(task) in fake.uploaded.values()
    uploads = VendorReference.objects.filter(account=account, kind="hautech_upload")
    assert {u.vendor_id for u in uploads} == set(fake.uploaded)


def test_a_second_task_on_the_same_garment_and_pose_uploads_nothing(fake):
    account = hautech_account(fake)
    first = hautech_task(account)
    drive(first, fake)

    second = hautech_task(account, garment=first.garment_images.get(), pose=first.pose)
    drive(second, fake)

    assert sum(r.path == "/v1/images/upload/initialize" for r in fake.requests) == 2
    assert fake.paid_runs == 2


def test_another_account_uploads_its_own_copy(fake):
    first = hautech_task(hautech_account(fake))
    drive(first, fake)

    other = hautech_task(hautech_account(fake), garment=first.garment_images.get(), pose=first.pose)
    drive(other, fake)

    assert len(fake.uploaded) == 4


def test_a_failed_upload_leaves_no_cached_id_behind(fake):
    fake.inject(status=400, payload={"statusCode": 400, "message": "file is not an image"}, path=r"^/_upload/")
    task = hautech_task(hautech_account(fake))

    drive(task, fake)

    assert "file is not an image" in task.error_message
    assert not VendorReference.objects.filter(vendor_id="").exists()


def _png() -> bytes:
    from tests.factories import image_bytes

    return image_bytes(width=20, height=30)


def test_an_upload_under_way_in_another_worker_makes_this_task_wait_instead_of_uploading_again(fake):
    from generations.vendors.hautech.adapter import PreparationPending

    account = hautech_account(fake)
    task = hautech_task(account)
    adapter = HautechAdapter(account)
    adapter.claim("hautech_upload", task.garment_images.get())  # another worker's fresh claim

    with pytest.raises(PreparationPending):
        adapter.prepare(task)

    assert fake.requests == []


def test_an_upload_claimed_by_a_worker_that_died_is_taken_over_after_five_minutes(fake):
    from datetime import timedelta

    from django.utils import timezone

    account = hautech_account(fake)
    task = hautech_task(account)
    garment = task.garment_images.get()
    ref, _ = HautechAdapter(account).claim("hautech_upload", garment)
    ref.raw = {"claimed_at": (timezone.now() - timedelta(minutes=6)).isoformat()}
    ref.save()

    drive(task, fake)

    ref.refresh_from_db()
    assert ref.vendor_id in fake.uploaded and fake.uploaded[ref.vendor_id] == garment_bytes(task)
    assert task.outputs.count() == 1


def test_a_token_handed_out_with_the_upload_url_is_carried_to_the_finalize_step(fake):
    fake.token_at_initialize = True

    image_id = HautechAdapter(hautech_account(fake)).upload_image(_png(), "garment.png")

    assert fake.uploaded[image_id] == _png()


@pytest.mark.parametrize("path, step", [(r"/v1/images/upload/initialize$", "initialize"),
                                        (r"^/_upload/", "PUT"),
                                        (r"/v1/images/upload/finalize$", "finalize")])
def test_a_failed_upload_says_which_step_failed_with_hautechs_answer(fake, path, step):
    fake.inject(status=422, payload={"statusCode": 422, "message": f"refused at {step}"}, path=path)
    task = hautech_task(hautech_account(fake))

    drive(task, fake)

    assert f"failed at the {step} step" in task.error_message
    assert f"refused at {step}" in task.error_message and "HTTP 422" in task.error_message
    assert fake.paid_runs == 0
