"""Hautech (seed 003): workflow runs, polled through their pipelines.

Every call is `POST /v1/workflows/run/{workflowId}` with `{"input": {...}}` answering `{"pipelineId"}`, then
`GET /v1/pipelines/{pipelineId}` until `status` is no longer "pending" ("Wait for completion: Poll the pipeline
status until it finishes"). Four workflows (ids from the document, editable per account in settings["workflows"]):
Prepare image (imageId, label, isHuman → output.preparedImageId), Prepare pose (poseImageId, aspectRatio →
output.poseId), Naomi pipeline (poseId, imageId, label, prompt, enhancePrompt, seed) and Full Naomi (all of it).

- prepare(): uploads and preparation runs, cached as VendorReference rows per account (prepared image per garment
  image, pose per pose and aspect ratio), resumable: a running preparation's pipelineId is kept in the row and the
  engine is asked to come back (PreparationPending) instead of a worker sleeping on it.
- submit(): the one generation run, Naomi when both prepared ids exist, else Full Naomi (cost reasoning in
  choose_path).
- poll(): the pipeline; the engine schedules polls with backoff (never the document example's one-second loop).
"""
from __future__ import annotations

import json
import mimetypes
import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from generations.vendors.base import (AccountSetting, Capabilities, ConfigurationError, GenerationFailed, Option, OperationSpec,
                   OutcomeUnknown, PollResult, RateLimited, RemoteOutput, Submission, ValidationFailed, VendorAdapter,
                   VendorError)
from generations.vendors.hautech.prompts import default_prompt_for_task, garment_label, task_garments
from generations.vendors.hautech.status import Pipeline, output_images, parse_pipeline

WORKFLOWS = {
    "full_naomi": "dc1bd611-effc-443c-978a-88593553588d",
    "naomi": "b8bfacd4-e6e8-401b-91ce-acc01f1f2b75",
    "prepare_image": "31789314-f1c5-4c9f-9c41-0b6708015788",
    "prepare_pose": "b4aa5223-8e67-4e62-9b70-1672d1bc43c9",
}
# "Aspect ratio examples" (seed 003), in the document's order: ratio → (width, height).
ASPECT_RATIOS = {
    "1:1": (1024, 1024), "9:7": (1152, 896), "7:9": (896, 1152), "7:10": (832, 1200), "10:7": (1200, 832),
    "19:13": (1216, 832), "13:19": (832, 1216), "7:4": (1344, 768), "4:7": (768, 1344), "12:5": (1536, 640),
    "5:12": (640, 1536),
}
DEFAULT_RATIO = "7:10"  # the document's example: const size = '7:10'
# The upload is NOT described by the document (only "See guides#upload-image for the three-step upload process").
# These defaults are the most plausible reading; every one can be changed per account in settings["upload"].
UPLOAD_DEFAULTS = {"initialize_path": "/v1/images/upload/initialize", "finalize_path": "/v1/images/upload/finalize",
                   "send_method": "PUT", "send_as": "multipart", "file_field": "file", "url_field": "uploadUrl",
                   "token_field": "fileToken", "image_path": "/v1/images/{id}"}
# The document publishes no prices, and does not say whether preparation runs cost credits. Work is therefore counted
# in workflow runs; Full Naomi "Creates a pose from a pose image, prepares apparel, and runs the Naomi pipeline", the
# work of three runs in one. Editable per account: settings["run_costs"] (e.g. free preparation: 0).
RUN_COSTS = {"prepare_image": 1, "prepare_pose": 1, "naomi": 1, "full_naomi": 3}
KIND_UPLOAD, KIND_PREPARED, KIND_POSE = "hautech_upload", "hautech_prepared_image", "hautech_pose"
PREPARE_POLL_SECONDS = 3.0
STALE_CLAIM = timedelta(minutes=5)  # a claim whose worker died before saving a pipelineId is taken over after this


@contextmanager
def upload_step(step: str, target: str):
    """Name the step of the three-step upload that failed, with Hautech's answer, in the task's message."""
    try:
        yield
    except VendorError as exc:
        exc.args = (f"Hautech image upload failed at the {step} step ({target}): {exc.args[0]}", *exc.args[1:])
        raise


class PreparationPending(RateLimited):
    """Not an HTTP 429: a preparation run (or an upload by another worker) is still going. The engine treats
    RateLimited as "advance again after retry_after seconds" without spending an attempt — the resumable prepare
    this adapter needs. The pending pipelineId lives in VendorReference.raw, so nothing is run twice."""


