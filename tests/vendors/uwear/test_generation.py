"""POST /generation for every use case, the status mapping, batch polling and reconciling against the Uwear fake
(seed 002, "Generation Requests"), and the engine running a try-on end to end."""
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from generations.models import Task, TaskStatus
from generations.vendors.uwear.sync import AVATAR, CLOTHING_ITEM
from generations.vendors.base import (AuthError, InsufficientCredits, NotFound, Unsupported, ValidationFailed)
from generations.vendors.uwear.adapter import parse_generation
from tests.factories import PoseFactory, TaskOutputFactory

from tests.vendors.uwear.test_support import (KEY, OTHER_KEY, PUBLIC_URL, SECRET, adapter, account, chain_task, fake,  # noqa: F401
                                 fixture, generation_posts, step, try_on_task, uwear_account)

pytestmark = pytest.mark.django_db


def submit(adapter, fake, task) -> dict:
    """Prepare and submit as the engine would; returns the POST /generation body Uwear received."""
    adapter.prepare(task)
    submission = adapter.submit(task)
    Task.objects.filter(pk=task.pk).update(vendor_task_id=submission.vendor_task_id)
    task.vendor_task_id = submission.vendor_task_id
    return generation_posts(fake)[-1]


# --- try-on (use_case generate) ---------------------------------------------------------------------------------
def test_a_try_on_sends_the_skus_clothing_item_and_the_documented_fields(adapter, account, fake):
    task = try_on_task(account, num_outputs=2, options={"resolution": "4K", "aspect_ratio": "9:16",
                                                         "camera": "full_body_front"})
    body = submit(adapter, fake, task)
    item = task.sku  # the clothing item was created for this SKU first
    ref = account.references.get(kind=CLOTHING_ITEM, object_id=item.pk)
    assert body["use_case"] == "generate"
    assert body["clothing_item_id"] == int(ref.vendor_id)
    assert body["model_slug"] == "nano-banana-2"
    assert body["num_images"] == 2
    assert body["resolution"] == "4K" and body["aspect_ratio"] == "9:16" and body["camera"] == "full_body_front"
    assert body["prompt"] == "young woman in a sunny garden"
    assert body["enhance_user_prompt"] is True
    assert body["avatar_id"] is None  # "If not provided, a virtual model will be used"


def test_the_resolution_defaults_to_2k_and_is_omitted_for_a_model_without_resolutions(adapter, account, fake):
    assert submit(adapter, fake, try_on_task(account))["resolution"] == "2K"
    assert "resolution" not in submit(adapter, fake, try_on_task(account, options={"model_slug": "gemini-flash"}))
    qwen = submit(adapter, fake, try_on_task(account, options={"model_slug": "qwen-rapid-aio-v23"}))
    assert qwen["resolution"] == "768X1024"


def test_a_chosen_model_image_becomes_an_avatar_and_is_sent_as_avatar_id(adapter, account, fake):
    task = try_on_task(account, model_image=True)
    body = submit(adapter, fake, task)
    ref = account.references.get(kind=AVATAR)
    assert body["avatar_id"] == int(ref.vendor_id)


def test_a_pose_reference_image_goes_in_img_ref_urls_and_its_prompt_is_appended(adapter, account, fake):
    task = try_on_task(account)
    task.pose = PoseFactory(program=task.sku.project.program, prompt="hands in pockets",
                            reference_image=TaskOutputFactory().file)
    task.save()
    body = submit(adapter, fake, task)
    assert len(body["img_ref_urls"]) == 1 and body["img_ref_urls"][0].startswith(PUBLIC_URL)
    assert body["prompt"] == "young woman in a sunny garden. hands in pockets"


def test_garments_of_several_skus_are_sent_as_clothing_item_ids(adapter, account, fake):
    from tests.factories import GarmentImageFactory, SKUFactory

    task = try_on_task(account)
    other = SKUFactory(project=task.sku.project)
    task.garment_images.add(GarmentImageFactory(sku=other))
    body = submit(adapter, fake, task)
    assert "clothing_item_id" not in body
    assert len(body["clothing_item_ids"]) == 2


def test_a_try_on_without_prompt_uses_the_documents_try_on_guidance(adapter, account, fake):
    body = submit(adapter, fake, try_on_task(account, prompt=""))
    assert "neutral background" in body["prompt"]


