"""Vision features a team can switch on (Team.captions_enabled, Team.nsfw_gate_enabled), run on ArtEmotion's Vision
API with the team's own ArtEmotion account (generations/vendors/artemotion_vision.py).

- Captions: every new garment image gets a long caption (moondream3-preview/caption) in GarmentImage.caption, the
  garment's description any vendor can use in a prompt (`garment_description`, `prompt_with_garment`); it is also
  copied onto the SKU's description when the SKU has none. Both stay editable: a caption never overwrites text.
- NSFW gate: every new output from ANY vendor is held (TaskOutput.flagged) from the moment it is stored until
  imageutils/nsfw has looked at it; outputs it finds unsafe stay held with their probability, out of the review
  board, until a manager releases or discards them (ReviewEvent stage "moderation"). If the check cannot run
  (no ArtEmotion account, the vendor refuses the image) the output stays held: the gate fails closed.

Work happens in the media worker (generations/vendors/artemotion/jobs.py): submit once (a VendorReference row keeps the job so a
redelivered job polls instead of paying again), then poll with a countdown, never a sleep.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models.signals import post_save, pre_save

from catalog.models import SKU, GarmentImage

from generations import announce, lifecycle
from generations.models import (Decision, ReviewEvent, ReviewStage, Task, TaskOutput, TaskStatus,
                     VendorAccount, VendorReference)
from generations.review import held_outputs  # noqa: F401 (the lane's query lives with review; used by the lane)
from generations.vendors import registry
from generations.vendors.base import RateLimited, VendorError

logger = logging.getLogger(__name__)

CAPTION, NSFW = "vision_caption", "vision_nsfw"  # VendorReference kinds
POLL_SECONDS = 2.0  # the document's vision poller waits 2 s between polls


def nsfw_threshold() -> float:
    return float(getattr(settings, "STUDIO_NSFW_THRESHOLD", 0.5))


@dataclass
class Step:
    """What a vision job does next: finished, or run again in `wait` seconds."""

    done: bool
    wait: float = 0.0
    message: str = ""


DONE = Step(True)


# --- Hooks: new garment images and new outputs --------------------------------------------------------------------
def hold_new_output(sender, instance: TaskOutput, raw=False, **kwargs) -> None:
    """pre_save: an output of a team with the gate on is stored already held, so no reviewer sees it unchecked."""
    if raw or not instance._state.adding or instance.flagged or instance.kind != "image":
        return  # imageutils/nsfw looks at images; videos are not held
    if Task.objects.filter(pk=instance.task_id, team__nsfw_gate_enabled=True).exists():
        instance.flagged = True


def queue_new_output_check(sender, instance: TaskOutput, created=False, raw=False, **kwargs) -> None:
    if created and not raw and instance.flagged and instance.nsfw_probability is None:
        transaction.on_commit(lambda: _queue("nsfw_check", instance.pk))


def queue_new_garment_caption(sender, instance: GarmentImage, created=False, raw=False, **kwargs) -> None:
    if created and not raw and not instance.caption and SKU.objects.filter(
            pk=instance.sku_id, project__program__team__captions_enabled=True).exists():
        transaction.on_commit(lambda: _queue("caption_garment", instance.pk))


def _queue(name: str, pk: int) -> None:
    from generations.vendors.artemotion import jobs as vision_jobs

    try:
        getattr(vision_jobs, name).delay(pk)
    except Exception:  # a broker outage must not break the upload or the collect step that stored the row
        logger.warning("could not queue media.%s for %s", name, pk, exc_info=True)


def connect() -> None:
    """Called from GenerationsConfig.ready()."""
    pre_save.connect(hold_new_output, sender=TaskOutput, dispatch_uid="vision_hold_new_output")
    post_save.connect(queue_new_output_check, sender=TaskOutput, dispatch_uid="vision_check_new_output")
    post_save.connect(queue_new_garment_caption, sender=GarmentImage, dispatch_uid="vision_caption_new_garment")


# --- Shared: which account pays, one job per object ---------------------------------------------------------------
def vision_account(team) -> VendorAccount | None:
    return registry.account_offering(team, "vision")


def _read(field) -> bytes:
    with field.open("rb") as fh:
        return fh.read()


def run_vision(kind: str, target, account: VendorAccount, image_field, submit_name: str):
    """Submit once per (account, kind, target) and poll. Returns a VisionResult, or a Step to wait."""
    from generations.vendors.artemotion.vision_client import ArtEmotionVision  # imported on use: app start-up loads no vendor module

    content_type = ContentType.objects.get_for_model(target)
    client = ArtEmotionVision(account)
    try:
        with transaction.atomic():
            # The target's row lock: two workers handed the same job submit once between them.
            list(type(target).objects.select_for_update().filter(pk=target.pk).values_list("pk", flat=True))
            ref = VendorReference.objects.filter(account=account, kind=kind, content_type=content_type,
                                                 object_id=target.pk).first()
            if ref is None:
                job = getattr(client, submit_name)(_read(image_field))
                ref = VendorReference.objects.create(account=account, kind=kind, content_type=content_type,
                                                     object_id=target.pk, vendor_id=job.job_id, raw=job.as_dict())
        return client.poll(ref.raw)
    except RateLimited as exc:
        return Step(False, max(exc.retry_after or POLL_SECONDS, 1.0), str(exc))
    finally:
        client.close()


# --- Captions -----------------------------------------------------------------------------------------------------
def caption_garment(garment_id: int) -> Step:
    garment = GarmentImage.objects.select_related("sku__project__program__team").filter(pk=garment_id).first()
    if garment is None or garment.caption:
        return DONE  # deleted meanwhile, or someone already described it: never overwrite their words
    team = garment.sku.project.program.team
    if not team.captions_enabled:
        return DONE
    account = vision_account(team)
    if account is None:
        logger.info("captions are on for team %s but it has no active ArtEmotion account", team.pk)
        return DONE
    result = run_vision(CAPTION, garment, account, garment.image, "caption")
    if isinstance(result, Step):
        return result
    if result.state == "pending":
        return Step(False, POLL_SECONDS)
    if result.state == "failed" or not result.text:
        logger.warning("caption of garment image %s failed: %s", garment.pk, result.error or "no text")
        return DONE
    save_caption(garment, result.text.strip())
    return DONE


def save_caption(garment: GarmentImage, text: str) -> None:
    """The caption goes where it is empty only: on the image, and on the SKU as its editable description."""
    with transaction.atomic():
        if GarmentImage.objects.filter(pk=garment.pk, caption="").update(caption=text):
            garment.caption = text
        SKU.objects.filter(pk=garment.sku_id, description="").update(description=text)


def garment_description(task: Task) -> str:
    """The garment's words for a prompt: the SKU's description (edited by people, or the first caption), else the
    captions of the task's garment images, front view first."""
    if task.sku.description:
        return task.sku.description.strip()
    images = list(task.garment_images.all()) or list(task.sku.garment_images.all())
    images.sort(key=lambda g: (g.view != "front", g.pk))
    return next((g.caption.strip() for g in images if g.caption.strip()), "")


