"""Vision features on ArtEmotion's Vision API (seeds/004, "Vision API"), against the fake: garment captions that reach
prompts, and the NSFW gate that holds outputs of any vendor out of the review board until checked or moderated."""
import pytest

from generations.vendors.artemotion import adapter as artemotion
from django.contrib.contenttypes.models import ContentType

from generations import review
from generations.vendors.artemotion import vision
from generations.vendors.artemotion import jobs as vision_jobs
from generations.models import (CreditEntry, CreditKind, Decision, ReviewEvent, ReviewStage, TaskStatus,
                                VendorReference)
from generations.vendors.artemotion.vision_client import ArtEmotionVision, parse_vision
from generations.vendors.base import RateLimited
from studio.models import Role
from tests.factories import (GarmentImageFactory, MembershipFactory, SKUFactory, TaskFactory, TaskOutputFactory,
                             VendorAccountFactory, image_bytes)
from tests.vendors.artemotion.test_support import account, fake, queued  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued")]


def vision_posts(fake) -> list[dict]:
    return [r.json() for r in fake.requests if r.method == "POST" and r.path.endswith("/vision")]


def finish_vision_jobs(fake) -> None:
    for job in list(fake.jobs.values()):
        fake.finish(job.job_id)


# --- Captions -----------------------------------------------------------------------------------------------------
@pytest.fixture
def captioning(account):
    account.team.captions_enabled = True
    account.team.save()
    return account.team


def garment_of(team, **kwargs):
    return GarmentImageFactory(sku=SKUFactory(project__program__team=team, description=""), **kwargs)


