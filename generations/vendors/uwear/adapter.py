"""Uwear (seed 002, "UWEAR.md"): one route, POST /generation, for try-on, edit, upscale and video (`use_case`),
polled with GET /generation/{id} (statuses Created, Ongoing, Done, Error) or finished by the request-level webhook
(generation.completed / generation.failed). Clothing items and avatars are unpaid groundwork kept as
VendorReferences by generations/vendors/uwear/sync.py; this module holds the HTTP calls and the parsing.

The model catalogs live in uwear_catalog.py (one data table); the webhook receiver in uwear_webhook.py.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from generations.vendors.uwear import catalog
from generations.vendors.uwear.wire import Page, parse_time, public_url  # noqa: F401 (named here too)
from generations.vendors.base import (AccountSetting, Contribution, NotFound, PollResult, RemoteOutput, Submission, Unavailable, Unsupported,
                   ValidationFailed, VendorAdapter, VendorError)

# "Poll GET /generation/{generation_id} until the status is Done, Error, Created, or Ongoing" (Core Rules).
STATES = {"Created": "pending", "Ongoing": "running", "Done": "completed", "Error": "failed"}
WEBHOOK_EVENTS = ["generation.completed", "generation.failed"]
# "Generated assets are available for 4 hours. Download and persist any URLs you need."
RESULT_LIFETIME = timedelta(hours=4)
# The try-on prompt guidance of the Agent Workflow Guide, used when a task brings no prompt (prompt is required).
DEFAULT_TRY_ON_PROMPT = ("full body e-commerce photo of the model wearing the garment, clean lighting, neutral "
                         "background, garment fully visible")
PAGE_SIZE = 50
MAX_PAGES = 10  # a listing scan (reconcile, batch poll) reads at most this many pages of GET /generations
CLOCK_SKEW = timedelta(minutes=2)


def result_to_output(result: dict) -> RemoteOutput:
    """One generation result (polling: `generation_results[]`; webhooks: `data.results[]`, same fields)."""
    url = result.get("url") or ""
    kind = str(result.get("kind") or "").lower()
    is_video = kind == "video" or url.split("?", 1)[0].lower().endswith((".mp4", ".webm", ".mov"))
    return RemoteOutput(result_id=str(result.get("generation_result_id") or ""), url=url or None,
                        kind="video" if is_video else "image", raw=result)


def failure_text(record: dict) -> str:
    """The document shows no error field on a generation in status Error; take the usual ones if present."""
    for name in ("error", "error_message", "message", "detail"):
        value = record.get(name)
        if isinstance(value, dict):
            value = value.get("message") or value.get("detail")
        if value:
            return str(value)[:500]
    return "Uwear reported the generation as Error"


def parse_generation(record: dict) -> PollResult:
    status = str(record.get("status") or "")
    # An unknown status keeps the task polling (the sweeper bounds it) rather than guessing an outcome.
    state = STATES.get(status, "running")
    outputs = [result_to_output(r) for r in record.get("generation_results") or [] if r.get("url")]
    return PollResult(state=state, vendor_status=status, outputs=outputs if state == "completed" else [],
                      error=failure_text(record) if state == "failed" else "", raw=scrubbed(record))


def _expired(record: dict) -> bool:
    """Done, with results, none of them `available` any more ("Generated assets are available for 4 hours")."""
    results = record.get("generation_results") or []
    return record.get("status") == "Done" and bool(results) and all(r.get("available") is False for r in results)


def scrubbed(record: dict) -> dict:
    """The record without the webhook secret, should Uwear echo it in `payload`: raw records are kept in the Task."""
    echoed = payload_of(record)
    if "webhook_secret" not in echoed:
        return record
    return {**record, "payload": json.dumps({**echoed, "webhook_secret": "(removed)"})}


def payload_of(record: dict) -> dict:
    """`payload` is the request echoed back as a JSON *string* (GET /generations, GET /generation/{id})."""
    payload = record.get("payload")
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError:
            return {}
    return payload if isinstance(payload, dict) else {}


class UwearAdapter(VendorAdapter):
    vendor = "uwear"
    # Clothing items on the SKU page and avatars on the model page (read by the registry).
    urls = "generations.vendors.uwear.urls"
    webhooks = "generations.vendors.uwear.webhook"
    contributions = (
        Contribution("sku", "panel", "sku_uwear", "Uwear clothing item"),
        Contribution("model", "panel", "model_uwear", "Uwear avatar"),
    )
    label = "Uwear"
    default_base_url = "https://api.uwear.ai"
    capabilities = catalog.build_capabilities()
    can_reconcile = True  # GET /generations lists every generation of the key
    batch_polling = True  # ...with status and generation_results, so one listing reports on many jobs
    poll_interval = 10.0  # "poll with backoff"; the document names no interval
    dashboard_url = "https://app.uwear.ai"
    # Seed 002 names a request-level webhook_secret but not how a delivery is signed: the account says which of the
    # two usual schemes Uwear uses (uwear_webhook.UwearWebhookView.verify). Polling stays the truth either way.
    account_settings = (AccountSetting(
        "webhook_signing", "Webhook signature scheme", "timestamped", choices=(
            ("timestamped", "HMAC-SHA256 of “{timestamp}.{body}”, X-Uwear-Timestamp header (Stripe style)"),
            ("body", "“sha256=” HMAC-SHA256 of the raw body (GitHub style)")),
        help="Uwear's document does not say how deliveries are signed."),)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.account.reveal_api_key()}"}

    # check_balance keeps the base's "unknown": the document has no balance route, so an account paused by a 402
    # ("Purchase credits before submitting generation jobs") is resumed by a person, not by the sweeper.

    # --- cost ---------------------------------------------------------------------------------------------------
    def estimate(self, operation: str, options: dict, num_outputs: int) -> Decimal:
        cleaned = self.capabilities.clean(operation, options, num_outputs)
        use_case = self.use_case(operation)
        catalog.check(use_case, cleaned)
        return catalog.estimate(use_case, cleaned, num_outputs)

    @staticmethod
    def use_case(operation: str) -> str:
        try:
            return catalog.USE_CASES[operation]
        except KeyError:
            raise Unsupported(f"Uwear does not offer {operation.replace('_', ' ')}") from None

    # --- groundwork, the paid call, reconcile -------------------------------------------------------------------
    def prepare(self, task) -> None:
        from generations.vendors.uwear import sync as uwear_sync

        if task.operation == "try_on":
            uwear_sync.clothing_item_ids(self, task)
            uwear_sync.avatar_id_for(self, task, create=True)

    def submit(self, task) -> Submission:
        body = self.generation_body(task)
        try:
            created = self.client.post("/generation", json=body)
        except (NotFound, ValidationFailed) as exc:
            self._forget_if_deleted(task, exc)
            raise
        return Submission(vendor_task_id=str(created["generation_id"]), raw=scrubbed(created))

    def _forget_if_deleted(self, task, exc: VendorError) -> None:
        """"Clothing item not found" / "Avatar not found": the item or avatar was deleted outside the studio (Uwear's
        own app). Nothing was paid for the refusal. Forget the stale reference and go round once more: prepare()
        creates it again from our garment images, then the generation is submitted. A second such answer fails the
        task with Uwear's words (something else is wrong)."""
        from generations.vendors.uwear import sync as uwear_sync

        message = str(exc).lower()
        words = {uwear_sync.CLOTHING_ITEM: "clothing item", uwear_sync.AVATAR: "avatar"}
        stale = [kind for kind, word in words.items() if word in message and "not found" in message]
        if not stale or task.vendor_state.get("uwear_recreated"):
            return
        uwear_sync.forget(self, task, stale)
        task.vendor_state = {**task.vendor_state, "uwear_recreated": stale}
        raise Unavailable(f"Uwear no longer has the {' and '.join(words[k] for k in stale)} of this task (deleted "
                          f"outside the studio); it is created again and the generation resubmitted") from None

    def generation_body(self, task, *, with_webhook: bool = True) -> dict:
        """The POST /generation body for a task. Checks every catalog rule before the paid call."""
        use_case = self.use_case(task.operation)
        options = self.capabilities.clean(task.operation, task.options or {}, task.num_outputs)
        refs = self._reference_urls(task) if use_case in ("generate", "edit") else []
        last_frame = self._last_frame_url(task, options.get("last_frame_output"))
        model = catalog.check(use_case, options, refs=len(refs), last_frame=bool(last_frame))
        body = {"use_case": use_case, "model_slug": model.slug, "num_images": task.num_outputs}
        if use_case == "generate":
            body.update(self._try_on_fields(task, options, refs))
        else:
            body.update(self._chain_fields(task, use_case, refs))
        if model.family == "image":
            body.update(self._image_fields(model, options))
        elif model.family == "upscale":
            body["upscale_factor"] = int(options["upscale_factor"] or model.upscale_factors[0])
            body["target_resolution"] = options["target_resolution"] or model.target_resolutions[0]
        else:
            body.update(self._video_fields(model, options, last_frame))
        if with_webhook:
            body.update(self._webhook_fields(task))
        return body

    def _try_on_fields(self, task, options: dict, refs: list[str]) -> dict:
        from generations.vendors.uwear import sync as uwear_sync

        ids = uwear_sync.clothing_item_ids(self, task)
        return {**({"clothing_item_id": ids[0]} if len(ids) == 1 else {"clothing_item_ids": ids}),
                "avatar_id": uwear_sync.avatar_id_for(self, task),
                "prompt": self._prompt(task) or DEFAULT_TRY_ON_PROMPT, "camera": options["camera"] or "photo",
                "enhance_user_prompt": options["enhance_user_prompt"], "img_ref_urls": refs}

    def _chain_fields(self, task, use_case: str, refs: list[str]) -> dict:
        """Edit: prompt required ("Natural language instructions"); video: prompt optional; upscale: none."""
        fields = self._source_fields(task, use_case)
        if refs:
            fields["img_ref_urls"] = refs
        prompt = task.prompt.strip()
        if use_case == "edit" and not prompt:
            raise ValidationFailed("Uwear needs instructions (a prompt) for an edit")
        if prompt and use_case in ("edit", "video"):
            fields["prompt"] = prompt
        return fields

    @staticmethod
    def _image_fields(model: catalog.Model, options: dict) -> dict:
        fields = {}
        resolution = catalog.resolution_to_send(model, options.get("resolution"))
        if resolution:
            fields["resolution"] = resolution
        if options.get("aspect_ratio"):
            fields["aspect_ratio"] = options["aspect_ratio"]
        return fields

    @staticmethod
    def _video_fields(model: catalog.Model, options: dict, last_frame: str | None) -> dict:
        """The video table marks `duration` and `resolution` required, but describes resolution as "Optional ...
        when supported by the selected model" and its own example (kling-3-pro) sends none. We send the duration
        always and the resolution only for models that list one (Seedance 2: 720p). `aspect_ratio` applies only
        "when ... no first frame is supplied"; our videos always start from an output, so it is never sent."""
        fields = {"duration": int(options["duration"] or catalog.default_duration(model)),
                  "generate_audio": bool(options["generate_audio"])}
        if model.resolutions:
            fields["resolution"] = options.get("resolution") or model.resolutions[0]
        if last_frame:
            fields["last_frame_url"] = last_frame
        return fields

    def _source_fields(self, task, use_case: str) -> dict:
        """Chains: a Uwear result of this same account still inside its 4-hour window goes by
        generation_result_parent_id ("Use approved results as the source"); anything else (other vendors, older
        results) by image_url pointing at our stored copy. The video table says to set the parent id to null when
        using image_url; the other tables say only not to send both."""
        parent = task.parent_output
        if parent is None:
            raise ValidationFailed(f"Uwear {use_case} needs an approved output to start from")
        fresh = parent.created_at and timezone.now() - parent.created_at < RESULT_LIFETIME
        if parent.task.account_id == self.account.pk and parent.vendor_result_id.isdigit() and fresh:
            return {"generation_result_parent_id": int(parent.vendor_result_id)}
        fields = {"image_url": public_url(parent.file)}
        if use_case == "video":
            fields["generation_result_parent_id"] = None
        return fields

    @staticmethod
    def _prompt(task) -> str:
        parts = [task.prompt.strip()]
        if task.style_id and task.style.prompt:
            parts.append(task.style.prompt.strip())
        if task.pose_id and task.pose.prompt:
            parts.append(task.pose.prompt.strip())
        return ". ".join(p for p in parts if p)

    @staticmethod
    def _reference_urls(task) -> list[str]:
        if task.pose_id and task.pose.reference_image:
            return [public_url(task.pose.reference_image)]
        return []

    def _last_frame_url(self, task, output_id: int | None) -> str | None:
        if not output_id:
            return None
        from generations.models import TaskOutput

        output = TaskOutput.objects.filter(pk=output_id, task__team_id=task.team_id).first()
        if output is None:
            raise ValidationFailed("the last frame must be an output of your team")
        return public_url(output.file)

    def _webhook_fields(self, task) -> dict:
        """Request-level webhook (POST /generation: webhook_url, webhook_secret, webhook_events). Without a
        per-account secret no webhook is asked for and polling finishes the job."""
        if not self.account.webhook_secret_encrypted:
            return {}
        return {"webhook_url": webhook_url(self.account, task), "webhook_secret": self.account.reveal_webhook_secret(),
                "webhook_events": list(WEBHOOK_EVENTS)}

    def find_submission(self, task) -> Submission | None:
        """The document gives POST /generation no client reference or metadata field that GET /generations could
        filter on (its filters are status, feature_name, external_id — the *provider's* job id — and batch_id), so
        an attempt is recognised by what it sent: the echoed `payload` (use_case, model_slug, prompt), the
        clothing item, avatar and num_images, created at or after the attempt started (minus clock skew), and not
        already claimed by another of our tasks. The prompt only breaks ties (Uwear may echo an enhanced prompt:
        "Let AI enhance your prompt"); then the oldest such generation is ours. None means Uwear never got it. When
        the echoed payload carries our webhook_url, it holds the attempt key and settles it exactly."""
        from generations.models import Task

        started = (task.attempt_started_at or task.created_at) - CLOCK_SKEW
        expected = self.generation_body(task, with_webhook=False)
        claimed = set(Task.objects.filter(account=self.account).exclude(pk=task.pk).exclude(vendor_task_id="")
                      .values_list("vendor_task_id", flat=True))
        candidates = []
        for record in self.recent_generations(since=started):
            generation_id = str(record.get("generation_id"))
            if generation_id in claimed:
                continue
            echoed = payload_of(record)
            if task.attempt_key and task.attempt_key in str(echoed.get("webhook_url") or ""):
                return Submission(vendor_task_id=generation_id, raw=scrubbed(record))
            created = parse_time(record.get("created_at"))
            if created and created >= started and self._same_request(expected, record, echoed):
                other_prompt = echoed.get("prompt", expected.get("prompt")) != expected.get("prompt")
                candidates.append((other_prompt, created, int(generation_id), record))
        if not candidates:
            return None
        record = min(candidates, key=lambda c: c[:3])[3]
        return Submission(vendor_task_id=str(record["generation_id"]), raw=scrubbed(record))

    @staticmethod
    def _same_request(expected: dict, record: dict, echoed: dict) -> bool:
        for name in ("use_case", "model_slug"):
            if name in echoed and echoed[name] != expected.get(name):
                return False
        if echoed.get("image_url") and expected.get("image_url"):  # signed storage URLs differ only in the query
            if echoed["image_url"].split("?", 1)[0] != expected["image_url"].split("?", 1)[0]:
                return False
        if "num_images" in record and record["num_images"] != expected["num_images"]:
            return False
        if "avatar_id" in record and record["avatar_id"] != expected.get("avatar_id"):
            return False
        wanted = expected.get("clothing_item_ids") or [expected.get("clothing_item_id")]
        got = record.get("clothing_item_ids") or [record.get("clothing_item_id")]
        return wanted == [None] or got == [None] or sorted(map(str, wanted)) == sorted(map(str, got))

    # --- status ---------------------------------------------------------------------------------------------------
    def poll(self, task) -> PollResult:
        record = self.client.get(f"/generation/{task.vendor_task_id}")
        if record.get("status") == "Done" and not record.get("generation_results"):
            record = {**record, "generation_results": self.results_of(task.vendor_task_id)}
        if _expired(record):
            # Paid and done, but every asset is past its 4 hours: nothing can fetch them again and nothing may be
            # re-run. NotFound makes the engine hold the task for a person instead of resubmitting.
            raise NotFound(f"Uwear generation {task.vendor_task_id} is done but its results are no longer "
                           f"available (assets live 4 hours); it was not re-run")
        return parse_generation(record)

    def poll_many(self, tasks: list) -> dict[int, PollResult]:
        """One GET /generations listing (newest first) reports on every job it contains; jobs it does not reach
        within MAX_PAGES are polled one by one. The listing has no generation-id filter, hence the scan. The first
        task is the one the engine is advancing; only its errors are raised."""
        wanted = {str(t.vendor_task_id): t for t in tasks if t.vendor_task_id}
        results: dict[int, PollResult] = {}
        if len(wanted) > 1:
            since = min((t.submitted_at or t.created_at) for t in wanted.values()) - CLOCK_SKEW
            for record in self.recent_generations(since=since):
                task = wanted.pop(str(record.get("generation_id")), None)
                if task is not None and not _expired(record):
                    results[task.pk] = parse_generation(record)
                if not wanted:
                    break
        for task in tasks:
            if task.pk in results:
                continue
            try:
                results[task.pk] = self.poll(task)
            except VendorError:
                if task is tasks[0]:
                    raise
                # One job's error (e.g. its assets expired) must not stop its companions; it is reported when
                # that task's own poll runs (the engine treats a missing result as "still running").
        return results

    def recent_generations(self, *, since: datetime):
        """GET /generations sorted created_at:desc, page by page, until records are older than `since`."""
        for number in range(1, MAX_PAGES + 1):
            page = Page.parse(self.client.get("/generations", params={
                "sort": "created_at:desc", "page": number, "items_per_page": PAGE_SIZE}))
            for record in page.items:
                created = parse_time(record.get("created_at"))
                if created and created < since:
                    return
                yield record
            if number >= page.max_page or not page.items:
                return

    def results_of(self, generation_id: str) -> list[dict]:
        """GET /generation-results?generation_ids=…: the results of one job, when its record came without them."""
        found: list[dict] = []
        for number in range(1, MAX_PAGES + 1):
            page = Page.parse(self.client.get("/generation-results", params={
                "generation_ids": [generation_id], "page": number, "items_per_page": PAGE_SIZE}))
            found += page.items
            if number >= page.max_page or not page.items:
                return found
        return found

    def result(self, result_id: str) -> RemoteOutput:
        """GET /generation-result/{id}: the current URL of one result, or NotFound once Uwear dropped it."""
        record = self.client.get(f"/generation-result/{result_id}")
        if record.get("available") is False:
            raise NotFound(f"Uwear result {result_id} is no longer available (results live 4 hours)")
        return result_to_output(record)

    # --- clothing items and avatars (bookkeeping in generations/vendors/uwear/sync.py) --------------------------------------
    def create_clothing_item(self, fields: dict[str, str]) -> dict:
        """POST /clothing-item is a form route ("Content-Type: multipart/form-data"); the images go as the
        documented URL fields. httpx sends plain fields urlencoded, so the multipart body is built here."""
        body, content_type = multipart(fields)
        return self.client.post("/clothing-item", content=body, headers={"Content-Type": content_type})

    def clothing_item(self, item_id: str) -> dict:
        return self.client.get(f"/clothing-item/{item_id}")

    def update_clothing_item(self, item_id: str, fields: dict) -> dict:
        return self.client.json("PUT", f"/clothing-item/{item_id}", json=fields)

    def delete_clothing_item(self, item_id: str) -> None:
        self.client.request("DELETE", f"/clothing-item/{item_id}")

    def clothing_items(self, page: int = 1, items_per_page: int = 20) -> Page:
        return Page.parse(self.client.get("/clothing-items", params={"page": page, "items_per_page": items_per_page}))

    def create_avatar(self, body: dict) -> dict:
        return self.client.post("/avatar", json=body)

    def avatar(self, avatar_id: str) -> dict:
        return self.client.get(f"/avatar/{avatar_id}")

    def update_avatar(self, avatar_id: str, body: dict) -> dict:
        return self.client.json("PUT", f"/avatar/{avatar_id}", json=body)

    def delete_avatar(self, avatar_id: str) -> None:
        self.client.request("DELETE", f"/avatar/{avatar_id}")

    def avatars(self, page: int = 1, items_per_page: int = 20) -> Page:
        return Page.parse(self.client.get("/avatars", params={"page": page, "items_per_page": items_per_page}))


def multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                     + str(value).encode() + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# Registers UwearWebhookView with the shared webhook dispatcher (generations/engine/webhooks.py view_for).
from generations.vendors.uwear.webhook import webhook_url  # noqa: E402