def prompt_with_garment(task: Task) -> str:
    """Any vendor's prompt with the garment's description appended (when there is one and it is not there yet)."""
    description = garment_description(task)
    prompt = (task.prompt or "").strip()
    if not description or description in prompt:
        return prompt
    return f"{prompt}. Garment: {description}" if prompt else f"Garment: {description}"


# --- NSFW gate ----------------------------------------------------------------------------------------------------
def nsfw_check(output_id: int) -> Step:
    output = TaskOutput.objects.select_related("task__team").filter(pk=output_id).first()
    if output is None or output.nsfw_probability is not None or output.kind != "image":
        return DONE
    team = output.task.team
    if not team.nsfw_gate_enabled:
        return DONE
    account = vision_account(team)
    if account is None:
        logger.warning("output %s stays held: team %s has the NSFW gate on but no active ArtEmotion account",
                       output.pk, team.pk)
        return DONE
    try:
        result = run_vision(NSFW, output, account, output.file, "nsfw")
    except VendorError as exc:
        if not exc.permanent:
            raise
        logger.warning("output %s stays held: the NSFW check was refused (%s)", output.pk, exc)
        return DONE
    if isinstance(result, Step):
        return result
    if result.state == "pending":
        return Step(False, POLL_SECONDS)
    if result.state == "failed":
        logger.warning("output %s stays held: the NSFW check failed (%s)", output.pk, result.error)
        return DONE
    apply_verdict(output, result.nsfw_probability, result.is_nsfw)
    return DONE


