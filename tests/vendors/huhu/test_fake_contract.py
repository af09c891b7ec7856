"""The fake Huhu itself keeps the documents' contract (so the adapter tests mean something): keys and teams, the
fields each endpoint names, the task walk on the fake's clock, credits, concurrency, expiring output URLs."""
import base64

import httpx
import pytest

from tests.factories import image_bytes
from tests.vendors.huhu.fake import FakeHuhu


@pytest.fixture
def huhu():
    server = FakeHuhu(latency=90, credits=50).start()
    yield server
    server.stop()


def call(huhu, method, path, key=None, **kwargs):
    headers = {"Authorization": f"Bearer {key or huhu.api_key}"} if key != "" else {}
    return httpx.request(method, huhu.url + path, headers=headers, **kwargs)


def ready_task(huhu, key=None) -> tuple[str, str, str]:
    """A project with one SKU from a zip and its front task with a model_image: (project, sku, task) ids."""
    import io
    import zipfile

    project = call(huhu, "POST", "/project", key, json={"project_name": "P"}).json()["project_id"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("SKU-1/front_top.png", image_bytes())
        archive.writestr("SKU-1/back_top.png", image_bytes())
    data = buf.getvalue()
    init = call(huhu, "POST", "/project/upload", key, json={"project_id": project, "file_type": "sku_zip",
                                                            "file_size": len(data)}).json()
    etag = httpx.put(init["upload_urls"][0], content=data).headers["ETag"]
    assert call(huhu, "POST", "/project/complete_multipart_upload", key, json={
        "project_id": project, "key": init["key"], "upload_id": init["upload_id"],
        "parts": [{"PartNumber": 1, "ETag": etag}]}).json() == {"message": "success"}
    (sku,) = call(huhu, "GET", "/sku", key, params={"project_id": project}).json()["skus"]
    call(huhu, "POST", "/task", key, json={"project_id": project, "sku_ids": [sku["sku_id"]]})
    tasks = call(huhu, "GET", "/task", key).json()["skus"][0]["tasks"]
    assert [t["garment_view"] for t in tasks] == ["Front Full", "Back Full"]
    assert {t["task_status"] for t in tasks} == {"Task created"}
    call(huhu, "PUT", "/task", key, json={"project_id": project, "sku_id": sku["sku_id"], "task_id": tasks[0]["task_id"],
                                          "model_image": "assets/model_images/m.png"})
    return project, sku["sku_id"], tasks[0]["task_id"]


def test_a_missing_or_unknown_key_is_401_and_a_revoked_one_says_so(huhu):
    assert call(huhu, "GET", "/metering/plan", "").json() == {"detail": "Invalid API key"}
    assert call(huhu, "GET", "/metering/plan", "sk-nope").status_code == 401
    huhu.revoke(huhu.api_key)
    response = call(huhu, "GET", "/metering/plan")
    assert response.status_code == 401 and response.json()["detail"] == "API key has been revoked"


def test_another_teams_project_is_403(huhu):
    project = call(huhu, "POST", "/project", json={"project_name": "Mine"}).json()["project_id"]
    other = huhu.add_team()
    assert call(huhu, "GET", "/project", other, params={"project_id": project}).status_code == 403


def test_sku_garments_are_classified_by_type_view_and_presentation(huhu):
    project, sku, _ = ready_task(huhu)
    (detail,) = call(huhu, "GET", "/sku", params={"project_id": project, "sku_id": sku}).json()["skus"]
    assert {(g["garment_type"], g["view"], g["presentation"]) for g in detail["garment_images"]} == {
        ("Top", "front", "flatlay_clean"), ("Top", "back", "flatlay_clean")}


def test_generate_needs_a_model_image_and_1_to_4_outputs(huhu):
    project, sku, task = ready_task(huhu)
    back = [t for t in huhu.tasks if t != task][0]
    assert call(huhu, "POST", "/task/generate", json={"project_id": project, "task_ids": [back]}).status_code == 422
    response = call(huhu, "POST", "/task/generate", json={"project_id": project, "task_ids": [task],
                                                          "num_output_images": 5})
    assert response.status_code == 422 and "between 1 and 4" in response.json()["detail"]


def test_a_generation_walks_the_documented_statuses_on_the_fakes_clock(huhu):
    project, sku, task = ready_task(huhu)
    assert call(huhu, "POST", "/task/generate", json={"project_id": project, "task_ids": [task]}).status_code == 200
    seen = []
    for _ in range(4):
        row = call(huhu, "GET", "/task").json()["skus"][0]["tasks"][0]
        seen.append(row["task_status"])
        huhu.advance(30)
    assert seen == ["Task submitted", "Generation in process", "Generation in process", "Generation completed"]
    detail = call(huhu, "GET", "/task", params={"project_id": project, "sku_id": sku, "task_id": task}).json()
    assert len(detail["output"]) == 1 and huhu.paid[task] == 1 and huhu.team().credits == 48


def test_output_urls_expire_after_about_an_hour(huhu):
    project, sku, task = ready_task(huhu)
    call(huhu, "POST", "/task/generate", json={"project_id": project, "task_ids": [task]})
    huhu.advance(90)
    url = call(huhu, "GET", "/task", params={"project_id": project, "sku_id": sku, "task_id": task}).json()[
        "output"][0]["image_url"]
    assert httpx.get(url).status_code == 200
    huhu.advance(3601)
    assert httpx.get(url).status_code == 403


def test_no_credits_is_402_and_past_the_concurrent_limit_is_429(huhu):
    project, sku, task = ready_task(huhu)
    huhu.set_credits(0)
    assert call(huhu, "POST", "/task/generate", json={"project_id": project, "task_ids": [task]}).status_code == 402
    huhu.set_credits(50)
    huhu.team().concurrent_requests = 0
    response = call(huhu, "POST", "/task/generate", json={"project_id": project, "task_ids": [task]})
    assert response.status_code == 429 and huhu.paid[task] == 0


def test_the_upscale_pixel_rule_is_422(huhu):
    big = base64.b64encode(image_bytes(width=2048, height=2048)).decode()
    response = call(huhu, "POST", "/upscale", json={"image": big, "upscale_factor": 4})
    assert response.status_code == 422 and "18,000,000" in response.json()["detail"]


def test_model_fields_are_validated_and_model_image_needs_one_of_its_two_modes(huhu):
    assert call(huhu, "POST", "/model", json={"model_name": "A", "model_type": "Giant"}).status_code == 422
    assert call(huhu, "POST", "/model", json={"model_type": "Women"}).status_code == 422
    assert call(huhu, "POST", "/model/image", json={}).status_code == 400


def test_the_pose_library_has_143_presets_and_filters(huhu):
    assert call(huhu, "GET", "/pose/library").json()["total"] == 143
    men = call(huhu, "GET", "/pose/library", params={"model_category": "Men"}).json()["poses"]
    assert men and {p["model_category"] for p in men} == {"Men"}


def test_program_creation_accepts_the_name_as_body_or_query(huhu):
    assert call(huhu, "POST", "/program", json={"program_name": "A"}).json()["program_name"] == "A"
    assert call(huhu, "POST", "/program", params={"program_name": "B"}).json()["program_name"] == "B"
    assert call(huhu, "POST", "/program").status_code == 422


def test_a_key_without_a_default_program_must_name_one(settings):
    huhu = FakeHuhu(latency=0, default_program=False).start()
    try:
        response = call(huhu, "POST", "/project", json={"project_name": "P"})
        assert response.status_code == 400 and response.json()["detail"].startswith("program_id is required")
        program = call(huhu, "POST", "/program", json={"program_name": "Mine"}).json()["program_id"]
        assert call(huhu, "POST", "/project", json={"project_name": "P", "program_id": program}).status_code == 200
    finally:
        huhu.stop()


def test_a_project_outside_the_keys_default_program_is_not_found_there(huhu):
    program = call(huhu, "POST", "/program", json={"program_name": "Studio"}).json()["program_id"]
    project = call(huhu, "POST", "/project", json={"project_name": "P", "program_id": program}).json()["project_id"]
    missing = call(huhu, "GET", "/sku", params={"project_id": project})
    assert missing.status_code == 404 and missing.json()["detail"] == "Project not found in program"
    assert call(huhu, "GET", "/sku", params={"project_id": project, "program_id": program}).status_code == 200


def test_the_same_request_within_five_seconds_is_recorded_as_a_pace_violation(huhu):
    call(huhu, "GET", "/task")
    huhu.advance(5)
    call(huhu, "GET", "/task")
    assert huhu.pace_violations == []
    call(huhu, "GET", "/task", params={"program_id": huhu.team().default_program})  # another request
    huhu.advance(4)
    call(huhu, "GET", "/task")
    assert [(v["method"], v["path"]) for v in huhu.pace_violations] == [("GET", "/task")]


def test_a_generate_costing_more_than_the_credits_left_is_402_and_charges_nothing(huhu):
    project, sku, task = ready_task(huhu)
    huhu.set_credits(3)
    response = call(huhu, "POST", "/task/generate", json={"project_id": project, "task_ids": [task],
                                                          "num_output_images": 2})
    assert response.status_code == 402 and huhu.team().credits == 3 and sum(huhu.paid.values()) == 0