def test_each_submission_asks_for_the_request_level_webhook(adapter, account, fake):
    task = try_on_task(account)
    body = submit(adapter, fake, task)
    assert body["webhook_url"] == f"{PUBLIC_URL}/webhooks/uwear/{account.webhook_token}/?attempt={task.attempt_key}"
    assert body["webhook_secret"] == SECRET
    assert body["webhook_events"] == ["generation.completed", "generation.failed"]


def test_an_account_without_webhook_secret_asks_for_no_webhook(fake):
    account = uwear_account(fake, secret=None)
    from generations.vendors.uwear.adapter import UwearAdapter

    adapter = UwearAdapter(account)
    body = submit(adapter, fake, try_on_task(account))
    assert not {"webhook_url", "webhook_secret", "webhook_events"} & set(body)


# --- edit, upscale, video: chains from an approved output ------------------------------------------------------
def test_an_edit_of_another_vendors_output_sends_our_stored_copy_as_image_url(adapter, account, fake):
    task = chain_task(account, "edit", prompt="change the background to a beach", options={"resolution": "1K"})
    body = submit(adapter, fake, task)
    assert body["use_case"] == "edit"
    assert body["image_url"].split("?sig=")[0] == PUBLIC_URL + task.parent_output.file.url  # signed link
    assert "generation_result_parent_id" not in body
    assert body["prompt"] == "change the background to a beach" and body["resolution"] == "1K"


def test_an_edit_sends_a_pose_reference_image_as_a_reference(adapter, account, fake):
    task = chain_task(account, "edit", prompt="match this pose")
    task.pose = PoseFactory(reference_image=TaskOutputFactory().file)
    task.save()
    assert len(submit(adapter, fake, task)["img_ref_urls"]) == 1


def test_an_edit_needs_instructions(adapter, account):
    with pytest.raises(ValidationFailed, match="prompt"):
        adapter.submit(chain_task(account, "edit", prompt=""))


def test_a_fresh_uwear_result_of_the_same_account_is_sent_as_generation_result_parent_id(adapter, account, fake):
    first = try_on_task(account)
    submit(adapter, fake, first)
    fake.finish_all()
    result = adapter.poll(first).outputs[0]
    parent = TaskOutputFactory(task=first, vendor_result_id=result.result_id)
    body = submit(adapter, fake, chain_task(account, "upscale", parent=parent))
    assert body["generation_result_parent_id"] == int(result.result_id)
    assert "image_url" not in body
    assert body["upscale_factor"] == 2 and body["target_resolution"] == "2160p" and body["model_slug"] == "seedvr2"


def test_a_uwear_result_older_than_four_hours_is_sent_as_image_url(adapter, account, fake):
    first = try_on_task(account)
    submit(adapter, fake, first)
    fake.finish_all()
    parent = TaskOutputFactory(task=first, vendor_result_id=adapter.poll(first).outputs[0].result_id)
    TaskOutputFactory._meta.model.objects.filter(pk=parent.pk).update(created_at=timezone.now() - timedelta(hours=5))
    parent.refresh_from_db()
    body = submit(adapter, fake, chain_task(account, "upscale", parent=parent))
    assert body["image_url"].startswith(PUBLIC_URL)


def test_aura_sr_upscales_four_times(adapter, account, fake):
    body = submit(adapter, fake, chain_task(account, "upscale", options={"model_slug": "aura-sr"}))
    assert body["upscale_factor"] == 4 and body["model_slug"] == "aura-sr"


def test_a_video_sends_duration_audio_and_a_null_parent_with_image_url(adapter, account, fake):
    task = chain_task(account, "video", prompt="model turns slowly", options={"duration": 8, "generate_audio": True})
    body = submit(adapter, fake, task)
    assert body["use_case"] == "video" and body["model_slug"] == "kling-3-pro"
    assert body["duration"] == 8 and body["generate_audio"] is True
    assert body["generation_result_parent_id"] is None and body["image_url"].startswith(PUBLIC_URL)
    assert body["prompt"] == "model turns slowly"
    assert "resolution" not in body and "aspect_ratio" not in body


def test_seedance_2_videos_are_sent_at_720p(adapter, account, fake):
    body = submit(adapter, fake, chain_task(account, "video", options={"model_slug": "seedance-2"}))
    assert body["resolution"] == "720p" and body["duration"] == 5


def test_a_last_frame_output_of_the_team_is_sent_as_last_frame_url(adapter, account, fake):
    last = TaskOutputFactory(task__sku__project__program__team=account.team)
    body = submit(adapter, fake, chain_task(account, "video", options={"last_frame_output": last.pk}))
    assert body["last_frame_url"].split("?sig=")[0] == PUBLIC_URL + last.file.url  # signed link