def apply_verdict(output: TaskOutput, probability: float | None, is_nsfw: bool | None) -> bool:
    """Record the probability; release the output unless it is unsafe or a manager already decided on it.
    Returns whether the output stays held."""
    if probability is None:
        probability = 1.0 if is_nsfw else 0.0
    unsafe = bool(is_nsfw) or probability >= nsfw_threshold()
    decided = ReviewEvent.objects.filter(output=output, stage=ReviewStage.MODERATION).exists()
    with transaction.atomic():
        fields = {"nsfw_probability": probability}
        if not decided:
            fields["flagged"] = unsafe
        TaskOutput.objects.filter(pk=output.pk).update(**fields)
        for name, value in fields.items():
            setattr(output, name, value)
        if not output.flagged:
            _sync_task(output.task_id)
    return output.flagged


def _sync_task(task_id: int) -> Task:
    task = Task.objects.select_for_update().get(pk=task_id)
    try:
        lifecycle.sync_task_review_status(task)
    except (lifecycle.IllegalTransition, lifecycle.LostRace):
        pass  # the client stage has started; a late release does not reopen it
    return task


# --- Moderation decisions (a manager's) ---------------------------------------------------------------------------
def release(output: TaskOutput, membership, comment: str = "") -> TaskOutput:
    """The manager looked and it is fine: the output joins the review board."""
    return _moderate(output, membership, Decision.RELEASED, comment)


def discard(output: TaskOutput, membership, comment: str = "") -> TaskOutput:
    """The manager looked and it must not be used: it stays out of every board, rejected."""
    return _moderate(output, membership, Decision.DISCARDED, comment)


def _moderate(output: TaskOutput, membership, decision: str, comment: str) -> TaskOutput:
    from studio.roles import REVIEW, can

    from generations.review import ReviewError

    if not can(membership, REVIEW):
        raise ReviewError("Only a manager can release or discard a held output.")
    if not TaskOutput.objects.for_team(membership.team).filter(pk=output.pk).exists():
        raise ReviewError("That output is not in your team's programs.")
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=output.task_id)
        if decision == Decision.RELEASED:
            if not TaskOutput.objects.filter(pk=output.pk, flagged=True).update(flagged=False):
                raise ReviewError("This output is not held.")
            output.flagged = False
        else:
            output.refresh_from_db(fields=["flagged", "review_status"])
            if not output.flagged:
                raise ReviewError("This output is not held.")
            if lifecycle.can_move(lifecycle.OUTPUT_TRANSITIONS, output.review_status, TaskStatus.REVIEW_REJECTED):
                lifecycle.transition_output(output, TaskStatus.REVIEW_REJECTED)
        ReviewEvent.objects.create(task=task, output=output, actor=membership.user, stage=ReviewStage.MODERATION,
                                   decision=decision, comment=(comment or "").strip())
        if decision == Decision.RELEASED:
            synced = _sync_task(task.pk)
            output.refresh_from_db(fields=["review_status"])
            announce.output_released(output, synced)  # on commit, as every announcement
    return output
