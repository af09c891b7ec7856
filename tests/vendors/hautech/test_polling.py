"""Pipeline status: "pending" until it is not (seed 003 waitForPipeline), then the output or the failure's message.

Fixtures: the *_input.json files and run_response.json / pipeline_pending.json are the document's own examples;
the completed and failed shapes are readings of `result.output` the document leaves open (hautech_status.py).
"""
import json
from pathlib import Path

import pytest

from generations.models import Task, TaskStatus
from generations.vendors.hautech.status import output_images, parse_pipeline
from tests.vendors.hautech.fake import SCHEMAS
from tests.generations.test_engine_support import seconds_until_next_run, step

from tests.vendors.hautech.test_support import drive, fake, hautech_account, hautech_task  # noqa: F401

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.mark.parametrize("workflow", ["full_naomi", "naomi", "prepare_image", "prepare_pose"])
def test_the_documents_example_inputs_are_exactly_the_parameters_the_fake_accepts(workflow):
    assert set(fixture(f"{workflow}_input")["input"]) <= set(SCHEMAS[workflow])


def test_pending_means_not_finished():
    pipeline = parse_pipeline(fixture("pipeline_pending"))

    assert pipeline.state == "pending" and pipeline.status == "pending"


def test_a_finished_preparation_gives_its_prepared_id():
    assert parse_pipeline(fixture("prepare_image_completed")).output["preparedImageId"] == "pim_0a1b2c3d4e5f6071"
    assert parse_pipeline(fixture("prepare_pose_completed")).output["poseId"] == "pose_8a9b0c1d2e3f4a5b"


@pytest.mark.parametrize("name, expected", [
    ("naomi_completed_url", [("gen_11aa22bb33cc44dd",
                              "https://cdn.example.com/gen_11aa22bb33cc44dd.png?Expires=1&Signature=abc")]),
    ("naomi_completed_image_id", [("gen_11aa22bb33cc44dd", "")]),
    ("naomi_completed_images_list", [("gen_1", "https://cdn.example.com/gen_1.png"),
                                     ("", "https://cdn.example.com/gen_2.png")]),
])
def test_any_status_that_is_not_pending_is_final_and_its_output_images_are_read(name, expected):
    pipeline = parse_pipeline(fixture(name))

    assert pipeline.state == "completed"
    assert output_images(pipeline.output) == expected


@pytest.mark.parametrize("name, message", [("pipeline_failed", "No person detected in the pose image"),
                                           ("pipeline_failed_plain", "Garment could not be segmented")])
def test_a_failed_pipeline_carries_its_message(name, message):
    pipeline = parse_pipeline(fixture(name))

    assert pipeline.state == "failed" and pipeline.error == message


@pytest.mark.django_db
def test_a_pending_generation_is_polled_again_after_the_adapters_interval_not_every_second(fake):
    task = hautech_task(hautech_account(fake), options={"seed": 1})
    step(task)  # submit
    gets_before = sum(r.path.startswith("/v1/pipelines/") for r in fake.requests)

    step(task)  # poll while the fake still says pending

    assert task.step == "poll" and task.status == TaskStatus.TASK_SUBMITTED
    assert sum(r.path.startswith("/v1/pipelines/") for r in fake.requests) == gets_before + 1
    assert seconds_until_next_run(task) > 4  # poll_interval 5 s; the engine adds backoff, never a 1 s loop


@pytest.mark.django_db
def test_a_generation_that_fails_at_hautech_fails_the_task_with_the_pipelines_message(fake):
    fake.fail_next("full_naomi", "No person detected in the pose image")
    task = hautech_task(hautech_account(fake))

    drive(task, fake)

    assert task.status == TaskStatus.GENERATION_FAILED
    assert task.error_message == "No person detected in the pose image"
    assert fake.paid_runs == 1  # never resubmitted


@pytest.mark.django_db
def test_a_failed_preparation_fails_the_task_with_the_message_and_can_be_tried_again_later(fake):
    account = hautech_account(fake)
    fake.fail_next("prepare_image", "Garment could not be segmented")
    first = hautech_task(account)
    second = hautech_task(account, garment=first.garment_images.get(), pose=first.pose)

    drive(first, fake)

    assert first.status == TaskStatus.GENERATION_FAILED
    assert "Garment could not be segmented" in first.error_message
    assert fake.paid_runs == 0
    drive(second, fake)
    assert second.status == TaskStatus.REVIEW_SUBMITTED and fake.runs["prepare_image"] == 2


@pytest.mark.django_db
def test_an_output_given_only_as_an_image_id_is_fetched_through_the_images_endpoint(fake):
    fake.url_in_output = False
    task = hautech_task(hautech_account(fake), options={"seed": 5})

    drive(task, fake)

    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.count() == 1
    assert any(r.path.startswith("/v1/images/gen_") for r in fake.requests)


@pytest.mark.django_db
def test_the_status_words_of_the_fake_can_change_without_changing_the_adapter(fake):
    fake.done_status, fake.failed_status = "finished", "error"
    task = hautech_task(hautech_account(fake))

    drive(task, fake)

    assert task.status == TaskStatus.REVIEW_SUBMITTED


@pytest.mark.django_db
def test_preparation_does_not_hold_a_worker_it_comes_back_for_the_pending_pipeline(fake):
    account = hautech_account(fake)
    first = hautech_task(account)
    hautech_task(account, garment=first.garment_images.get(), pose=first.pose)

    step(first)

    assert first.step == "submit" and first.attempts == 0 and not first.attempt_started_at
    assert 2 <= seconds_until_next_run(first) <= 4
    pending = {r.kind: r.raw["pipelineId"] for r in account.references.all() if r.kind != "hautech_upload"}
    assert set(pending) == {"hautech_prepared_image", "hautech_pose"}
    assert all(not ref.vendor_id for ref in account.references.exclude(kind="hautech_upload"))
    step(first)  # still pending on the fake's clock: nothing is started twice
    assert fake.runs == {"prepare_image": 1, "prepare_pose": 1}
    assert Task.objects.get(pk=first.pk).status == TaskStatus.TASK_CREATED


@pytest.mark.django_db
def test_a_finished_pipeline_without_an_image_fails_the_task_and_says_what_came_back(fake, monkeypatch):
    monkeypatch.setattr(fake, "_finish", lambda pipeline: {"note": "nothing here"})
    task = hautech_task(hautech_account(fake))

    drive(task, fake)

    assert task.status == TaskStatus.GENERATION_FAILED
    assert task.error_message == "Hautech finished the pipeline without an image in its output (note)"
    assert fake.paid_runs == 1


@pytest.mark.django_db
def test_a_task_waits_for_a_preparation_another_task_started_and_may_be_the_one_that_records_it(fake):
    account = hautech_account(fake)
    first = hautech_task(account)
    second = hautech_task(account, garment=first.garment_images.get(), pose=first.pose)
    step(first)  # starts Prepare image and Prepare pose

    step(second)
    assert second.step == "submit" and fake.runs == {"prepare_image": 1, "prepare_pose": 1}

    fake.finish_everything()
    step(second)  # polls the shared pipelines, records the ids, runs Naomi
    assert second.status == TaskStatus.TASK_SUBMITTED and fake.runs["naomi"] == 1
    drive(first, fake)
    assert first.status == TaskStatus.REVIEW_SUBMITTED
    assert dict(fake.runs) == {"prepare_image": 1, "prepare_pose": 1, "naomi": 2}
