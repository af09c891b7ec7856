"""Video, upscale, faces, model images and poses through the engine against the fake, and the checks made before
anything is paid: the 18-million-pixel upscale rule, video lengths, output counts, required prompts."""
import json

import pytest

from generations.models import TaskStatus
from generations.vendors.base import Unsupported, ValidationFailed
from generations.vendors.huhu.adapter import HuhuAdapter
from tests.factories import ModelImageFactory, PoseFactory
from tests.fakes.base import count
from tests.vendors.huhu.test_support import (account, adapter, big_output, fake, huhu_task_ids,  # noqa
                                                         other_task, queued, run_until_settled, try_on_task)

pytestmark = pytest.mark.django_db


def last_body(fake, method, path_regex):
    import re

    return json.loads([r for r in fake.requests if r.method == method and re.search(path_regex, r.path)][-1].body)


@pytest.mark.parametrize("length,credits", [("5", 25), ("10", 40)])
def test_a_video_starts_from_a_try_on_output_and_is_stored_as_a_video(fake, account, queued, length, credits):
    parent = run_until_settled(try_on_task(account))
    fake.set_credits(100)
    task = run_until_settled(other_task(account, "video", parent=parent.outputs.get(), options={"video_length": length},
                                        prompt="A woman modeling casual fashion, gentle movement"))
    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.get().kind == "video"
    body = last_body(fake, "POST", r"/video$")
    assert body["video_length"] == length and body["first_frame_image"]["image_base64"]
    assert body["source_task_id"] == huhu_task_ids(parent)[0] and body["sku_id"]
    assert fake.team().credits == 100 - credits and task.charged_credits == credits


@pytest.mark.parametrize("view", ["front", "back"])
def test_a_video_names_the_huhu_task_that_made_its_first_frame(fake, account, queued, view):
    """001 §5.26 source_task_id: of a front+back try-on, the task whose output is the first frame — not the first
    reference alphabetically ("back")."""
    from generations.models import VendorReference

    parent = run_until_settled(try_on_task(account, back=True))
    source = VendorReference.objects.get(kind="huhu_task", object_id=parent.pk, key=view).vendor_id
    made = {o["image_id"] for o in fake.tasks[source]["outputs"]}
    frame = next(o for o in parent.outputs.all() if o.vendor_result_id in made)
    fake.set_credits(100)
    task = run_until_settled(other_task(account, "video", parent=frame, options={"video_length": "5"},
                                        prompt="A woman modeling casual fashion, gentle movement"))
    assert task.status == TaskStatus.REVIEW_SUBMITTED
    assert last_body(fake, "POST", r"/video$")["source_task_id"] == source


def test_a_video_length_huhu_does_not_offer_is_refused_before_any_call(fake, account, adapter):
    task = other_task(account, "video", options={"video_length": "7"}, prompt="turn")
    with pytest.raises(ValidationFailed, match="Length must be one of: 5, 10"):
        adapter.prepare(task)
    assert fake.requests == []


def test_an_upscale_within_the_pixel_limit_is_polled_until_success(fake, account, queued):
    task = run_until_settled(other_task(account, "upscale", options={"upscale_factor": 3}, num_outputs=2))
    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.count() == 2
    body = last_body(fake, "POST", r"/upscale$")
    assert body["upscale_factor"] == 3.0 and body["num_images"] == 2 and count(fake, "GET", r"/upscale$") >= 1
    assert task.charged_credits == 4


def test_an_upscale_over_18_million_pixels_fails_before_submitting(fake, account, queued):
    parent = big_output(account, 2048, 2048)
    task = run_until_settled(other_task(account, "upscale", parent=parent, options={"upscale_factor": 4}))
    assert task.status == TaskStatus.GENERATION_FAILED and "18 million" in task.error_message
    assert "2048×2048" in task.error_message and count(fake, "POST", r"/upscale$") == 0


def test_an_upscale_factor_outside_1_to_4_is_refused(account, adapter):
    with pytest.raises(ValidationFailed, match="between 1 and 4"):
        adapter.estimate("upscale", {"upscale_factor": 5}, 1)


def test_faces_are_generated_in_the_chosen_mode_and_polled_by_request_id(fake, account, queued):
    task = run_until_settled(other_task(account, "face", options={"mode": "fidelity"}, num_outputs=3,
                                        prompt="Headshot front facing portrait of a Young Adult East Asian"))
    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.count() == 3
    assert last_body(fake, "POST", r"/model/face$")["mode"] == "fidelity"
    assert count(fake, "GET", r"/model/image$") >= 1


def test_a_model_image_uses_the_chosen_model_image_as_reference(fake, account, queued):
    task = other_task(account, "model_image", prompt="studio photo, white background", num_outputs=2)
    task.model_image = ModelImageFactory(fashion_model__program=task.sku.project.program)
    task.save()
    task = run_until_settled(task)
    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.count() == 2
    assert last_body(fake, "POST", r"/model/image$")["reference_image"].startswith("assets/model_images/")


def test_a_pose_generation_sends_the_pose_prompt_and_the_gallery_image(fake, account, queued):
    task = other_task(account, "pose", prompt="studio lighting")
    task.model_image = ModelImageFactory(fashion_model__program=task.sku.project.program)
    task.pose = PoseFactory(program=task.sku.project.program, prompt="walking pose, side view")
    task.save()
    task = run_until_settled(task)
    body = last_body(fake, "POST", r"/model/pose$")
    assert body["prompt"] == "walking pose, side view studio lighting"
    assert body["reference_image"].startswith("assets/model_images/") and task.outputs.count() == 1


def test_too_many_try_on_images_are_refused_by_the_capability_table(account, adapter):
    with pytest.raises(ValidationFailed, match="between 1 and 4"):
        adapter.estimate("try_on", {}, 5)


def test_an_edit_is_not_offered_by_huhu(account, adapter):
    with pytest.raises(Unsupported):
        HuhuAdapter.capabilities.spec("edit")


def test_a_face_without_a_prompt_fails_with_a_clear_message(fake, account, queued):
    task = run_until_settled(other_task(account, "face", prompt=""))
    assert task.status == TaskStatus.GENERATION_FAILED and "needs a prompt" in task.error_message
    assert count(fake, "POST", r"/model/face$") == 0