@dataclass(frozen=True)
class Plan:
    workflow: str  # "naomi" or "full_naomi"
    prepare_image: bool = False
    prepare_pose: bool = False


def choose_path(image: str, pose: str, image_users: int, pose_users: int, costs: dict) -> Plan:
    """The cheapest way to make this generation. `image`/`pose` are "ready", "pending" or "missing"; `*_users` is
    how many not-yet-submitted tasks of the account need that preparation, so its cost is shared among them.
    Preparing pays off when anything is already prepared or when several tasks reuse it; on a tie Full Naomi wins
    (one run instead of several)."""
    prepared_path = costs["naomi"]
    if image == "missing":
        prepared_path += costs["prepare_image"] / max(1, image_users)
    if pose == "missing":
        prepared_path += costs["prepare_pose"] / max(1, pose_users)
    if prepared_path < costs["full_naomi"]:
        return Plan("naomi", prepare_image=image == "missing", prepare_pose=pose == "missing")
    return Plan("full_naomi")


OPTIONS = (
    Option("aspect_ratio", "Aspect ratio", "choice", default=DEFAULT_RATIO,
           choices=tuple((r, f"{r} ({w}×{h})") for r, (w, h) in ASPECT_RATIOS.items())),
    Option("seed", "Seed", "int", min=0, max=2**31 - 1,
           help="Same seed and inputs give the same image. Left empty, a seed is drawn and kept on the task."),
    Option("enhance_prompt", "Enhance prompt", "bool", default=True, help="Let Hautech improve the prompt"),
    Option("label", "Garment label", "text", help="Defaults to the garment's caption or the SKU description"),
)


