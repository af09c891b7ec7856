"""Huhu's pure pieces, checked against payloads copied from the documents (fixtures/huhu/*.json)."""
from decimal import Decimal

import pytest

from generations.vendors.huhu import payloads as p
from generations.vendors.base import Unsupported, ValidationFailed
from tests.vendors.huhu.test_support import fixture


def test_the_documented_task_list_parses_into_rows_with_sku_and_output():
    (row,) = p.parse_task_list(fixture("task_list.json"))
    assert (row.task_id, row.status, row.sku_id, row.project_id) == ("task-789", "Generation completed", "sku-001",
                                                                       "proj-456")
    assert row.output_image_url == "https://s3.../output.jpg" and row.view == "front"


def test_the_overview_task_list_without_sku_ids_still_parses_by_sku_name():
    (row,) = p.parse_task_list(fixture("task_list_overview.json"))
    assert (row.task_id, row.sku_id, row.sku_name) == ("xxx", "", "Blue Dress")


def test_task_detail_outputs_carry_the_image_id_as_result_id():
    (out,) = p.parse_task_outputs(fixture("task_detail.json"))
    assert (out.result_id, out.url) == ("xxx", "https://...")


def test_generated_images_are_read_from_images_generated():
    (out,) = p.parse_generated_images(fixture("model_image_completed.json"))
    assert out.result_id.endswith("1773770520035.png") and out.url.startswith("https://s3.amazonaws.com/")


@pytest.mark.parametrize("status,state", [
    ("Task created", "pending"), ("Task submitted", "running"), ("Generation started", "running"),
    ("Generation in process", "running"), ("Generation completed", "completed"), ("Generation failed", "failed"),
    ("Review approved", "completed"), ("Request Submitted", "running"), ("Generation Completed", "completed"),
    ("Generation Failed", "failed"), ("pending", "running"), ("success", "completed"), ("failed", "failed"),
])
def test_every_documented_status_maps_to_one_job_state(status, state):
    assert p.job_state(status) == state


@pytest.mark.parametrize("operation,options,n,credits", [
    ("try_on", {}, 1, 2), ("try_on", {}, 4, 8), ("face", {}, 2, 4), ("model_image", {}, 8, 16), ("pose", {}, 1, 2),
    ("upscale", {"upscale_factor": 2}, 3, 6), ("video", {"video_length": "5"}, 1, 25),
    ("video", {"video_length": "10"}, 1, 40),
])
def test_estimates_follow_the_credit_table(operation, options, n, credits):
    assert p.estimate_credits(operation, options, n) == Decimal(credits)


def test_an_operation_without_a_price_is_unsupported():
    with pytest.raises(Unsupported):
        p.estimate_credits("edit", {}, 1)


def test_the_upscale_pixel_rule_accepts_1024_at_4x_and_refuses_2048_at_4x():
    p.check_upscale_pixels(1024, 1024, 4)  # 16.8M ✓ (001 §5.28)
    with pytest.raises(ValidationFailed, match="18 million"):
        p.check_upscale_pixels(2048, 2048, 4)  # 67M ✗


def test_create_requests_send_the_name_in_body_and_query_unless_told_otherwise():
    assert p.name_request("program_name", "Brand") == {"json": {"program_name": "Brand"},
                                                       "params": {"program_name": "Brand"}}
    assert p.name_request("program_name", "Brand", "query") == {"params": {"program_name": "Brand"}}


def test_a_program_created_without_an_id_in_the_answer_is_looked_up_instead():
    assert p.created_id(fixture("program_created_overview.json"), "program_id") is None
    assert p.created_id(fixture("program_created.json"), "program_id") == "prog-new-456"


def test_the_video_answer_task_id_is_the_request_to_look_for():
    assert p.video_id(fixture("video_created.json")) == "video-task-001"
    row = p.find_video(fixture("video_requests.json"), "req-001")
    (out,) = p.video_output(row, "req-001")
    assert out.kind == "video" and out.url.startswith("https://s3.../video.mp4")


def test_upscale_results_get_one_id_per_url():
    (out,) = p.upscale_outputs(fixture("upscale_completed.json"), "req-upscale-123")
    assert out.result_id == "req-upscale-123:0"


def test_a_sku_zip_has_one_top_level_folder_per_sku():
    import io
    import zipfile

    data = p.sku_zip({"SKU-1": [("front_top_1.png", b"x")], p.zip_folder_name("a/b"): [("back_top_2.png", b"y")]})
    assert sorted(zipfile.ZipFile(io.BytesIO(data)).namelist()) == ["SKU-1/front_top_1.png", "a_b/back_top_2.png"]