def test_a_new_garment_image_is_queued_for_a_caption_when_the_team_enables_it(captioning, queued,
                                                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        garment = garment_of(captioning)
    assert ("caption_garment", garment.pk) in queued


def test_no_caption_is_queued_when_the_team_has_captions_off(account, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        garment_of(account.team)
    assert not [call for call in queued if call[0] == "caption_garment"]


def test_a_caption_is_asked_for_at_long_length_and_saved_on_the_image_and_the_sku(fake, captioning):
    garment = garment_of(captioning)

    first = vision.caption_garment(garment.pk)
    assert not first.done and first.wait == 2.0  # still running: poll again, never sleep
    finish_vision_jobs(fake)
    assert vision.caption_garment(garment.pk).done

    [body] = vision_posts(fake)
    assert body["model_id"] == "moondream3-preview/caption" and body["length"] == "long"
    assert body["image_url"].startswith("data:image/png;base64,")
    garment.refresh_from_db()
    assert garment.caption == fake.caption_text
    assert garment.sku.description == fake.caption_text


def test_a_caption_job_is_paid_once_and_the_ledger_and_balance_follow(fake, captioning, account):
    garment = garment_of(captioning)
    vision.caption_garment(garment.pk)
    vision.caption_garment(garment.pk)  # a redelivered job polls the same vision job

    assert len(vision_posts(fake)) == 1
    charge = CreditEntry.objects.get(account=account, kind=CreditKind.CHARGE)
    assert charge.credits == 2 and charge.operation == "vision"
    account.refresh_from_db()
    assert account.credit_balance == 1000 - 2


def test_a_caption_never_overwrites_words_a_person_wrote(fake, captioning):
    garment = garment_of(captioning, caption="Hand-written: indigo denim jacket")
    assert vision.caption_garment(garment.pk).done
    assert vision_posts(fake) == []

    other = garment_of(captioning)
    other.sku.description = "Our own SKU copy"
    other.sku.save()
    vision.caption_garment(other.pk)
    finish_vision_jobs(fake)
    vision.caption_garment(other.pk)
    other.sku.refresh_from_db()
    assert other.sku.description == "Our own SKU copy"


def test_a_caption_reaches_the_prompt_of_any_vendor(fake, captioning):
    garment = garment_of(captioning)
    vision.caption_garment(garment.pk)
    finish_vision_jobs(fake)
    vision.caption_garment(garment.pk)
    task = TaskFactory(sku=garment.sku, account=VendorAccountFactory(team=captioning), prompt="studio photo")
    task.garment_images.add(garment)

    assert vision.prompt_with_garment(task) == f"studio photo. Garment: {fake.caption_text}"


def test_the_documented_vision_answers_parse():
    import json
    from pathlib import Path

    folder = Path(__file__).parent / "fixtures"
    caption = parse_vision(json.loads((folder / "vision_caption_completed.json").read_text()))
    assert caption.state == "completed" and caption.text.startswith("A golden retriever")
    nsfw = parse_vision(json.loads((folder / "vision_nsfw_completed.json").read_text()))
    assert nsfw.is_nsfw is False and nsfw.nsfw_probability == 0.02
    assert parse_vision({"status": "failed", "error": "boom"}).error == "boom"
    assert parse_vision({"status": "processing"}).state == "pending"


# --- NSFW gate ----------------------------------------------------------------------------------------------------
@pytest.fixture
def gated(account):
    account.team.nsfw_gate_enabled = True
    account.team.save()
    return account.team


def output_of(team, color=(40, 90, 200)):
    """An output from another vendor (the sandbox) of a task paid by `team`."""
    task = TaskFactory(sku__project__program__team=team, team=team, account=VendorAccountFactory(team=team),
                       status=TaskStatus.REVIEW_SUBMITTED)
    from django.core.files.base import ContentFile

    return TaskOutputFactory(task=task, file=ContentFile(image_bytes(80, 120, color), name="out.png"))


def check(fake, output):
    vision.nsfw_check(output.pk)
    finish_vision_jobs(fake)
    step = vision.nsfw_check(output.pk)
    output.refresh_from_db()
    return step


def test_an_output_of_any_vendor_is_held_from_the_moment_it_is_stored(gated, queued,
                                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        output = output_of(gated)

    assert output.flagged and output.nsfw_probability is None
    assert ("nsfw_check", output.pk) in queued
    assert output not in review.awaiting_review(output.task.sku.project)


def test_outputs_are_not_held_when_the_team_has_the_gate_off(account):
    assert not output_of(account.team).flagged


def test_a_safe_output_is_released_to_the_review_board_with_its_probability(fake, gated):
    output = output_of(gated)

    check(fake, output)

    [body] = vision_posts(fake)
    assert body["model_id"] == "imageutils/nsfw" and body["image_url"].startswith("data:image/png;base64,")
    assert not output.flagged and output.nsfw_probability == 0.02
    assert output in review.awaiting_review(output.task.sku.project)


def test_an_unsafe_output_stays_held_with_its_probability_out_of_the_review_board(fake, gated):
    output = output_of(gated, color=(250, 200, 190))
    with output.file.open("rb") as fh:
        import hashlib

        fake.nsfw_by_digest[hashlib.sha256(fh.read()).hexdigest()] = 0.97

    check(fake, output)

    assert output.flagged and output.nsfw_probability == 0.97
    assert output not in review.awaiting_review(output.task.sku.project)
    assert list(vision.held_outputs(gated)) == [output]
    with pytest.raises(review.ReviewError, match="held"):
        review.approve(output, None)


@pytest.fixture
def unsafe(fake, gated):
    output = output_of(gated)
    vision.apply_verdict(output, 0.91, True)
    return output


def test_a_manager_releases_a_held_output_into_the_review_board(unsafe):
    manager = MembershipFactory(team=unsafe.task.team, role=Role.MANAGER)

    vision.release(unsafe, manager, "Swimwear shot, fine for the catalog")

    unsafe.refresh_from_db()
    assert not unsafe.flagged and unsafe.nsfw_probability == 0.91
    event = ReviewEvent.objects.get(output=unsafe)
    assert (event.stage, event.decision, event.actor) == (ReviewStage.MODERATION, Decision.RELEASED, manager.user)
    assert unsafe in review.awaiting_review(unsafe.task.sku.project)


def test_a_manager_discards_a_held_output_and_it_never_reaches_a_board(unsafe):
    manager = MembershipFactory(team=unsafe.task.team, role=Role.MANAGER)

    vision.discard(unsafe, manager, "Not usable")

    unsafe.refresh_from_db()
    assert unsafe.flagged and unsafe.review_status == TaskStatus.REVIEW_REJECTED
    assert ReviewEvent.objects.get(output=unsafe).decision == Decision.DISCARDED
    assert list(vision.held_outputs(unsafe.task.team)) == []
    assert unsafe not in review.awaiting_review(unsafe.task.sku.project)


def test_a_creative_cannot_release_a_held_output(unsafe):
    creative = MembershipFactory(team=unsafe.task.team, role=Role.CREATIVE)
    with pytest.raises(review.ReviewError, match="manager"):
        vision.release(unsafe, creative)
    unsafe.refresh_from_db()
    assert unsafe.flagged


def test_a_manager_of_another_team_cannot_release_it(unsafe):
    stranger = MembershipFactory(role=Role.MANAGER)
    with pytest.raises(review.ReviewError):
        vision.release(unsafe, stranger)


def test_a_late_verdict_does_not_undo_a_managers_decision(fake, gated):
    output = output_of(gated)
    vision.release(output, MembershipFactory(team=gated, role=Role.MANAGER), "checked by eye")
    vision.apply_verdict(output, 0.99, True)

    output.refresh_from_db()
    assert not output.flagged and output.nsfw_probability == 0.99


def test_an_image_the_vendor_refuses_keeps_the_output_held(fake, gated):
    output = output_of(gated)
    fake.inject(status=400, payload={"error": "Image error: Failed to fetch image: HTTP 403", "code": "IMAGE_ERROR"},
                path="/vision")

    assert vision.nsfw_check(output.pk).done

    output.refresh_from_db()
    assert output.flagged and output.nsfw_probability is None


def test_a_team_with_the_gate_but_no_artemotion_account_keeps_outputs_held(fake, account):
    team = VendorAccountFactory().team
    team.nsfw_gate_enabled = True
    team.save()
    output = output_of(team)

    assert vision.nsfw_check(output.pk).done
    output.refresh_from_db()
    assert output.flagged and vision_posts(fake) == []


def test_a_rate_limited_vision_call_waits_the_documented_60_seconds(fake, gated):
    output = output_of(gated)
    fake.inject(status=429, payload={"error": "Rate limit exceeded. Max 20 requests per minute.",
                                     "code": "RATE_LIMIT_EXCEEDED"}, path="/vision")

    step = vision.nsfw_check(output.pk)

    assert not step.done and step.wait >= 60


def test_vision_keeps_to_20_requests_per_minute_per_key_before_asking(fake, account):
    client = ArtEmotionVision(account)
    for _ in range(20):
        client.nsfw(image_bytes())
    with pytest.raises(RateLimited) as caught:
        client.nsfw(image_bytes())

    assert 0 < caught.value.retry_after <= artemotion.WINDOW_SECONDS  # until the oldest call leaves the window
    assert len(vision_posts(fake)) == 20  # the 21st never left the studio


def test_the_vision_job_requeues_itself_with_a_countdown_while_the_vendor_works(fake, gated, monkeypatch):
    output = output_of(gated)
    requeued = []
    monkeypatch.setattr(vision_jobs.nsfw_check, "apply_async",
                        lambda args, countdown: requeued.append((args, countdown)))

    vision_jobs.nsfw_check.run(output.pk)

    assert requeued == [((output.pk, 1), 2.0)]
    ref = VendorReference.objects.get(kind=vision.NSFW, content_type=ContentType.objects.get_for_model(output))
    assert ref.object_id == output.pk and ref.vendor_id in fake.jobs
