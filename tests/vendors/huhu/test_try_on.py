"""Try-on through Huhu end to end, one engine step at a time, against the fake: prepare (program, project, uploads,
SKU zip, Huhu tasks) → PUT /task model_image → the one paid POST /task/generate → GET /task → outputs stored."""
import json

import pytest

from generations.engine import runs
from generations.lifecycle import transition_task
from generations.models import TaskStatus, VendorReference
from tests.factories import SKUFactory
from tests.fakes.base import count
from tests.vendors.huhu.test_support import (account, adapter, fake, generate_calls,  # noqa: F401
                                                         huhu_task_ids, queued, run_until_settled, step, try_on_task)

pytestmark = pytest.mark.django_db


def bodies(fake, method, path_regex):
    import re

    return [json.loads(r.body) for r in fake.requests if r.method == method and re.search(path_regex, r.path)]


def test_a_try_on_ends_reviewable_with_its_output_in_our_storage_and_one_paid_call(fake, account, queued):
    task = run_until_settled(try_on_task(account))
    assert (task.step, task.status) == ("done", TaskStatus.REVIEW_SUBMITTED)
    (output,) = task.outputs.all()
    assert output.file.read(8).startswith(b"\x89PNG") and output.vendor_result_id.startswith("assets/outputs/")
    (huhu_id,) = huhu_task_ids(task)
    assert fake.paid[huhu_id] == 1 and generate_calls(fake) == 1
    assert fake.team().credits == 50 - 2  # HD try-on: 2 credits per image
    assert task.charged_credits == 2


def test_the_model_image_is_set_with_put_task_before_the_paid_generate(fake, account, queued):
    task = run_until_settled(try_on_task(account))
    order = [(r.method, r.path.rsplit("/v1", 1)[1]) for r in fake.requests]
    assert order.index(("PUT", "/task")) < order.index(("POST", "/task/generate"))
    (put,) = bodies(fake, "PUT", r"/task$")
    model_ref = VendorReference.objects.get(kind="huhu_model_image", object_id=task.model_image_id)
    assert put["model_image"] == model_ref.vendor_id and put["task_id"] == huhu_task_ids(task)[0]
    assert {"program_id", "project_id", "sku_id"} <= set(put)


def test_the_prompt_and_the_number_of_images_go_to_generate(fake, account, queued):
    task = run_until_settled(try_on_task(account, num_outputs=3, prompt="loose fit, untucked"))
    (generate,) = bodies(fake, "POST", r"/task/generate$")
    assert generate["num_output_images"] == 3 and generate["prompt"] == "loose fit, untucked"
    assert generate["task_ids"] == huhu_task_ids(task)
    assert task.outputs.count() == 3  # several images are read from the task detail


def test_huhu_task_ids_are_on_record_before_the_paid_call_is_made(fake, account, queued):
    task = try_on_task(account)
    fake.inject("drop", path=r"/task/generate$")
    step(task)
    assert generate_calls(fake) == 1 and sum(fake.paid.values()) == 0
    task.refresh_from_db()
    assert task.vendor_state["huhu"]["task_ids"] == huhu_task_ids(task) != []
    # The dropped answer leaves the outcome unknown: the attempt stays open and is looked up, never resent blindly.
    assert task.attempt_started_at is not None and not task.vendor_task_id
    assert task.vendor_state["sent"]["request"] == "POST /task/generate" and task.vendor_state["lost"]


def test_a_back_view_gets_its_own_huhu_task_and_the_back_facing_model_image(fake, account, queued):
    task = run_until_settled(try_on_task(account, back=True))
    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.count() == 2
    refs = VendorReference.objects.filter(kind="huhu_task", object_id=task.pk)
    assert sorted(refs.values_list("key", flat=True)) == ["back", "front"]
    (generate,) = bodies(fake, "POST", r"/task/generate$")
    assert sorted(generate["task_ids"]) == sorted(huhu_task_ids(task))
    puts = {b["task_id"]: b["model_image"] for b in bodies(fake, "PUT", r"/task$")}
    assert len(set(puts.values())) == 2  # front and back model images differ


def test_regenerating_adds_new_outputs_to_the_same_huhu_task(fake, account, queued):
    task = run_until_settled(try_on_task(account))
    (huhu_id,) = huhu_task_ids(task)
    transition_task(task, TaskStatus.REVIEW_REJECTED)
    runs.regenerate(task, None, prompt="moderate fit")
    task = run_until_settled(task)
    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.round == 2
    assert huhu_task_ids(task) == [huhu_id] and fake.paid[huhu_id] == 2
    assert task.outputs.count() == 2 and set(task.outputs.values_list("round", flat=True)) == {1, 2}
    assert count(fake, "POST", r"/task$") == 1  # no new Huhu task for a regenerate


