"""Huhu Studio (seeds 000 overview and 001 reference): try-on through Huhu's own Program > Project > SKU > Task
objects, plus faces, model images, poses, video and upscale.

Try-on, end to end (001 §7 Workflow D, §8.3): prepare links/creates the program and project, uploads the garment
and model images once each, brings the SKU into being from a zip and creates Huhu's task(s) — all unpaid, all kept
as VendorReferences (huhu_catalog.py). submit sets model_image on each Huhu task (PUT /task) and makes the ONE paid
call, POST /task/generate. Huhu's task ids are on record before that call, so after a crash find_submission asks
GET /task whether the task moved past "Task created" instead of paying twice. Polling is batched: one GET /task per
program reports on every running task (001 §5.21); the detail call (GET /task?project_id&sku_id&task_id) is made only
for completed tasks, and only when the list's output_image_url cannot stand for them (several images, a regenerate).

Payloads, parsing, the credit table and the status vocabularies are in huhu_payloads.py.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import time
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from PIL import Image

from generations.vendors.huhu import catalog as huhu_catalog
from generations.vendors.huhu import payloads as p
from generations.vendors.base import (Balance, Capabilities, ConfigurationError, Contribution, Forbidden, NotFound, OperationSpec, Option,
                   PollResult, RateLimited, Submission, ValidationFailed, VendorAdapter)
from generations.vendors.http import VendorClient
from generations.vendors.huhu.catalog import SKU_OPERATIONS, HuhuResources, ref

logger = logging.getLogger(__name__)

PRODUCTION_URL, GAMMA_URL, BASE_URL_PRESETS = p.PRODUCTION_URL, p.GAMMA_URL, p.BASE_URL_PRESETS
# 001 §10 "429/500: Exponential backoff starting at 5s": the wait when a 429 carries no Retry-After header.
RATE_LIMIT_WAIT = 5.0
# The pace: 001 §5.16 GET /model/image "Call every 5-10 seconds", §10 "Poll /task every 5-10 seconds (not faster)",
# 000 "Poll gently … every 5-10 seconds, not faster". We read it for every endpoint: the same request (method, path,
# parameters) is never sent again within this many seconds. account.settings["poll_min_gap_seconds"] may change it
# (the benchmark compresses Huhu's timing tenfold); the documents say nothing of calls to different requests.
MIN_CALL_GAP = 5.0
CLOCK_SKEW = timedelta(minutes=2)


# The ids a call names, most specific first: a 403 says which of them is "outside your team" (000 Authentication).
RESOURCE_IDS = (("task_id", "task"), ("task_ids", "task"), ("source_task_id", "task"), ("request_id", "request"),
                ("sku_id", "SKU"), ("sku_ids", "SKU"), ("model_id", "model"), ("project_id", "project"),
                ("program_id", "program"))


def forbidden_resource(path: str, kwargs: dict) -> str:
    fields = {**(kwargs.get("params") or {}), **(kwargs.get("json") or {})}
    named = [f"{label} {', '.join(map(str, v)) if isinstance(v, list) else v}"
             for name, label in RESOURCE_IDS if (v := fields.get(name))]
    return ", ".join(named) if named else path


PACE_MARGIN = 0.1
_SENT: dict[str, float] = {}  # request key → when this process last sent it (see HuhuClient._pace)
_SENT_LOCK = threading.Lock()


class HuhuClient(VendorClient):
    def __init__(self, base_url: str, *, min_gap: float = MIN_CALL_GAP, account_id: int | None = None, **kwargs):
        super().__init__(base_url, **kwargs)
        self.min_gap, self.account_id = min_gap, account_id

    def _pace(self, method: str, path: str, kwargs: dict) -> None:
        """The same request of the same account again within min_gap seconds, from anywhere in this process, waits
        for the rest of the gap first. Across processes the engine's schedule keeps the gap (poll_timing floors every
        poll delay at min_poll_gap; the shared GET /task answer is spaced by it too)."""
        key = json.dumps([str(self._http.base_url), self.account_id, method, path, kwargs.get("params"),
                          kwargs.get("json")], sort_keys=True, default=str)
        key = hashlib.sha256(key.encode()).hexdigest()  # bodies can be images in base64: keep only a digest
        with _SENT_LOCK:
            now = time.time()
            # + PACE_MARGIN: the gap is Huhu's to measure, between arrivals; ours is between departures.
            wait = _SENT.get(key, float("-inf")) + self.min_gap + PACE_MARGIN - now
            _SENT[key] = now + max(0.0, wait)  # reserved: a concurrent thread waits after this one
            if len(_SENT) > 10_000:
                for old in [k for k, at in _SENT.items() if at < now - 60]:
                    del _SENT[old]
        if wait > 0:
            huhu_catalog.pause(wait)

    def request(self, method, path, **kwargs):
        if self.min_gap > 0:
            self._pace(method, path, kwargs)
        try:
            return super().request(method, path, **kwargs)
        except RateLimited as exc:
            if exc.retry_after is None:
                exc.retry_after = RATE_LIMIT_WAIT
            raise
        except Forbidden as exc:
            # 000: "Requests to resources outside your team return 403. Revoked or invalid keys return 401." The key
            # works; the resource is not the team's. Name it, so the person knows what to fix (the account's pinned
            # program, a program another team stopped sharing …), and leave the account active.
            exc.args = (f"Huhu says {forbidden_resource(path, kwargs)} is outside this key's team ({method} {path}: "
                        f"{exc.args[0]})", *exc.args[1:])
            raise

    def put(self, path: str, **kwargs):
        return self.json("PUT", path, **kwargs)


PAID_PATHS = ("/task/generate", "/video", "/upscale", "/model/face", "/model/image", "/model/pose")


class HuhuAdapter(HuhuResources, VendorAdapter):
    vendor = "huhu"
    # Huhu's pieces on the core pages (read by the registry; the core imports nothing from here).
    urls = "generations.vendors.huhu.urls"
    contributions = (
        Contribution("sku", "panel", "sku_huhu", "Huhu garment classification"),
        Contribution("model_gallery", "action", "huhu_import_models", "Import models from Huhu", carry_filters=True,
                     title="Copies Huhu's gallery (filtered like this page) into {obj.name}"),
        Contribution("model_gallery", "link", "huhu_model_generate", "Generate faces / model images / poses with Huhu"),
        Contribution("model", "link", "huhu_model_generate", "Generate faces / model images / poses with Huhu",
                     url_arg="program.pk", query="?model={obj.pk}"),
        Contribution("pose_library", "action", "huhu_sync_poses", "Sync pose library from Huhu"),
        Contribution("account", "action", "account_sync_credits", "Sync credit history", role="manage_accounts"),
    )
    label = "Huhu Studio"
    default_base_url = PRODUCTION_URL
    base_url_presets = BASE_URL_PRESETS  # generations/accounts.py offers these on the account page
    can_reconcile = True
    batch_polling = True
    balance_before_submit = True  # 000: GET /metering/plan "Call this before generation requests"
    poll_interval = 5.0  # 001 §10 "Poll /task every 5-10 seconds (not faster)"; account.settings can change it
    capabilities = Capabilities({
        "try_on": OperationSpec("try_on", outputs_max=4, needs_garment=True, needs_model_image=True,
                                help="POST /task/generate: 1-4 images per view; the prompt steers fit details "
                                     "(\"slim fit, tucked in\", 001 §8.5)."),
        "upscale": OperationSpec("upscale", options=(
            Option("upscale_factor", "Upscale factor", "float", min=1, max=4, default=2.0,
                   help="Output pixels may not exceed 18 million (input pixels × factor²)."),),
            outputs_max=4, accepts_prompt=False, needs_parent_output=True, help="2 credits per image"),
        "video": OperationSpec("video", options=(
            Option("video_length", "Length", "choice", choices=(("5", "5 seconds (25 credits)"),
                                                                 ("10", "10 seconds (40 credits)")), default="5"),),
            needs_parent_output=True, output_kind="video", help="The prompt is the motion prompt."),
        "face": OperationSpec("face", options=(
            Option("mode", "Mode", "choice", choices=(("variety", "Variety (diverse)"),
                                                      ("fidelity", "Fidelity (precise)")), default="variety"),),
            outputs_max=4, help="Prompt template: Headshot front facing portrait of a {Age} {Race} …"),
        "model_image": OperationSpec("model_image", outputs_max=8,
                                     help="From a prompt; the model image, if chosen, is the reference."),
        "pose": OperationSpec("pose", needs_model_image=True, accepts_pose=True,
                              help="The chosen model image in the pose's prompt (POST /model/pose)."),
    })

    def __init__(self, account, client=None):
        super().__init__(account, client=client)
        interval = (account.settings or {}).get("poll_interval_seconds")
        if interval:
            self.poll_interval = float(interval)
        # poll_timing.delay never schedules the next poll of a request sooner than this (see MIN_CALL_GAP).
        self.min_poll_gap = float((account.settings or {}).get("poll_min_gap_seconds",
                                                                max(self.poll_interval, MIN_CALL_GAP)))

    def auth_headers(self) -> dict[str, str]:
        key = self.account.reveal_api_key()
        if not key:
            raise ConfigurationError(f"the Huhu account {self.account.name!r} has no API key")
        return {"Authorization": f"Bearer {key}"}  # 001 §3

    @property
    def client(self):
        if self._client is None:
            self._client = HuhuClient(self.base_url, headers=self.auth_headers(), min_gap=self.min_poll_gap,
                                      account_id=self.account.pk, secrets=self.account.own_secrets(),
                                      before_send=self._before_send)
        return self._client

    # --- money ----------------------------------------------------------------------------------------------------
    def estimate(self, operation: str, options: dict, num_outputs: int) -> Decimal:
        cleaned = self.capabilities.clean(operation, options or {}, num_outputs)
        return p.estimate_credits(operation, cleaned, num_outputs)

    def check_balance(self) -> Balance:
        """GET /metering/plan (001 §5.1): credits and concurrent_requests."""
        # program_id "resolves the owner team for shared programs" (001 §5.1): the program the account is pinned to.
        pinned = (self.account.settings or {}).get("program_id")
        body = self.client.get("/metering/plan", params={"program_id": str(pinned)} if pinned else None)
        credits = body.get("credits")
        concurrency = body.get("concurrent_requests")
        return Balance(credits=Decimal(str(credits)) if credits is not None else None,
                       concurrency=int(concurrency) if concurrency is not None else None, raw=body)

    def credits_needed(self, task) -> Decimal:
        """The estimate (001 §10 "cost = num_output_images × credit_per_image"), once per Huhu task for a try-on:
        a front and a back view are two generations."""
        cost = p.estimate_credits(task.operation, self._options(task), task.num_outputs)
        return cost * max(1, len(self.task_refs(task))) if task.operation == "try_on" else cost

    def _options(self, task) -> dict:
        return self.capabilities.clean(task.operation, task.options or {}, task.num_outputs)

    # --- prepare (unpaid, idempotent) -----------------------------------------------------------------------------
    def prepare(self, task) -> None:
        if task.operation == "try_on" and task.model_image_id and (refs := self.task_refs(task)):
            return self._note_slots(task, len(refs))  # the rest is done; tasks waiting for a slot come back often
        options = self._options(task)
        if task.operation == "try_on" and task.model_image_id is None:
            raise ValidationFailed("Huhu try-on needs a model image (001 §5.24: model_image is required)")
        if task.operation == "upscale":
            self._upscale_source(task, options)  # the 18M pixel rule, before anything is uploaded or paid
        program_id, project_id = self.ids_for(task.sku)
        if task.model_image_id:
            self.model_image_id(task.model_image, program_id, project_id)
        if task.operation in SKU_OPERATIONS:
            # The garment images go up once, in the SKU zip (001 §5.13); their Huhu image ids come back with the
            # classification (GET /sku detail, read_classification). No base64 copy: nothing would use its id.
            self.ensure_skus(task, program_id, project_id)
        if task.operation == "try_on":
            if back := self._back_image(task):
                self.model_image_id(back, program_id, project_id)
            self._note_slots(task, len(self.ensure_tasks(task, program_id, project_id)))

    def _note_slots(self, task, jobs: int) -> None:
        """One Huhu task per view, and each is a generation job: concurrent_requests is the "max parallel generation
        jobs" (001 §5.1), so a front+back try-on takes two of them. limits.py counts vendor_state["slots"]."""
        if (task.vendor_state or {}).get("slots") != jobs:
            from generations.models import Task

            task.vendor_state = {**(task.vendor_state or {}), "slots": jobs}
            Task.objects.filter(pk=task.pk).update(vendor_state=task.vendor_state)

    @staticmethod
    def _back_image(task):
        if "back" not in HuhuResources.wanted_views(task):
            return None
        return task.model_image.fashion_model.images.filter(view_type="back_facing").first()

    # --- submit: the one paid call ---------------------------------------------------------------------------------
    def submit(self, task) -> Submission:
        options = self._options(task)
        return getattr(self, f"_submit_{task.operation}")(task, options)

    def _submit_try_on(self, task, options) -> Submission:
        program_id, project_id = self.ids_for(task.sku)
        refs = self.ensure_tasks(task, program_id, project_id)
        images = {"front": self.model_image_id(task.model_image, program_id, project_id)}
        back = self._back_image(task)
        images["back"] = self.model_image_id(back, program_id, project_id) if back else images["front"]
        model = ref(self.account, task.model_image.fashion_model, "huhu_model")
        for r in refs:  # 001 §5.24: "Required — tasks without model_image will fail generation."
            body = {"program_id": program_id, "project_id": project_id, "task_id": r.vendor_id,
                    "sku_id": r.raw["sku_id"], "model_image": images[r.key]}
            if model:
                body["model_id"] = model.vendor_id
            self.client.put("/task", json=body)
        ids = [r.vendor_id for r in refs]
        state = {"task_ids": ids, "program_id": program_id, "project_id": project_id,
                 "sku_id": refs[0].raw["sku_id"], "round": task.round}
        if task.round > 1:  # a regenerate adds outputs to the same Huhu task (001 §8.7): remember where it stood
            state["baseline"] = self._baseline(program_id, project_id, refs)
        self._remember(task, state)
        self.client.post("/task/generate", json=p.generation_payload(program_id, project_id, ids, task.num_outputs,
                                                                     task.prompt))
        return Submission(vendor_task_id=ids[0], raw=state,
                          charged_credits=p.estimate_credits("try_on", options, task.num_outputs) * len(ids))

    def is_paid_request(self, method: str, path: str) -> bool:
        """The calls that cost credits (000 "Credit costs"): generation, video, upscale and model generation.
        POST /task and PUT /task inside a try-on's submit are free groundwork."""
        return method == "POST" and path.rstrip("/").endswith(PAID_PATHS)

    def _remember(self, task, state: dict) -> None:
        """Huhu's ids into vendor_state BEFORE the paid call (the engine keeps the in-memory dict it merges into)."""
        from generations.models import Task

        task.vendor_state = {**(task.vendor_state or {}), "huhu": state}
        Task.objects.filter(pk=task.pk).update(vendor_state=task.vendor_state)

    def _baseline(self, program_id, project_id, refs) -> dict:
        rows = {r.task_id: r for r in self.list_tasks(program_id)}
        out = {}
        for r in refs:
            row = rows.get(r.vendor_id)
            detail = self._detail(program_id, project_id, r.raw["sku_id"], r.vendor_id)
            out[r.vendor_id] = {"status": row.status if row else "", "time": row.status_time if row else None,
                                "outputs": len(p.parse_task_outputs(detail))}
        return out

    def _detail(self, program_id: str, project_id: str, sku_id: str, task_id: str) -> dict:
        """GET /task detail. program_id always: 001 §5.21 resolves the task in the key's default program otherwise,
        and the studio's program is often not that one (a key may have no default at all, 001 §3 → 400)."""
        return self.client.get("/task", params={"program_id": program_id, "project_id": project_id, "sku_id": sku_id,
                                                "task_id": task_id})

    def _submit_video(self, task, options) -> Submission:
        parent = task.parent_output
        if parent is None:
            raise ValidationFailed("A Huhu video starts from a try-on output (first_frame_image)")
        program_id, project_id = self.ids_for(task.sku)
        if not task.prompt:
            raise ValidationFailed("Huhu video needs a motion prompt")
        with parent.file.open("rb") as fh:
            frame = p.b64(fh.read())
        payload = {"program_id": program_id, "project_id": project_id, "sku_id": self.sku_id(task.sku),
                   "video_length": options["video_length"], "prompt": task.prompt,
                   "first_frame_image": {"image_base64": frame}}
        if source := self._source_task_id(parent, program_id):
            payload["source_task_id"] = source
        vid = p.video_id(self.client.post("/video", json=payload))
        raw = {"request_id": vid, "program_id": program_id, "video_length": options["video_length"]}
        return Submission(vendor_task_id=vid, raw=raw, charged_credits=p.estimate_credits("video", options, 1))

    def _source_task_id(self, parent, program_id: str) -> str | None:
        """The Huhu task that produced the first frame (001 §5.26 source_task_id): a front+back try-on has two, and
        the frame is one of their outputs. The poll kept which task each output came from; failing that, the tasks'
        details (unpaid) say. The field is optional, so when neither tells, it is left out rather than guessed."""
        if parent.task.account_id != self.account.pk:
            return None
        refs = self.task_refs(parent.task)
        if len(refs) <= 1:
            return refs[0].vendor_id if refs else None
        for kept in (parent.task.vendor_state or {}).get("outputs") or []:
            if kept.get("result_id") == parent.vendor_result_id and (kept.get("raw") or {}).get("task_id"):
                return str(kept["raw"]["task_id"])
        project_id = ((parent.task.vendor_state or {}).get("huhu") or {}).get("project_id")
        for r in refs if project_id else []:
            detail = self._detail(r.raw.get("program_id") or program_id, project_id, r.raw["sku_id"], r.vendor_id)
            if any(o.result_id == parent.vendor_result_id for o in p.parse_task_outputs(detail)):
                return r.vendor_id
        return None

    def _upscale_source(self, task, options) -> bytes:
        source = task.parent_output.file if task.parent_output else task.model_image.image if task.model_image \
            else None
        if source is None:
            raise ValidationFailed("Upscale needs an output or a model image to start from")
        with source.open("rb") as fh:
            data = fh.read()
        with Image.open(io.BytesIO(data)) as img:
            p.check_upscale_pixels(img.width, img.height, float(options["upscale_factor"]))
        return data

    def _submit_upscale(self, task, options) -> Submission:
        data = self._upscale_source(task, options)
        program_id = self.program_id(task.sku.project.program)
        body = self.client.post("/upscale", json={"image": p.b64(data), "upscale_factor": options["upscale_factor"],
                                                  "num_images": task.num_outputs, "program_id": program_id})
        return self._request_submission(body, program_id, task, options)

    def _request_submission(self, body: dict, program_id: str, task, options) -> Submission:
        if not body.get("request_id"):
            raise ValidationFailed("Huhu accepted the request without returning a request_id")
        cost = body.get("cost")
        charged = Decimal(str(cost)) if cost is not None else p.estimate_credits(task.operation, options,
                                                                                   task.num_outputs)
        return Submission(vendor_task_id=str(body["request_id"]), charged_credits=charged,
                          raw={"request_id": str(body["request_id"]), "program_id": program_id})

    def _submit_face(self, task, options) -> Submission:
        if not task.prompt:
            raise ValidationFailed("Huhu face generation needs a prompt (001 §5.14)")
        program_id = self.program_id(task.sku.project.program)
        body = self.client.post("/model/face", json={"prompt": task.prompt, "mode": options["mode"],
                                                     "num_output_images": task.num_outputs, "program_id": program_id})
        return self._request_submission(body, program_id, task, options)

    def _submit_model_image(self, task, options) -> Submission:
        if not task.prompt:
            raise ValidationFailed("Huhu model image generation needs a prompt (001 §5.15)")
        program_id, project_id = self.ids_for(task.sku)
        payload = {"prompt": task.prompt, "num_output_images": task.num_outputs, "program_id": program_id}
        if task.model_image_id:
            payload["reference_image"] = self.model_image_id(task.model_image, program_id, project_id)
        return self._request_submission(self.client.post("/model/image", json=payload), program_id, task, options)

    def _submit_pose(self, task, options) -> Submission:
        program_id, project_id = self.ids_for(task.sku)
        prompt = " ".join(x for x in ((task.pose.prompt if task.pose else ""), task.prompt) if x)
        if not prompt or task.model_image_id is None:
            raise ValidationFailed("Huhu pose generation needs a pose prompt and a model image (001 §5.20)")
        body = self.client.post("/model/pose", json={
            "prompt": prompt, "program_id": program_id,
            "reference_image": self.model_image_id(task.model_image, program_id, project_id)})
        return self._request_submission(body, program_id, task, options)

    # --- reconcile ------------------------------------------------------------------------------------------------
    def find_submission(self, task) -> Submission | None:
        if task.operation == "try_on":
            return self._find_try_on(task)
        if task.operation == "video":
            return self._find_video(task)
        return self._find_charge(task)

    def _find_try_on(self, task) -> Submission | None:
        """Did POST /task/generate go through? Its tasks have left "Task created" (round 1) or moved from where the
        regenerate found them (later rounds)."""
        refs = self.task_refs(task)
        state = (task.vendor_state or {}).get("huhu") or {}
        if not refs or state.get("round") != task.round:
            return None  # _remember runs before POST /task/generate: without it this round was never paid for
        rows = {r.task_id: r for r in self.list_tasks(state.get("program_id") or refs[0].raw["program_id"])}
        baseline = state.get("baseline") or {}
        for r in refs:
            row = rows.get(r.vendor_id)
            if row is None or row.status == p.TASK_CREATED:
                continue
            before = baseline.get(r.vendor_id)
            if before is None or self._moved(before, row, state, r):
                return Submission(vendor_task_id=refs[0].vendor_id, raw=state, charged_credits=p.estimate_credits(
                    "try_on", self._options(task), task.num_outputs) * len(refs))
        return None

    def _moved(self, before: dict, row: p.TaskRow, state: dict, r) -> bool:
        if row.status != before["status"] or (row.status_time and row.status_time != before["time"]):
            return True
        detail = self._detail(state.get("program_id") or r.raw["program_id"], state["project_id"], r.raw["sku_id"],
                              r.vendor_id)
        return len(p.parse_task_outputs(detail)) > before["outputs"]

    def _find_video(self, task) -> Submission | None:
        """GET /video/requests lists our requests with their prompt and duration (001 §5.27)."""
        from generations.models import Task

        program_id = self.program_id(task.sku.project.program)
        options = self._options(task)
        taken = set(Task.objects.filter(account=self.account, operation="video").exclude(pk=task.pk)
                    .values_list("vendor_task_id", flat=True))
        for row in self.client.get("/video/requests", params={"program_id": program_id, "limit": 50}).get(
                "requests") or []:
            rid = str(row.get("request_id") or "")
            if rid and rid not in taken and row.get("prompt") == task.prompt and \
                    str(row.get("duration")) == options["video_length"]:
                return Submission(vendor_task_id=rid, raw={"request_id": rid, "program_id": program_id},
                                  charged_credits=p.estimate_credits("video", options, 1))
        return None

    def _find_charge(self, task) -> Submission | None:
        """Faces, model images, poses and upscales have no listing, but every charge is in the credit history
        (001 §5.2: request_id, credits, timestamp in ms): an entry of the expected cost since the attempt began
        that no other task of ours claims is this attempt's."""
        from generations.models import Task

        program_id = self.program_id(task.sku.project.program)
        expected = self.estimate(task.operation, task.options or {}, task.num_outputs)
        since = (task.attempt_started_at - CLOCK_SKEW).timestamp() * 1000 if task.attempt_started_at else 0
        items = [i for i in self.paged("/metering/credit-history", "items", {"program_id": program_id})
                 if i.get("request_id") and (i.get("timestamp") or 0) >= since
                 and Decimal(str(i.get("credits"))) == expected and i.get("request_source", "api") == "api"]
        taken = set(Task.objects.filter(account=self.account, vendor_task_id__in=[i["request_id"] for i in items])
                    .exclude(pk=task.pk).values_list("vendor_task_id", flat=True))
        for item in sorted(items, key=lambda i: i.get("timestamp") or 0):
            if item["request_id"] not in taken:
                return Submission(vendor_task_id=str(item["request_id"]), charged_credits=expected,
                                  raw={"request_id": str(item["request_id"]), "program_id": program_id})
        return None

    # --- poll ----------------------------------------------------------------------------------------------------
    def poll(self, task) -> PollResult:
        if task.operation == "try_on":
            return self._poll_try_on([task], strict=True)[task.pk]
        state = (task.vendor_state or {}).get("submission") or {}
        program_id = state.get("program_id") or self.program_id(task.sku.project.program)
        if task.operation == "video":
            return self._poll_video(task, program_id)
        path = "/upscale" if task.operation == "upscale" else "/model/image"
        body = self.client.get(path, params={"request_id": task.vendor_task_id, "program_id": program_id})
        status = str(body.get("status") or "")
        outputs = p.upscale_outputs(body, task.vendor_task_id) if task.operation == "upscale" \
            else p.parse_generated_images(body)
        return self._result(p.job_state(status), status, outputs, body)

    def _result(self, state: str, status: str, outputs, raw: dict) -> PollResult:
        if state == "completed" and not outputs:
            state = "running"  # "completed" without files yet: ask again rather than finish empty
        return PollResult(state=state, vendor_status=status, outputs=outputs if state == "completed" else [],
                          error=f"Huhu reports {status}" if state == "failed" else "", raw=raw)

    def _poll_video(self, task, program_id: str) -> PollResult:
        rid = task.vendor_task_id
        body = self.client.get("/video/requests", params={"program_id": program_id, "request_id": rid, "limit": 10})
        row = p.find_video(body, rid)
        if row is None:  # the request_id filter is documented in 001 only: scan the newest pages as well
            row = p.find_video({"requests": self.paged("/video/requests", "requests",
                                                       {"program_id": program_id, "limit": 50})}, rid)
        if row is None:
            raise NotFound(f"Huhu no longer lists video request {rid}", status_code=404)
        status = str(row.get("request_status") or "")
        return self._result(p.job_state(status), status, p.video_output(row, rid), row)

    def poll_many(self, tasks) -> dict[int, PollResult]:
        """ONE GET /task per program for every try-on task (001 §5.21); other operations one by one."""
        results = self._poll_try_on([t for t in tasks if t.operation == "try_on"], strict=False)
        for task in tasks:
            if task.operation != "try_on":
                results[task.pk] = self.poll(task)
        return results

    def _poll_try_on(self, tasks, *, strict: bool) -> dict[int, PollResult]:
        groups = defaultdict(list)
        results, by_task = {}, self.task_refs_for(tasks)
        for task in tasks:
            refs = by_task.get(task.pk)
            if refs:
                groups[refs[0].raw["program_id"]].append((task, refs))
            elif strict:
                raise NotFound(f"no Huhu task is on record for task {task.pk}")
            else:
                results[task.pk] = PollResult("failed", error="no Huhu task is on record for this task")
        for program_id, members in groups.items():
            rows = {r.task_id: r for r in self.list_tasks_shared(program_id)}
            if any(r.vendor_id not in rows for _, refs in members for r in refs):
                # the shared answer predates a task created since: ask Huhu itself before concluding anything
                rows = {r.task_id: r for r in self.list_tasks_shared(program_id, fresh=True)}
            for task, refs in members:
                missing = [r.vendor_id for r in refs if r.vendor_id not in rows]
                if missing and strict:
                    raise NotFound(f"Huhu no longer lists task {', '.join(missing)}", status_code=404)
                if missing:  # one of many: report it on its own task instead of failing the whole batch
                    results[task.pk] = PollResult("failed", error=f"Huhu no longer lists task {missing[0]}; it "
                                                                   f"was not resubmitted")
                    continue
                results[task.pk] = self._try_on_result(task, refs, [rows[r.vendor_id] for r in refs])
        return results

    def _try_on_result(self, task, refs, rows) -> PollResult:
        state = (task.vendor_state or {}).get("huhu") or {}
        baseline = state.get("baseline") or {}
        raw = {"tasks": {row.task_id: row.raw for row in rows}}
        states = []
        for r, row in zip(refs, rows):
            before = baseline.get(row.task_id)  # a regenerate Huhu has not registered yet still shows the old round
            stale = before is not None and not self._moved(before, row, state, r)
            states.append("running" if stale else p.job_state(row.status))
        if "failed" in states:
            view = refs[states.index("failed")].key
            return PollResult("failed", vendor_status="Generation failed", raw=raw,
                              error=f"Huhu reports Generation failed for the {view} view")
        if all(s == "completed" for s in states):
            outputs = []
            for r, row in zip(refs, rows):
                if task.num_outputs == 1 and task.round == 1 and row.output_image_url:
                    outputs.append(p.RemoteOutput(result_id=str(row.output_image_id), url=row.output_image_url,
                                                  raw={"task_id": row.task_id}))
                else:
                    outputs.extend(p.parse_task_outputs(self._detail(
                        state.get("program_id") or r.raw["program_id"], state.get("project_id") or row.project_id,
                        r.raw["sku_id"], r.vendor_id), task_id=r.vendor_id))
            result = self._result("completed", "Generation completed", outputs, raw)
            times = [row.status_time for row in rows if isinstance(row.status_time, (int, float))]
            result.finished_at = max(times) / 1000 if times else None  # task_status_time is in ms (001 §5.21)
            return result
        walked = [row.status for row in rows if row.status in p.RUNNING_TASK_STATUSES]
        status = min(walked, key=p.RUNNING_TASK_STATUSES.index) if walked else "Task submitted"
        return PollResult("running", vendor_status=status, raw=raw)