def test_another_teams_output_cannot_be_a_last_frame(adapter, account):
    stranger = TaskOutputFactory()
    with pytest.raises(ValidationFailed, match="your team"):
        adapter.submit(chain_task(account, "video", options={"last_frame_output": stranger.pk}))


def test_a_video_model_without_last_frame_refuses_one(adapter, account):
    last = TaskOutputFactory(task__sku__project__program__team=account.team)
    with pytest.raises(Unsupported, match="last frame"):
        adapter.submit(chain_task(account, "video", options={"model_slug": "seedance-2", "last_frame_output": last.pk}))


def test_a_chain_without_a_source_output_is_refused(adapter, account):
    task = chain_task(account, "upscale")
    task.parent_output = None
    with pytest.raises(ValidationFailed, match="output to start from"):
        adapter.submit(task)


def test_nothing_reaches_uwear_when_the_catalog_refuses(adapter, account, fake):
    with pytest.raises(Unsupported):
        adapter.submit(try_on_task(account, options={"model_slug": "gpt-image-2-low", "resolution": "4K"}))
    assert fake.paid_generations == 0


# --- vendor errors ----------------------------------------------------------------------------------------------
def test_a_422_from_uwear_fails_with_its_message(adapter, account, fake):
    fake.inject(status=422, payload={"detail": [{"loc": ["body", "prompt"], "msg": "prompt is required"}]},
                path="/generation$")
    with pytest.raises(ValidationFailed, match="prompt is required"):
        submit(adapter, fake, try_on_task(account))


def test_a_wrong_key_is_an_auth_error(fake):
    from generations.vendors.uwear.adapter import UwearAdapter

    account = uwear_account(fake, key="not-a-key")
    with pytest.raises(AuthError):
        UwearAdapter(account).clothing_items()


def test_an_empty_balance_is_insufficient_credits(adapter, account, fake):
    fake.balances[KEY] = 2  # enough for the clothing item's enhancement, not the image
    with pytest.raises(InsufficientCredits):
        submit(adapter, fake, try_on_task(account, options={"resolution": "4K"}))


def test_another_keys_generation_is_not_found(adapter, account, fake):
    task = try_on_task(account)
    submit(adapter, fake, task)
    from generations.vendors.uwear.adapter import UwearAdapter

    stranger = UwearAdapter(uwear_account(fake, key=OTHER_KEY))
    with pytest.raises(NotFound):
        stranger.poll(task)


# --- status -----------------------------------------------------------------------------------------------------
def test_the_documented_statuses_map_onto_job_states():
    states = {status: parse_generation({"status": status}).state for status in ("Created", "Ongoing", "Done",
                                                                                 "Error")}
    assert states == {"Created": "pending", "Ongoing": "running", "Done": "completed", "Error": "failed"}


def test_the_documents_done_example_parses_into_two_image_outputs():
    result = parse_generation(fixture("generation_done.json"))
    assert result.state == "completed"
    assert [o.result_id for o in result.outputs] == ["1567", "1568"]
    assert all(o.kind == "image" and o.url.startswith("https://app-uwear-prod") for o in result.outputs)


def test_an_error_generation_fails_with_a_message(adapter, account, fake):
    fake.fail_next = 1
    task = try_on_task(account)
    submit(adapter, fake, task)
    fake.finish_all()
    result = adapter.poll(task)
    assert result.state == "failed" and result.error


def test_the_fake_walks_created_ongoing_done(adapter, account, fake):
    task = try_on_task(account)
    submit(adapter, fake, task)
    seen = [adapter.poll(task).vendor_status]
    fake.advance(fake.queued_seconds)
    seen.append(adapter.poll(task).vendor_status)
    fake.advance(fake.running_seconds)
    seen.append(adapter.poll(task).vendor_status)
    assert seen == ["Created", "Ongoing", "Done"]


def test_video_results_are_collected_as_videos(adapter, account, fake):
    task = chain_task(account, "video")
    submit(adapter, fake, task)
    fake.finish_all()
    assert adapter.poll(task).outputs[0].kind == "video"


