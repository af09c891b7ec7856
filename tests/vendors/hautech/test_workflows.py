"""Every Hautech workflow, run through the real engine against the fake built from seed 003."""
import pytest

from generations.models import TaskStatus, VendorReference
from generations.vendors.base import NotFound, ValidationFailed
from generations.vendors.hautech.adapter import WORKFLOWS, HautechAdapter

from tests.vendors.hautech.test_support import drive, fake, hautech_account, hautech_pose, hautech_task  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_first_task_with_nothing_prepared_runs_full_naomi_once_with_the_documented_inputs(fake):
    task = hautech_task(hautech_account(fake), options={"aspect_ratio": "4:7", "seed": 42},
                        prompt="Model in urban setting with natural lighting")

    drive(task, fake)

    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.count() == 1
    assert dict(fake.runs) == {"full_naomi": 1}
    sent = fake.inputs("full_naomi")[0]
    assert set(sent) == {"poseImageId", "aspectRatio", "imageId", "label", "isHuman", "prompt", "enhancePrompt",
                         "seed"}
    assert sent["aspectRatio"] == "4:7" and sent["seed"] == 42 and sent["enhancePrompt"] is True
    assert sent["label"] == "blue tiger t-shirt, regular fit"
    assert sent["prompt"] == "Model in urban setting with natural lighting"
    assert task.vendor_state["submission"]["workflow"] == "full_naomi"


def test_the_output_image_is_copied_into_our_storage_at_the_aspect_ratio_asked_for(fake):
    task = hautech_task(hautech_account(fake), options={"aspect_ratio": "12:5", "seed": 7})

    drive(task, fake)

    output = task.outputs.get()
    assert (output.width, output.height) == (1536 // 8, 640 // 8)  # the fake renders the table size / 8
    assert output.vendor_result_id.startswith("gen_")


def test_a_garment_and_pose_shared_by_two_tasks_are_prepared_once_and_each_task_runs_only_naomi(fake):
    account = hautech_account(fake)
    first = hautech_task(account, options={"aspect_ratio": "7:10"})
    second = hautech_task(account, garment=first.garment_images.get(), pose=first.pose,
                          options={"aspect_ratio": "7:10"})

    drive(first, fake)
    drive(second, fake)

    assert dict(fake.runs) == {"prepare_image": 1, "prepare_pose": 1, "naomi": 2}
    assert first.status == second.status == TaskStatus.REVIEW_SUBMITTED
    prepare_image, prepare_pose = fake.inputs("prepare_image")[0], fake.inputs("prepare_pose")[0]
    assert set(prepare_image) == {"imageId", "label", "isHuman"} and prepare_image["isHuman"] is False
    assert prepare_pose["aspectRatio"] == "7:10" and set(prepare_pose) == {"poseImageId", "aspectRatio"}
    naomi = fake.inputs("naomi")
    assert set(naomi[0]) == {"poseId", "imageId", "label", "prompt", "enhancePrompt", "seed"}
    assert naomi[0]["poseId"] == naomi[1]["poseId"] in fake.poses
    assert naomi[0]["imageId"] == naomi[1]["imageId"] in fake.prepared_images


def test_preparation_results_are_cached_per_account_garment_and_aspect_ratio(fake):
    account = hautech_account(fake)
    first = hautech_task(account, options={"aspect_ratio": "7:10"})
    hautech_task(account, garment=first.garment_images.get(), pose=first.pose, options={"aspect_ratio": "7:10"})

    drive(first, fake)

    refs = {(r.kind, r.key): r.vendor_id for r in VendorReference.objects.filter(account=account)}
    assert refs[("hautech_prepared_image", "")] in fake.prepared_images
    assert refs[("hautech_pose", "7:10")] in fake.poses
    assert refs[("hautech_upload", "")] in fake.uploaded


def test_a_later_task_with_the_prepared_garment_and_pose_runs_only_the_naomi_pipeline(fake):
    account = hautech_account(fake)
    first = hautech_task(account)
    second = hautech_task(account, garment=first.garment_images.get(), pose=first.pose)
    drive(first, fake)
    drive(second, fake)
    runs_before = dict(fake.runs)

    third = hautech_task(account, garment=first.garment_images.get(), pose=first.pose)
    drive(third, fake)

    assert fake.runs["naomi"] == runs_before["naomi"] + 1
    assert fake.runs["prepare_image"] == fake.runs["prepare_pose"] == 1 and "full_naomi" not in fake.runs
    assert len(fake.uploaded) == 2  # the garment and the pose image, once each


def test_a_new_aspect_ratio_prepares_only_the_pose_again(fake):
    account = hautech_account(fake)
    first = hautech_task(account)
    hautech_task(account, garment=first.garment_images.get(), pose=first.pose)
    drive(first, fake)

    wide = hautech_task(account, garment=first.garment_images.get(), pose=first.pose,
                        options={"aspect_ratio": "10:7"})
    drive(wide, fake)

    assert fake.runs["prepare_image"] == 1 and fake.runs["prepare_pose"] == 2
    assert fake.inputs("prepare_pose")[1]["aspectRatio"] == "10:7"
    assert fake.runs["naomi"] == 2


def test_an_on_model_garment_photo_is_prepared_as_human(fake):
    account = hautech_account(fake)
    first = hautech_task(account)
    garment = first.garment_images.get()
    garment.presentation = "on_model"
    garment.save()
    hautech_task(account, garment=garment, pose=first.pose)

    drive(first, fake)

    assert fake.inputs("prepare_image")[0]["isHuman"] is True


def test_workflow_ids_can_be_changed_per_account(fake):
    custom = "0f0f0f0f-1111-2222-3333-444444444444"
    fake.workflows[custom] = "full_naomi"
    task = hautech_task(hautech_account(fake, workflows={"full_naomi": custom}))

    drive(task, fake)

    ran = [r.path for r in fake.requests if r.path.startswith("/v1/workflows/run/")]
    assert ran == [f"/v1/workflows/run/{custom}"]
    assert WORKFLOWS["full_naomi"] != custom and task.status == TaskStatus.REVIEW_SUBMITTED


def test_every_call_carries_the_accounts_bearer_token(fake):
    task = hautech_task(hautech_account(fake))

    drive(task, fake)

    api_calls = [r for r in fake.requests if r.path.startswith("/v1/")]
    assert api_calls and all(r.header("authorization") == "Bearer hk-test-key" for r in api_calls)


def test_a_task_without_a_pose_image_fails_before_anything_is_sent(fake):
    task = hautech_task(hautech_account(fake), pose=hautech_pose(reference_image=""))

    drive(task, fake)

    assert task.status == TaskStatus.GENERATION_FAILED and "pose" in task.error_message
    assert not fake.requests


def test_ids_from_one_account_are_unknown_to_another(fake):
    first = hautech_task(hautech_account(fake))
    drive(first, fake)
    fake.tokens.add("hk-other-team")
    other = HautechAdapter(hautech_account(fake, key="hk-other-team"))
    uploaded = next(iter(fake.uploaded))

    with pytest.raises(ValidationFailed, match="is not a known uploaded image id"):
        other.run("prepare_image", {"imageId": uploaded})
    with pytest.raises(NotFound):
        other.pipeline(first.vendor_task_id)