class HautechAdapter(VendorAdapter):
    vendor = "hautech"
    suggests_prompts = True  # Hautech writes its prompt from the SKU (seed 003, "Prompt examples"; prompts.py)

    @classmethod
    def suggested_prompt(cls, sku, *, pose=None, style=None, model_image=None) -> str:
        from generations.vendors.hautech.prompts import default_prompt_for_sku

        return default_prompt_for_sku(sku, pose=pose, style=style, model_image=model_image)
    label = "Hautech"
    default_base_url = "https://api.hautech.ai"
    poll_interval = 5.0
    # No run listing exists (003 documents only POST /v1/workflows/run/{id} and GET /v1/pipelines/{id}): a lost answer
    # to a paid run is held for a person (runs.StepRun.hold_unknown). find_submission reads only our own journal.
    can_reconcile = False
    dashboard_url = "https://app.hautech.ai"  # not in document 003, which names only api.hautech.ai
    # The three-step upload is only referenced by 003 ("See guides#upload-image"), so every part of our reading of it
    # is a field on the account page, its default shown, for a team to correct without a release.
    account_settings = tuple(
        AccountSetting(key, label, UPLOAD_DEFAULTS[key], group="upload", choices=choices, help=help_text)
        for key, label, choices, help_text in (
            ("initialize_path", "Upload step 1: initialize path", (), "POST; answers the upload URL."),
            ("url_field", "Upload URL field in that answer", (), ""),
            ("send_method", "Upload step 2: method", (("PUT", "PUT"), ("POST", "POST")), "Sent to the upload URL."),
            ("send_as", "Upload step 2: body", (("multipart", "Multipart form"), ("raw", "Raw bytes")), ""),
            ("file_field", "Multipart file field name", (), "Only for a multipart body."),
            ("token_field", "File token field", (), "In the step 2 (or step 1) answer, sent to finalize."),
            ("finalize_path", "Upload step 3: finalize path", (), "POST; answers the image id."),
            ("image_path", "Image URL path", (), "GET, with {id}: an output given only as an image id."),
        ))
    capabilities = Capabilities({
        "try_on": OperationSpec("try_on", options=OPTIONS, needs_garment=True, accepts_pose=True,
                                help="Naomi: the garment on an AI model in the chosen pose (a pose with a "
                                     "reference image is required)."),
    })

    def auth_headers(self) -> dict[str, str]:
        if not self.account.has_api_key:
            raise ConfigurationError("the Hautech account has no API key")
        return {"Authorization": f"Bearer {self.account.reveal_api_key()}"}

    def setting(self, group: str, name: str, defaults: dict):
        return (self.account.settings.get(group) or {}).get(name) or defaults[name]

    # check_balance stays the base's "unknown": the document has no balance endpoint, so an account paused by a 402
    # is resumed by a person, not by the sweeper.
    def estimate(self, operation: str, options: dict, num_outputs: int) -> Decimal:
        # No prices in the document: one unit per generation unless the account says otherwise.
        self.capabilities.spec(operation)
        return Decimal(str(self.account.settings.get("credits_per_generation", 1))) * num_outputs

    # --- what a task asks for ---------------------------------------------------------------------------------------
    def ingredients(self, task):
        garments = task_garments(task)
        if not garments:
            raise ValidationFailed("Hautech needs a garment image")
        if task.pose is None or not task.pose.reference_image:
            raise ValidationFailed("Hautech needs a pose with a reference image (poseImageId)")
        ratio = task.options.get("aspect_ratio") or DEFAULT_RATIO
        if ratio not in ASPECT_RATIOS:
            raise ValidationFailed(f"aspect ratio {ratio} is not one Hautech lists")
        return garments[0], task.pose, ratio

    @staticmethod
    def seed_for(task) -> int:
        """The user's seed, else the one drawn for this round (kept in vendor_state, which the engine saves with the
        attempt, before the paid call). The document's example draws Math.floor(Math.random() * 1e6)."""
        if task.options.get("seed") is not None:
            return int(task.options["seed"])
        if task.vendor_state.get("seed") is None:
            task.vendor_state["seed"] = random.randrange(1_000_000)
        return int(task.vendor_state["seed"])

    def common_input(self, task, garment) -> dict:
        fields = {"label": task.options.get("label") or garment_label(garment),
                  "prompt": task.prompt.strip() or default_prompt_for_task(task),
                  "enhancePrompt": task.options.get("enhance_prompt", True) is not False, "seed": self.seed_for(task)}
        return {k: v for k, v in fields.items() if v != ""}

    @staticmethod
    def is_human(garment) -> bool:
        # "isHuman: Optional boolean indicating if the subject is human" (Prepare image, Full Naomi). Our reading:
        # the clothing photo shows it worn by a person.
        return garment.presentation == "on_model"

    # --- prepare (unpaid, idempotent, resumable) ---------------------------------------------------------------------
    def prepare(self, task) -> None:
        garment, pose, ratio = self.ingredients(task)
        self.seed_for(task)
        image, pose_ref = self.reference(KIND_PREPARED, garment), self.reference(KIND_POSE, pose, ratio)
        states = (self.state_of(image), self.state_of(pose_ref))
        plan = Plan("full_naomi") if "unknown" in states else choose_path(
            *states, self.users_of_garment(task, garment), self.users_of_pose(task, pose, ratio), self.costs())
        pending = []
        if plan.workflow == "full_naomi":
            self.uploaded_id(garment)
            self.uploaded_id(pose)
            return
        if plan.prepare_image or self.state_of(image) == "pending":
            pending.append(self.prepared(KIND_PREPARED, garment, "", "prepare_image", "preparedImageId",
                                         lambda: {"imageId": self.uploaded_id(garment), "label":
                                                  task.options.get("label") or garment_label(garment),
                                                  "isHuman": self.is_human(garment)}))
        if plan.prepare_pose or self.state_of(pose_ref) == "pending":
            pending.append(self.prepared(KIND_POSE, pose, ratio, "prepare_pose", "poseId",
                                         lambda: {"poseImageId": self.uploaded_id(pose), "aspectRatio": ratio}))
        if any(p is None for p in pending):
            raise PreparationPending("Hautech is still preparing the garment or pose", retry_after=self.wait())

    def costs(self) -> dict:
        return {**RUN_COSTS, **(self.account.settings.get("run_costs") or {})}

    def wait(self) -> float:
        return float(self.account.settings.get("prepare_poll_seconds", PREPARE_POLL_SECONDS))

    def users_of_garment(self, task, garment) -> int:
        from generations.models import Task, TaskStatus

        return 1 + (Task.objects.filter(account=self.account, status=TaskStatus.TASK_CREATED, operation="try_on",
                                        garment_images=garment).exclude(pk=task.pk).count())

    def users_of_pose(self, task, pose, ratio) -> int:
        from generations.models import Task, TaskStatus

        others = (Task.objects.filter(account=self.account, status=TaskStatus.TASK_CREATED, operation="try_on",
                                      pose=pose).exclude(pk=task.pk).values_list("options", flat=True))
        return 1 + sum(1 for options in others if ((options or {}).get("aspect_ratio") or DEFAULT_RATIO) == ratio)

    # --- the VendorReference cache -----------------------------------------------------------------------------------
    def reference(self, kind: str, obj, key: str = ""):
        from generations.models import VendorReference

        return VendorReference.objects.filter(account=self.account, kind=kind, key=key, object_id=obj.pk,
                                              content_type=ContentType.objects.get_for_model(obj)).first()

    @staticmethod
    def state_of(ref) -> str:
        if ref is not None and not ref.vendor_id and ref.raw.get("outcome_unknown"):
            return "unknown"  # a preparation run whose answer was lost: never started again automatically
        return "missing" if ref is None else ("ready" if ref.vendor_id else "pending")

    def claim(self, kind: str, obj, key: str = ""):
        """(row, ours): a row with a vendor_id is done; a new or stale claim is ours to fill; else someone else's."""
        from generations.models import VendorReference

        now = timezone.now()
        ct = ContentType.objects.get_for_model(obj)
        try:
            with transaction.atomic():
                ref = VendorReference.objects.create(account=self.account, kind=kind, content_type=ct,
                                                     object_id=obj.pk, key=key, vendor_id="",
                                                     raw={"claimed_at": now.isoformat()})
                return ref, True
        except IntegrityError:
            ref = VendorReference.objects.get(account=self.account, kind=kind, content_type=ct, object_id=obj.pk,
                                              key=key)
        if ref.vendor_id or ref.raw.get("pipelineId") or ref.raw.get("outcome_unknown"):
            return ref, False
        claimed_at = ref.raw.get("claimed_at", "")
        if claimed_at and datetime.fromisoformat(claimed_at) < now - STALE_CLAIM:
            taken = VendorReference.objects.filter(pk=ref.pk, vendor_id="", raw__claimed_at=claimed_at).update(
                raw={"claimed_at": now.isoformat()})
            return ref, taken == 1
        return ref, False

    def uploaded_id(self, obj) -> str:
        """The Hautech image id for a garment image or a pose's reference image, uploaded once per account."""
        ref, ours = self.claim(KIND_UPLOAD, obj)
        if ref.vendor_id:
            return ref.vendor_id
        if not ours:
            raise PreparationPending("another worker is uploading this image", retry_after=self.wait())
        field = obj.image if hasattr(obj, "image") else obj.reference_image
        try:
            with field.open("rb") as fh:
                data = fh.read()
            image_id = self.upload_image(data, field.name.rsplit("/", 1)[-1])
        except BaseException:
            ref.delete()
            raise
        ref.vendor_id, ref.raw = image_id, {"uploaded_at": timezone.now().isoformat()}
        ref.save(update_fields=["vendor_id", "raw"])
        return image_id

    def prepared(self, kind: str, obj, key: str, workflow: str, output_field: str, build_input) -> str | None:
        """The prepared id, starting the preparation run if nobody has; None while its pipeline is pending."""
        ref, ours = self.claim(kind, obj, key)
        if ref.vendor_id:
            return ref.vendor_id
        if ours:
            try:
                pipeline_id = self.run(workflow, build_input())
            except OutcomeUnknown as exc:
                # Paid, perhaps: never run it again by itself. The reference stays, marked, and this garment or
                # pose takes the Full Naomi path from now on (state_of: "unknown"), which needs no preparation.
                ref.raw = {"outcome_unknown": True, "workflow": workflow, "error": str(exc)[:300],
                           "sent_at": timezone.now().isoformat()}
                ref.save(update_fields=["raw"])
                raise PreparationPending(f"the answer to Hautech's {workflow.replace('_', ' ')} run was lost; "
                                         f"this try-on goes the Full Naomi way instead", retry_after=0.5) from None
            except BaseException:
                ref.delete()
                raise
            ref.raw = {"pipelineId": pipeline_id, "workflow": workflow, "started_at": timezone.now().isoformat()}
            ref.save(update_fields=["raw"])
            return None
        if not ref.raw.get("pipelineId"):
            return None  # another worker is starting it
        pipeline = self.pipeline(ref.raw["pipelineId"])
        if pipeline.state == "failed":
            ref.delete()  # a later task may try again; this one fails with Hautech's message
            raise GenerationFailed(f"Hautech could not {workflow.replace('_', ' ')}: {pipeline.error}")
        if pipeline.state != "completed":
            return None
        prepared_id = str((pipeline.output or {}).get(output_field) or "")
        if not prepared_id:
            ref.delete()
            raise GenerationFailed(f"Hautech finished {workflow.replace('_', ' ')} without {output_field}")
        ref.vendor_id, ref.raw = prepared_id, {**ref.raw, "output": pipeline.output}
        ref.save(update_fields=["vendor_id", "raw"])
        return prepared_id

    # --- HTTP -------------------------------------------------------------------------------------------------------
    def api(self, method: str, path: str, **kwargs):
        """One API call. The document shows no error body; Hautech's API answers NestJS-style
        {"statusCode", "message": str | [str], "error": "Bad Request"}, whose `message` is the useful part."""
        try:
            return self.client.json(method, path, **kwargs)
        except VendorError as exc:
            try:
                message = json.loads(exc.response_text or "null").get("message")
            except (ValueError, AttributeError):
                message = None
            if isinstance(message, list):
                message = "; ".join(str(m) for m in message)
            if isinstance(message, str) and message.strip():
                exc.args = (message.strip()[:500], *exc.args[1:])
            raise

    def upload_image(self, data: bytes, filename: str) -> str:
        """Bytes in, Hautech image id out. The WHOLE upload lives here because the document only refers to it ("See
        guides#upload-image for the three-step upload process", Prepare Image Pipeline) without describing it.
        Reading: (1) POST initialize → {"uploadUrl"}; (2) send the file to that URL (multipart field "file", no
        bearer token: the URL carries its own authorisation) → {"fileToken"}; (3) POST finalize {"fileToken"} →
        {"id"}. Paths, method, encoding and field names come from settings["upload"] (UPLOAD_DEFAULTS). A token
        handed out by step 1 instead of step 2 is carried to step 3 as well."""
        from generations.vendors.http import VendorClient

        opt = {**UPLOAD_DEFAULTS, **(self.account.settings.get("upload") or {})}
        with upload_step("initialize", opt["initialize_path"]):
            started = self.api("POST", opt["initialize_path"], json={}) or {}
            upload_url = str(started.get(opt["url_field"]) or started.get("url") or "")
            if not upload_url:
                raise GenerationFailed(f"Hautech's answer has no {opt['url_field']!r} (answer fields: "
                                       f"{', '.join(sorted(started)) or 'none'})")
        parts = urlsplit(upload_url)
        sender = VendorClient(f"{parts.scheme}://{parts.netloc}") if parts.netloc else self.client
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        if opt["send_as"] == "multipart":
            body = {"files": {opt["file_field"]: (filename, data, content_type)}}
        else:
            body = {"content": data, "headers": {"Content-Type": content_type}}
        try:
            with upload_step(opt["send_method"], "the upload URL"):
                sent = sender.request(opt["send_method"], upload_url, **body)
        finally:
            if sender is not self.client:
                sender.close()
        try:
            answer = sent.json() if sent.content else {}
        except ValueError:
            answer = {}  # storage services often answer an upload with an empty or XML body
        token_field = opt["token_field"]
        token = (answer if isinstance(answer, dict) else {}).get(token_field) or started.get(token_field)
        with upload_step("finalize", opt["finalize_path"]):
            finished = self.api("POST", opt["finalize_path"], json={token_field: token}) or {}
            image_id = finished.get("id") or finished.get("imageId")
            if not image_id:
                raise GenerationFailed(f"Hautech finalized the upload without an image id (answer fields: "
                                       f"{', '.join(sorted(finished)) or 'none'})")
        return str(image_id)

    def run(self, workflow: str, inputs: dict) -> str:
        workflow_id = self.setting("workflows", workflow, WORKFLOWS)
        answer = self.api("POST", f"/v1/workflows/run/{workflow_id}", json={"input": inputs})
        pipeline_id = answer.get("pipelineId") if isinstance(answer, dict) else None
        if not pipeline_id:
            raise GenerationFailed(f"Hautech accepted the {workflow} run without a pipelineId")
        return str(pipeline_id)

    def pipeline(self, pipeline_id: str) -> Pipeline:
        return parse_pipeline(self.api("GET", f"/v1/pipelines/{pipeline_id}"))

    # --- submit: the one paid run -------------------------------------------------------------------------------------
    def submit(self, task) -> Submission:
        garment, pose, ratio = self.ingredients(task)
        image, pose_ref = self.reference(KIND_PREPARED, garment), self.reference(KIND_POSE, pose, ratio)
        inputs = self.common_input(task, garment)
        if image is not None and image.vendor_id and pose_ref is not None and pose_ref.vendor_id:
            workflow, inputs = "naomi", {"poseId": pose_ref.vendor_id, "imageId": image.vendor_id, **inputs}
        else:
            workflow, inputs = "full_naomi", {"poseImageId": self.uploaded_id(pose), "aspectRatio": ratio,
                                              "imageId": self.uploaded_id(garment), "isHuman": self.is_human(garment),
                                              **inputs}
        pipeline_id = self.run(workflow, inputs)
        raw = {"pipelineId": pipeline_id, "workflow": workflow, "input": inputs, "attempt_key": task.attempt_key}
        self.journal(task, raw)
        return Submission(vendor_task_id=pipeline_id, raw=raw)

    def journal(self, task, entry: dict) -> None:
        """Our own record of the paid run's answer, committed the moment it arrives: a worker that dies before the
        engine saves the pipelineId leaves it here for find_submission."""
        from generations.models import Task

        task.vendor_state["hautech_submit"] = entry
        Task.objects.filter(pk=task.pk).update(vendor_state=task.vendor_state)

    def find_submission(self, task) -> Submission | None:
        """Only our journal: a pipelineId answered for this very attempt. Anything else is unknown to everyone."""
        from generations.models import Task

        state = Task.objects.filter(pk=task.pk).values_list("vendor_state", flat=True).first() or {}
        entry = state.get("hautech_submit") or {}
        if entry.get("attempt_key") == task.attempt_key and task.attempt_key and entry.get("pipelineId"):
            return Submission(vendor_task_id=entry["pipelineId"], raw=entry)
        return None

    # --- poll ---------------------------------------------------------------------------------------------------------
    def poll(self, task) -> PollResult:
        pipeline = self.pipeline(task.vendor_task_id)
        if pipeline.state != "completed":
            return PollResult(state=pipeline.state, vendor_status=pipeline.status, error=pipeline.error,
                              raw=pipeline.raw)
        images = output_images(pipeline.output)
        outputs = [RemoteOutput(result_id=image_id or urlsplit(url).path[-300:], url=url or self.image_url(image_id),
                                raw={"imageId": image_id}) for image_id, url in images]
        if not outputs:
            output = pipeline.output
            keys = ", ".join(sorted(output)) if isinstance(output, dict) else type(output).__name__
            return PollResult(state="failed", vendor_status=pipeline.status, raw=pipeline.raw,
                              error=f"Hautech finished the pipeline without an image in its output ({keys})")
        self.keep_prepared_ids(task, pipeline.output)
        return PollResult(state="completed", vendor_status=pipeline.status, outputs=outputs, raw=pipeline.raw)

    def image_url(self, image_id: str) -> str:
        """Only an image id in the output: ask for its URL (settings["upload"]["image_path"])."""
        path = self.setting("upload", "image_path", UPLOAD_DEFAULTS).format(id=image_id)
        url = self.api("GET", path).get("url")
        if not url:
            raise GenerationFailed(f"Hautech gave no URL for image {image_id}")
        return url

    def keep_prepared_ids(self, task, output) -> None:
        """The document does not say Full Naomi returns its intermediate ids; if it does (under the names the
        preparation workflows use), cache them so the next task with this garment and pose runs only Naomi."""
        if (task.vendor_state.get("submission") or {}).get("workflow") != "full_naomi" or not isinstance(output, dict):
            return
        try:
            garment, pose, ratio = self.ingredients(task)
        except ValidationFailed:
            return  # the garment or pose changed since the run: nothing to cache, the output still counts
        for kind, obj, key, field in ((KIND_PREPARED, garment, "", "preparedImageId"),
                                      (KIND_POSE, pose, ratio, "poseId")):
            if output.get(field) and self.state_of(self.reference(kind, obj, key)) == "missing":
                ref, ours = self.claim(kind, obj, key)
                if ours:
                    ref.vendor_id, ref.raw = str(output[field]), {"from": "full_naomi", "pipelineId":
                                                                  task.vendor_task_id}
                    ref.save(update_fields=["vendor_id", "raw"])