def test_a_done_record_without_results_is_completed_from_the_generation_results_route(adapter, account, fake):
    task = try_on_task(account, num_outputs=2)
    submit(adapter, fake, task)
    fake.finish_all()
    bare = {**adapter.client.get(f"/generation/{task.vendor_task_id}"), "generation_results": []}
    fake.inject(status=200, payload=bare, path=r"/generation/\d+$")
    result = adapter.poll(task)
    assert result.state == "completed" and len(result.outputs) == 2
    assert any(r.path.endswith("/generation-results") for r in fake.requests)


def test_poll_many_reads_every_job_from_one_generations_listing(adapter, account, fake):
    tasks = [try_on_task(account) for _ in range(3)]
    for task in tasks:
        submit(adapter, fake, task)
    Task.objects.filter(pk__in=[t.pk for t in tasks]).update(submitted_at=timezone.now())
    for task in tasks:
        task.refresh_from_db()
    fake.advance(fake.queued_seconds)
    before = len(fake.requests)
    results = adapter.poll_many(tasks)
    reads = [r.path for r in fake.requests[before:]]
    assert reads == [fake.prefix + "/generations"]
    assert {r.vendor_status for r in results.values()} == {"Ongoing"} and set(results) == {t.pk for t in tasks}


def test_one_expired_job_does_not_stop_a_batch_poll_of_its_companions(adapter, account, fake):
    expired = try_on_task(account)
    submit(adapter, fake, expired)
    fake.finish_all()
    fake.advance(4 * 3600 + 60)
    fresh = try_on_task(account)
    submit(adapter, fake, fresh)
    results = adapter.poll_many([fresh, expired])
    assert results[fresh.pk].vendor_status == "Created" and expired.pk not in results
    with pytest.raises(NotFound, match="4 hours"):
        adapter.poll_many([expired, fresh])


def test_the_result_route_gives_a_current_url_until_the_four_hours_are_over(adapter, account, fake):
    task = try_on_task(account)
    submit(adapter, fake, task)
    fake.finish_all()
    result_id = adapter.poll(task).outputs[0].result_id
    assert adapter.result(result_id).url
    fake.advance(4 * 3600 + 1)
    with pytest.raises(NotFound, match="4 hours"):
        adapter.result(result_id)


# --- reconcile ------------------------------------------------------------------------------------------------
def _lost_submission(adapter, fake, task):
    """The paid call went through but our worker died before saving the id."""
    Task.objects.filter(pk=task.pk).update(attempt_started_at=timezone.now(), vendor_state={
        "sent": {"at": timezone.now().isoformat(), "request": "POST /uwear/generation"}})
    task.refresh_from_db()
    adapter.prepare(task)
    return adapter.submit(task).vendor_task_id


def test_find_submission_recognises_a_lost_attempt_by_what_it_sent(adapter, account, fake):
    task = try_on_task(account)
    lost = _lost_submission(adapter, fake, task)
    found = adapter.find_submission(task)
    assert found is not None and found.vendor_task_id == lost


def test_find_submission_finds_nothing_when_uwear_never_got_the_attempt(adapter, account, fake):
    other = try_on_task(account, prompt="something else entirely")
    _lost_submission(adapter, fake, other)
    task = try_on_task(account)
    Task.objects.filter(pk=task.pk).update(attempt_started_at=timezone.now())
    task.refresh_from_db()
    assert adapter.find_submission(task) is None


def test_find_submission_skips_generations_claimed_by_our_other_tasks(adapter, account, fake):
    first = try_on_task(account)
    first_id = _lost_submission(adapter, fake, first)
    twin = try_on_task(account)
    twin.sku, twin.prompt = first.sku, first.prompt
    twin.save()
    twin.garment_images.set(first.garment_images.all())
    twin_id = _lost_submission(adapter, fake, twin)
    Task.objects.filter(pk=first.pk).update(vendor_task_id=first_id)
    assert adapter.find_submission(twin).vendor_task_id == twin_id


def test_find_submission_prefers_the_generation_with_our_prompt(adapter, account, fake):
    task = try_on_task(account)
    Task.objects.filter(pk=task.pk).update(attempt_started_at=timezone.now())
    task.refresh_from_db()
    adapter.prepare(task)
    body = adapter.generation_body(task)
    decoy = adapter.client.post("/generation", json={**body, "prompt": "a different brief"})["generation_id"]
    ours = adapter.submit(task).vendor_task_id
    assert adapter.find_submission(task).vendor_task_id == ours != str(decoy)


