"""The document's own examples (fixtures/uwear/*.json, copied from seed 002): our parsing reads them, and the fake
accepts the documented example requests and refuses what the tables forbid with a 422 — so the fake and the adapter
are checked against the same text rather than against each other."""
import json

import pytest

from generations.vendors.base import ValidationFailed
from generations.vendors.uwear.adapter import Page, parse_generation, payload_of, result_to_output, scrubbed

from tests.vendors.uwear.test_support import KEY, adapter, account, chain_task, fake, fixture, try_on_task  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name,total", [("clothing_items_page.json", 45), ("avatars_page.json", 15),
                                        ("generations_page.json", 48), ("generation_results_page.json", 30)])
def test_every_documented_listing_parses_as_a_page(name, total):
    page = Page.parse(fixture(name))
    assert page.total_count == total and page.current_page == 1 and page.max_page > 1 and page.items


def test_a_listed_generation_parses_like_a_polled_one():
    record = fixture("generations_page.json")["data"][0]
    result = parse_generation(record)
    assert result.state == "completed" and [o.result_id for o in result.outputs] == ["1234"]
    assert payload_of(record) == {"prompt": "Young woman with brown hair wearing the dress in a sunny garden",
                                  "camera": "photo"}


@pytest.mark.parametrize("name", ["generation_created.json", "upscale_created.json", "video_created.json"])
def test_every_documented_creation_answer_carries_the_generation_id(name):
    assert isinstance(fixture(name)["generation_id"], int)


def test_a_documented_result_becomes_an_image_output():
    output = result_to_output(fixture("generation_result.json"))
    assert (output.result_id, output.kind) == ("1234", "image") and output.url.endswith(".png")


def test_an_echoed_webhook_secret_is_never_kept():
    record = {"generation_id": 1, "payload": json.dumps({"prompt": "x", "webhook_secret": "whsec_live"})}
    assert "whsec_live" not in json.dumps(scrubbed(record))
    assert scrubbed(fixture("generation_done.json")) == fixture("generation_done.json")


# --- the fake against the document's example requests ----------------------------------------------------------
def _post(adapter, body):
    return adapter.client.post("/generation", json=body)


def test_the_fake_accepts_the_documented_try_on_example(adapter, account):
    task = try_on_task(account)
    adapter.prepare(task)
    item_id = int(account.references.get().vendor_id)
    assert _post(adapter, {**fixture("generate_request.json"), "clothing_item_id": item_id})["status"] == "Created"


@pytest.mark.parametrize("name", ["edit_request.json", "upscale_request.json"])
def test_the_fake_accepts_the_documented_chain_examples(adapter, account, fake, name):
    task = try_on_task(account)
    adapter.prepare(task)
    task.vendor_task_id = str(_post(adapter, adapter.generation_body(task))["generation_id"])
    fake.finish_all()
    result_id = int(adapter.poll(task).outputs[0].result_id)
    assert _post(adapter, {**fixture(name), "generation_result_parent_id": result_id})["generation_id"]


def test_the_fake_accepts_the_documented_video_example(adapter):
    assert _post(adapter, fixture("video_request.json"))["generation_id"]


@pytest.mark.parametrize("change,field", [
    ({"num_images": 6}, "num_images"),
    ({"num_images": 0}, "num_images"),
    ({"model_slug": "seedvr2"}, "model_slug"),
    ({"duration": 2}, "duration"),
    ({"model_slug": "kling-2-5-turbo-pro", "generate_audio": True}, "generate_audio"),
    ({"model_slug": "seedance-2", "last_frame_url": "https://example.com/last.png"}, "last_frame_url"),
    ({"resolution": "720p"}, "resolution"),
    ({"generation_result_parent_id": 5}, "image_url"),
    ({"webhook_events": ["generation.started"]}, "webhook_events"),
])
def test_the_fake_refuses_what_the_video_table_forbids_with_a_422(adapter, change, field):
    with pytest.raises(ValidationFailed) as caught:
        _post(adapter, {**fixture("video_request.json"), **change})
    assert caught.value.status_code == 422
    assert json.loads(caught.value.response_text)["detail"][0]["loc"] == ["body", field]


def test_the_fake_refuses_a_try_on_without_a_clothing_item(adapter):
    with pytest.raises(ValidationFailed, match="clothing_item_id"):
        _post(adapter, {**fixture("generate_request.json"), "clothing_item_id": None})


def test_the_fake_takes_the_clothing_item_form_route_only_as_multipart(adapter):
    with pytest.raises(ValidationFailed, match="multipart"):
        adapter.client.post("/clothing-item", json={"clothing_item_name": "x", "clothing_item_url": "https://e/x"})


def test_the_fake_charges_credits_within_the_published_ranges(adapter, fake):
    before = fake.balances[KEY]
    _post(adapter, {**fixture("video_request.json"), "model_slug": "seedance-2", "duration": 15,
                    "generate_audio": True})
    assert before - fake.balances[KEY] == 183