def test_tasks_waiting_in_one_project_share_one_zip_and_one_post_task(fake, account, queued):
    first = try_on_task(account)
    others = [try_on_task(account, sku=SKUFactory(project=first.sku.project)) for _ in range(3)]
    step(first)
    zips = [b for b in bodies(fake, "POST", r"/project/upload$") if b["file_type"] == "sku_zip"]
    assert len(zips) == 1 and count(fake, "POST", r"/task$") == 1
    assert all(huhu_task_ids(t) for t in others)
    garments = [g for t in [first, *others] for g in t.garment_images.all()]
    zipped = sum(len(s["garment_images"]) for s in fake.skus.values())
    assert zipped == len(garments) == 4  # each garment image went up once, in the zip, siblings' included
    assert [b for b in bodies(fake, "POST", r"/project/upload$") if b["file_type"] == "garment_image"] == []
    for task in others:
        run_until_settled(task)
    assert count(fake, "POST", r"/task$") == 1 and len(fake.skus) == 4
    assert sorted(fake.paid.values()) == [1, 1, 1, 1]


def test_garment_and_model_images_are_uploaded_once_each(fake, account, queued):
    first = run_until_settled(try_on_task(account))
    uploads = len(bodies(fake, "POST", r"/project/upload$"))
    second = try_on_task(account, sku=first.sku)
    second.model_image = first.model_image
    second.save()
    run_until_settled(second)
    images = [b for b in bodies(fake, "POST", r"/project/upload$")[uploads:] if b["file_type"] != "sku_zip"]
    assert images == [] and count(fake, "POST", r"/project$") == 1 and count(fake, "POST", r"/program$") == 1
    assert second.status == TaskStatus.REVIEW_SUBMITTED


def test_a_try_on_without_a_model_image_fails_before_anything_is_uploaded(fake, account, queued):
    task = try_on_task(account)
    task.model_image = None
    task.save()
    step(task)
    assert task.status == TaskStatus.GENERATION_FAILED and "model image" in task.error_message
    assert fake.requests == []


def test_each_garment_image_goes_up_once_in_the_zip_and_never_again_as_base64(fake, account, queued):
    """Issue 13.9: the zip carries the garment images (001 §5.13); a second, base64 copy (POST /project/upload
    file_type garment_image) returned an image_id nothing used."""
    task = run_until_settled(try_on_task(account, back=True))
    assert task.status == TaskStatus.REVIEW_SUBMITTED
    kinds = [b["file_type"] for b in bodies(fake, "POST", r"/project/upload$")]
    assert "garment_image" not in kinds and kinds.count("sku_zip") == 1
    (sku,) = fake.skus.values()
    assert len(sku["garment_images"]) == task.garment_images.count() == 2


def test_put_sku_assigns_garment_type_and_the_front_and_back_model_images_before_post_task(fake, account, queued):
    """001 §8.3 step 6 "Assign model to SKUs → PUT /sku", Workflow D step 4, before POST /task (step 5)."""
    task = try_on_task(account, back=True)
    task.sku.garment_type = "Full body"
    task.sku.save()
    run_until_settled(task)
    order = [(r.method, r.path.rsplit("/v1", 1)[1]) for r in fake.requests]
    assert order.index(("PUT", "/sku")) < order.index(("POST", "/task"))
    (put,) = bodies(fake, "PUT", r"/sku$")
    front = VendorReference.objects.get(kind="huhu_model_image", object_id=task.model_image_id).vendor_id
    assert put["garment_type"] == "Full body" and put["model_images_front"] == [front]
    assert len(put["model_images_back"]) == 1 and put["model_images_back"] != [front]
    (sku,) = fake.skus.values()
    assert put["sku_ids"] == [sku["sku_id"]] and sku["garment_type"] == "Full body"
    assert sku["model_images_front"] == [front]


def test_siblings_sharing_a_model_image_are_assigned_with_one_put_sku(fake, account, queued):
    first = try_on_task(account)
    others = [try_on_task(account, sku=SKUFactory(project=first.sku.project)) for _ in range(3)]
    for task in others:
        task.model_image = first.model_image
        task.save()
    step(first)
    (put,) = bodies(fake, "PUT", r"/sku$")
    assert len(put["sku_ids"]) == 4