def test_find_submission_uses_the_attempt_key_when_uwear_echoes_the_webhook_url(adapter, account, fake):
    fake.echo_webhook_url = True
    task = try_on_task(account)
    lost = _lost_submission(adapter, fake, task)
    echoed = json.loads(adapter.client.get(f"/generation/{lost}")["payload"])
    assert task.attempt_key in echoed["webhook_url"]
    assert adapter.find_submission(task).vendor_task_id == lost


# --- the engine end to end ----------------------------------------------------------------------------------------
def test_the_engine_runs_a_try_on_to_review_with_one_paid_generation(account, fake):
    task = try_on_task(account, num_outputs=2)
    assert step(task) == "submit"
    assert task.status == TaskStatus.TASK_SUBMITTED and task.vendor_task_id
    step(task)
    assert task.step == "poll"
    fake.finish_all()
    step(task)
    assert task.status == TaskStatus.REVIEW_SUBMITTED
    assert task.outputs.count() == 2
    assert fake.paid_generations == 1


def test_the_engine_fails_a_task_uwear_reports_as_error(account, fake):
    fake.fail_next = 1
    task = try_on_task(account)
    step(task)
    fake.finish_all()
    step(task)
    assert task.status == TaskStatus.GENERATION_FAILED and task.error_message


def test_a_chained_output_links_to_its_parent(account, fake):
    task = chain_task(account, "upscale")
    step(task)
    fake.finish_all()
    step(task)
    assert task.outputs.get().parent == task.parent_output


def test_the_engine_reconciles_instead_of_paying_twice(account, adapter, fake):
    task = try_on_task(account)
    lost = _lost_submission(adapter, fake, task)
    step(task)
    assert task.vendor_task_id == lost
    assert fake.paid_generations == 1


def test_a_500_on_the_paid_call_is_uwears_answer_and_simply_retried_and_paid_once(account, fake):
    fake.inject(status=500, path="/generation$")
    task = try_on_task(account)
    step(task)
    assert task.step == "submit" and task.attempt_started_at is None and task.error_message
    step(task)
    assert task.step == "poll" and fake.paid_generations == 1


def test_a_rejected_key_disables_the_account_and_a_402_pauses_it(account, fake):
    from generations.models import AccountState

    fake.inject(status=401, payload={"detail": "Invalid API key"}, path="/clothing-item$")
    step(try_on_task(account))
    account.refresh_from_db()
    assert account.state == AccountState.DISABLED and "Invalid API key" in account.state_message
    other = uwear_account(fake, key=OTHER_KEY)
    fake.balances[OTHER_KEY] = 1
    step(try_on_task(other))
    other.refresh_from_db()
    assert other.state == AccountState.PAUSED and fake.paid_generations == 0


# --- Small contract gaps around lost answers (issue: unknown outcomes) ------------------------------------------
def test_a_clothing_item_create_whose_answer_was_lost_is_found_by_name_not_made_twice(account, fake, settings):
    settings.STUDIO_HTTP_READ_TIMEOUT = 0.3
    fake.inject("lost", path=r"/clothing-item$", seconds=0.6)  # Uwear makes the item; the answer never arrives
    task = try_on_task(account)
    step(task)
    assert task.step == "submit" and len(fake.items) == 1 and fake.paid_generations == 0
    assert "another worker" not in task.error_message
    step(task)  # no two-minute wait: the next try looks the item up by name and goes on to the generation
    assert len(fake.items) == 1 and task.step == "poll" and fake.paid_generations == 1


def test_a_clothing_item_create_refused_with_a_500_frees_the_claim_at_once(account, fake):
    fake.inject(status=500, path=r"/clothing-item$")
    task = try_on_task(account)
    step(task)
    assert task.step == "submit" and len(fake.items) == 0
    step(task)
    assert len(fake.items) == 1 and task.step == "poll" and fake.paid_generations == 1


def test_a_clothing_item_deleted_outside_the_studio_is_created_again_once(account, fake, adapter):
    first = try_on_task(account)
    step(first)
    (item_id,) = list(fake.items)
    fake.items.clear()  # deleted in Uwear's own app
    task = try_on_task(account)  # the same SKU again
    Task.objects.filter(pk=task.pk).update(sku=first.sku)
    task.garment_images.set(first.garment_images.all())
    task.refresh_from_db()
    step(task)  # 404 "Clothing item not found": nothing paid, the stale reference forgotten
    assert task.step == "submit" and "deleted outside the studio" in task.error_message
    assert fake.paid_generations == 1
    step(task)
    assert task.step == "poll" and fake.paid_generations == 2
    assert len(fake.items) == 1 and item_id not in fake.items
