"""ArtEmotion virtual try-on (seeds/004, "ArtEmotion API"): POST /tryon, GET /jobs/:job_id?model_id=, GET /models.

What the document makes us do, in the order the engine calls us:
- submit: person_image_url and garment_image_url are "Public URL or base64 data URL … HTTPS only. Max 10 MB."
  Our storage is usually not public, so we send base64 data URLs, downscaling anything over the limit (the task
  gets a note saying so); garment_type is one of top, bottom, glasses, hat, sneakers, clothing ("Garment Types").
  The 202 answer carries job_id, poll_url and credits_used; every call costs credits (15 or 20 per job).
- poll: GET the poll_url ("it already includes the required model_id"): queued (queue_position), processing,
  completed (images, elapsed_ms), failed (logs). Result URLs expire after 24 hours; the engine stores them at once.
- limits ("Rate Limits"): 10 try-on submissions and 120 status polls per minute per key, held across every worker
  process; a 429 means "Wait 60 seconds before retrying".
- errors ("Error Codes"): `{error, code}` bodies mapped in `translate` below. SUBMISSION_ERROR: "Credits are
  automatically refunded", so the ledger records the refund and the task fails.
- webhooks: see artemotion_webhook.py; polling stays on because deliveries are never retried.
The Vision API (captions, NSFW moderation) lives in artemotion_vision.py.
"""
from __future__ import annotations

import base64
import io
import math
import re
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote, urlsplit

from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageOps

from generations.vendors.base import (AuthError, Capabilities, GenerationFailed, InsufficientCredits, Option, OperationSpec, PollResult,
                   RateLimited, RemoteOutput, Submission, Unavailable, ValidationFailed, VendorAdapter, VendorError,
                   Balance)

DEFAULT_BASE_URL = "https://app.artemotion.ai/api/v1"
IMAGE_APPS = "image-apps-v2/virtual-try-on"
FLUX = "flux-2-lora-gallery/virtual-tryon"
TRYON_CREDITS = {IMAGE_APPS: Decimal(15), FLUX: Decimal(20)}  # "List Models"
IMAGE_APPS_BEST_FOR = ("glasses", "hat", "sneakers")  # "Garment Types": "Use Image Apps model for best results"
# "Max 10 MB" per image ("Rate Limits": "Max image size 10 MB per image"). Whether that is 10^7 or 2^20·10 bytes,
# and whether a data URL counts encoded or decoded, is not said: 10,000,000 characters of data URL meets all four.
MAX_IMAGE_BYTES = 10_000_000
ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}  # "Image formats"
RATE_LIMIT_WAIT = 60.0  # "When you hit a rate limit … Wait 60 seconds before retrying."
SUBMISSIONS_PER_MINUTE = 10
POLLS_PER_MINUTE = 120
# "per minute", counted over 61 s: our mark is taken just before the request leaves, ArtEmotion's when it arrives,
# so a second of margin keeps a call that is on time by our clock from landing early by theirs.
WINDOW_SECONDS = 61.0
RATE_WINDOWS_KEY = "_rate_windows"  # VendorAccount.settings key holding recent call times per bucket

MODEL_OPTION = Option(
    "model_id", "Model", "choice", default=IMAGE_APPS,
    choices=((IMAGE_APPS, "Image Apps v2 — all garment types (15 credits)"),
             (FLUX, "FLUX.2 LoRA gallery — tops and bottoms (20 credits)")),
    help="Image Apps suits every garment type and is the document's advice for glasses, hats and sneakers; "
         "FLUX.2 (LoRA-based generation) is for tops and bottoms.",
)


# --- Garment type ("Garment Types") -----------------------------------------------------------------------------
# Our SKU's garment type → ArtEmotion's; accessories are told apart by their sub type or category, using the
# document's examples column. Anything else takes the documented default and "Generic fallback", clothing.
_BY_TYPE = {"Top": "top", "Bottom": "bottom", "Shoes": "sneakers", "Full body": "clothing"}
_ACCESSORY_WORDS = {
    "glasses": ("glasses", "sunglasses", "eyeglasses", "eyewear", "goggles", "spectacles"),
    "hat": ("hat", "cap", "beanie", "headband", "beret", "bucket hat", "fedora", "visor"),
    "sneakers": ("sneaker", "shoe", "boot", "sandal", "trainer", "loafer", "heel"),
}


def garment_type_for(sku) -> str:
    if sku.garment_type in _BY_TYPE:
        return _BY_TYPE[sku.garment_type]
    words = f"{sku.accessory_sub_type} {sku.category}".lower()
    for garment_type, names in _ACCESSORY_WORDS.items():
        if any(re.search(rf"\b{re.escape(name)}s?\b", words) for name in names):
            return garment_type
    return "clothing"


# --- Images: data URLs within 10 MB ------------------------------------------------------------------------------
@dataclass
class SentImage:
    value: str  # what goes in the *_image_url field
    note: str = ""  # told to the user when we had to change the image


def image_field(file, label: str) -> SentImage:
    """The value for person_image_url / garment_image_url. The document allows a "Public URL or base64 data URL
    … HTTPS only. Max 10 MB." We send the storage URL only when storage itself hands out HTTPS links (S3) and the
    file is within the limit; otherwise the bytes go inline, and "Max 10 MB" is applied to the whole data URL (the
    document does not say whether it counts the encoded or the decoded size, so we keep both under it)."""
    url = public_https_url(file)
    if url and file.size <= MAX_IMAGE_BYTES:
        return SentImage(url)
    with file.open("rb") as fh:
        data = fh.read()
    return data_url(data, label)


def public_https_url(file) -> str | None:
    from studio.media import is_remote, vendor_url

    try:  # S3: the presigned URL; local files only when MEDIA_URL is itself a public https origin
        url = vendor_url(file) if is_remote(file.storage) else file.url
    except (ValueError, NotImplementedError):
        return None
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return None
    if not reachable_from_outside(parts.hostname, parts.port or 443):
        return None  # "IMAGE_ERROR … Image URL unreachable, private IP": the bytes go inline instead
    return url if is_remote(file.storage) else vendor_url(file)  # our /media/ view wants a session or a signature


def reachable_from_outside(host: str, port: int) -> bool:
    """Whether ArtEmotion's servers could fetch from this host: every address it resolves to is public. A storage
    host such as minio.internal, or a name that resolves to 10.x, does not; a name that does not resolve here
    is not trusted to resolve there either."""
    from generations.vendors.http import is_public_address, resolved_addresses

    addresses = resolved_addresses(host, port)
    return bool(addresses) and all(is_public_address(a) for a in addresses)


def _encoded_size(data: bytes, mime: str) -> int:
    return len(f"data:{mime};base64,") + 4 * math.ceil(len(data) / 3)


def data_url(data: bytes, label: str) -> SentImage:
    try:
        return _data_url(data, label)
    except (OSError, Image.DecompressionBombError):
        raise ValidationFailed(f"the {label} is not an image ArtEmotion accepts (JPEG, PNG or WebP)") from None


def _data_url(data: bytes, label: str) -> SentImage:
    with Image.open(io.BytesIO(data)) as img:
        mime = ACCEPTED_FORMATS.get(img.format or "")
        if mime and _encoded_size(data, mime) <= MAX_IMAGE_BYTES:
            return SentImage(f"data:{mime};base64,{base64.b64encode(data).decode()}")
        img = ImageOps.exif_transpose(img)
        original = (img.width, img.height)
        smaller, mime, size = _downscale(img, _encoded_size(data, mime or "image/jpeg"))
    if _encoded_size(data, "image/jpeg") <= MAX_IMAGE_BYTES:
        note = f"The {label} was not JPEG, PNG or WebP, so it was sent converted to {mime.split('/')[1].upper()}."
    else:
        note = (f"The {label} ({len(data) / 1_048_576:.1f} MB, {original[0]}×{original[1]}) was over ArtEmotion's "
                f"10 MB limit, so it was sent downscaled to {size[0]}×{size[1]} "
                f"({len(smaller) / 1_048_576:.1f} MB).")
    return SentImage(f"data:{mime};base64,{base64.b64encode(smaller).decode()}", note)


def _downscale(img: Image.Image, encoded: int) -> tuple[bytes, str, tuple[int, int]]:
    """Shrink by the area the limit allows and re-encode (JPEG, or PNG where there is transparency); shrink again
    until the data URL fits."""
    has_alpha = "A" in img.getbands()
    img = img.convert("RGBA" if has_alpha else "RGB")
    fmt, mime = ("PNG", "image/png") if has_alpha else ("JPEG", "image/jpeg")
    scale = min(1.0, math.sqrt(MAX_IMAGE_BYTES / encoded) * 0.95)
    for _ in range(12):
        size = (max(1, int(img.width * scale)), max(1, int(img.height * scale)))
        resized = img if scale == 1.0 else img.resize(size, Image.Resampling.LANCZOS)
        out = io.BytesIO()
        resized.save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {"optimize": True}))
        encoded = _encoded_size(out.getvalue(), mime)
        if encoded <= MAX_IMAGE_BYTES:
            return out.getvalue(), mime, size
        scale *= min(0.9, math.sqrt(MAX_IMAGE_BYTES / encoded) * 0.95)
    raise ValidationFailed("the image could not be brought under ArtEmotion's 10 MB limit")


# --- Errors ("Error Codes", "Error Responses") --------------------------------------------------------------------
def translate(exc: VendorError) -> VendorError:
    """The error tree entry a documented `code` means. The HTTP status alone is not enough: 400 covers both our
    own mistakes and IMAGE_ERROR, 502 covers SUBMISSION_ERROR (refunded, the job will not run) and STATUS_ERROR
    (the backend is unreachable while polling: poll again later)."""
    code, message = exc.vendor_code, exc.args[0]
    kwargs = {"status_code": exc.status_code, "response_text": exc.response_text, "vendor_code": code}
    if code in ("INVALID_MODEL", "MISSING_FIELD", "IMAGE_ERROR", "INVALID_REQUEST", "METHOD_NOT_ALLOWED"):
        return ValidationFailed(message, **kwargs)
    if code == "UNAUTHORIZED":
        return AuthError(message, **kwargs)
    if code == "INSUFFICIENT_CREDITS":
        return InsufficientCredits(message, **kwargs)
    if code == "RATE_LIMIT_EXCEEDED" or exc.status_code == 429:
        # "Retry after 60 seconds." A Retry-After header, if one ever comes, can only make the wait longer.
        header = getattr(exc, "retry_after", None) or 0.0
        return RateLimited(message, retry_after=max(header, RATE_LIMIT_WAIT), **kwargs)
    if code == "SUBMISSION_ERROR":
        return GenerationFailed(f"ArtEmotion rejected the job; credits were refunded ({message})", **kwargs)
    if code == "STATUS_ERROR":
        return Unavailable(message, **kwargs)
    return exc


# --- Rate windows shared by every worker process -----------------------------------------------------------------
def take_slot(account_id: int, bucket: str, per_minute: int) -> float:
    """Record one call in `bucket` if fewer than `per_minute` happened in the last 60 s; returns 0.0 when granted,
    else the seconds until a slot frees. The account row lock serialises every worker (SQLite: the IMMEDIATE
    transaction does), so the limit holds across processes, like generations/engine/limits.py."""
    from generations.models import VendorAccount

    with transaction.atomic():
        account = VendorAccount.objects.select_for_update().only("settings").get(pk=account_id)
        windows = dict((account.settings or {}).get(RATE_WINDOWS_KEY) or {})
        now = time.time()
        recent = [t for t in windows.get(bucket, []) if now - t < WINDOW_SECONDS]
        if len(recent) >= per_minute:
            return max(0.5, recent[len(recent) - per_minute] + WINDOW_SECONDS - now)
        windows[bucket] = recent + [now]
        VendorAccount.objects.filter(pk=account_id).update(
            settings={**(account.settings or {}), RATE_WINDOWS_KEY: windows})
    return 0.0


def update_settings(account_id: int, **changes) -> dict:
    """Merge keys into VendorAccount.settings under the row lock, so no rate window or other key is lost."""
    from generations.models import VendorAccount

    with transaction.atomic():
        account = VendorAccount.objects.select_for_update().only("settings").get(pk=account_id)
        merged = {**(account.settings or {}), **changes}
        VendorAccount.objects.filter(pk=account_id).update(settings=merged)
    return merged


def require_slot(account_id: int, bucket: str, per_minute: int, what: str) -> None:
    wait = take_slot(account_id, bucket, per_minute)
    if wait:
        raise RateLimited(f"ArtEmotion allows {per_minute} {what} per minute per key", retry_after=wait)


# --- Ledger and balance -------------------------------------------------------------------------------------------
def record_balance(account, credits_left) -> None:
    """credits_left (vision submits, and try-on answers if they carry it) is the account's balance right now."""
    if credits_left is None:
        return
    from generations.models import VendorAccount

    account.credit_balance, account.balance_checked_at = Decimal(str(credits_left)), timezone.now()
    VendorAccount.objects.filter(pk=account.pk).update(credit_balance=account.credit_balance,
                                                       balance_checked_at=account.balance_checked_at)


def record_refund(task, credits: Decimal, reason: str) -> None:
    """SUBMISSION_ERROR: the vendor took the credits and gave them back ("Credits are automatically refunded")."""
    from generations.models import CreditEntry, CreditKind

    common = {"team_id": task.team_id, "account_id": task.account_id, "task": task, "operation": task.operation}
    CreditEntry.objects.create(kind=CreditKind.CHARGE, credits=credits, note="ArtEmotion took the job's credits",
                               **common)
    CreditEntry.objects.create(kind=CreditKind.REFUND, credits=credits, note=reason[:300], **common)


def ensure_webhook_secret(account) -> str:
    """The per-account secret ArtEmotion signs deliveries with ("webhook_secret is whatever you want").
    Created once; a compare-and-set keeps two workers from each writing a different one."""
    from generations.models import VendorAccount

    existing = account.reveal_webhook_secret() if account.webhook_secret_encrypted else ""
    if existing:
        return existing
    fresh = VendorAccount(webhook_secret_encrypted="")
    fresh.set_webhook_secret(f"whsec_{secrets.token_urlsafe(32)}")
    VendorAccount.objects.filter(pk=account.pk, webhook_secret_encrypted="").update(
        webhook_secret_encrypted=fresh.webhook_secret_encrypted)
    account.webhook_secret_encrypted = VendorAccount.objects.values_list(
        "webhook_secret_encrypted", flat=True).get(pk=account.pk)
    return account.reveal_webhook_secret()


# --- Webhook registration ("Webhooks (skip polling)") -------------------------------------------------------------
def webhook_fields(account, task=None) -> dict:
    """webhook_url + webhook_secret for a submit body. The document lists webhooks "on both /generate and /vision
    submits" and does not name /tryon; the fields are optional, so every try-on registers them, and polling
    finishes the job whether or not a delivery ever comes ("No retries … fall back to polling").
    "webhook_url must be HTTPS": a studio without a public HTTPS address (development) registers none.
    The URL is the account's (webhooks/artemotion/<account token>/); the body's request_id names the job. Our attempt
    key rides along as a query parameter: when the try-on's answer (with the job_id) is lost, the delivery still
    names the attempt, and settles the task held as "outcome unknown" (housekeeping.adopt_lost_submission). The
    document does not say whether ArtEmotion keeps a query string on webhook_url; it is part of the URL we give."""
    from generations.engine.webhooks import webhook_url

    url = webhook_url(account)
    if not url.startswith("https://"):
        return {}
    if task is not None and task.attempt_key:
        url = f"{url}?attempt={task.attempt_key}"
    return {"webhook_url": url, "webhook_secret": ensure_webhook_secret(account)}


# --- The adapter ------------------------------------------------------------------------------------------------
class ArtEmotionAdapter(VendorAdapter):
    vendor = "artemotion"
    team_features = frozenset({"vision"})
    urls = "generations.vendors.artemotion.urls"
    webhooks = "generations.vendors.artemotion.webhook"  # the moderation lane of ArtEmotion Vision's NSFW gate

    @classmethod
    def connect(cls) -> None:
        """Vision (vision.py): hold new outputs for the NSFW gate, caption new garment images."""
        from generations.vendors.artemotion import vision

        vision.connect()
    label = "ArtEmotion"
    default_base_url = DEFAULT_BASE_URL
    submissions_per_minute = SUBMISSIONS_PER_MINUTE
    poll_interval = 3.0  # "poll every 3 seconds" ("Polling Pattern")
    capabilities = Capabilities({
        "try_on": OperationSpec(
            "try_on", options=(MODEL_OPTION,), needs_garment=True, needs_model_image=True, accepts_prompt=False,
            help="Dresses the model photo in the garment: tops, bottoms, glasses, hats and sneakers. "
                 "Images over 10 MB are downscaled before sending.",
        ),
    })

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.account.reveal_api_key()}"}

    # --- cost and balance ---------------------------------------------------------------------------------------
    def estimate(self, operation: str, options: dict, num_outputs: int) -> Decimal:
        self.capabilities.spec(operation)
        return credits_for(self.account, options.get("model_id") or IMAGE_APPS) * num_outputs

    def check_balance(self) -> Balance:
        """No balance endpoint is documented: the last credits_left (or a 402's "available: N") is all we know.
        Below the cheapest job that is reported as unknown, so the sweeper does not resume a paused account only
        to meet the same 402; a manager reactivates it after topping up."""
        known = self.account.credit_balance
        if known is None or known < min(TRYON_CREDITS.values()):
            return Balance(credits=None, raw={"last_known": str(known) if known is not None else None})
        return Balance(credits=known)

    # --- calls --------------------------------------------------------------------------------------------------
    def call(self, method: str, path: str, **kwargs) -> dict:
        try:
            return self.client.json(method, path, **kwargs)
        except VendorError as exc:
            error = translate(exc)
            if isinstance(error, InsufficientCredits):
                self._note_available(error.args[0])
            raise error from None

    def _note_available(self, message: str) -> None:
        """'Insufficient credits. Required: 15, available: 3.' tells us the balance."""
        found = re.search(r"available:\s*([0-9.]+)", message)
        if found:
            record_balance(self.account, found.group(1).rstrip("."))

    # --- submit -------------------------------------------------------------------------------------------------
    def submit(self, task) -> Submission:
        self.capabilities.spec(task.operation)
        options = self.capabilities.clean(task.operation, task.options or {}, task.num_outputs)
        body, notes = self.tryon_body(task, options["model_id"])
        if notes:
            # Told to the user on the task page; the engine keeps vendor_state with the submission.
            task.vendor_state = {**(task.vendor_state or {}), "notes": notes}
        # The engine keeps to submissions_per_minute from attempt times recorded before prepare and encoding;
        # this mark, taken as the request leaves, is what keeps us inside ArtEmotion's own 60-second window.
        require_slot(self.account.pk, "tryon", SUBMISSIONS_PER_MINUTE, "try-on submissions")
        try:
            answer = self.call("POST", "/tryon", json=body)
        except GenerationFailed as exc:
            record_refund(task, credits_for(self.account, options["model_id"]), str(exc))
            raise
        record_balance(self.account, answer.get("credits_left"))
        raw = {key: answer.get(key) for key in ("job_id", "model_id", "status", "credits_used", "credits_left",
                                                "poll_url")}
        raw["model_id"] = raw["model_id"] or options["model_id"]
        raw["garment_type"], raw["notes"] = body["garment_type"], notes
        used = answer.get("credits_used")
        return Submission(vendor_task_id=str(answer["job_id"]), raw=raw,
                          charged_credits=Decimal(str(used)) if used is not None else None)

    def tryon_body(self, task, model_id: str) -> tuple[dict, list[str]]:
        if not task.model_image_id or not task.model_image.image:
            raise ValidationFailed("ArtEmotion try-on needs a model photo: choose the person to dress")
        garment = self.garment_image(task)
        person = image_field(task.model_image.image, "model photo")
        garment_sent = image_field(garment.image, "garment image")
        garment_type = garment_type_for(task.sku)
        body = {"person_image_url": person.value, "garment_image_url": garment_sent.value,
                "garment_type": garment_type, "model_id": model_id, **webhook_fields(self.account, task)}
        advice = ""
        if model_id != IMAGE_APPS and garment_type in IMAGE_APPS_BEST_FOR:
            # "Garment Types": glasses, hat and sneakers — "Use Image Apps model for best results".
            advice = (f"ArtEmotion advises the Image Apps model for {garment_type} (“Use Image Apps model for best "
                      f"results”); FLUX.2 was used because it was chosen.")
        return body, [note for note in (person.note, garment_sent.note, advice) if note]

    @staticmethod
    def garment_image(task):
        images = list(task.garment_images.all()) or list(task.sku.garment_images.all())
        if not images:
            raise ValidationFailed("ArtEmotion try-on needs a garment image on the SKU")
        return next((g for g in images if g.view == "front"), images[0])

    # --- poll ---------------------------------------------------------------------------------------------------
    def poll(self, task) -> PollResult:
        require_slot(self.account.pk, "poll", POLLS_PER_MINUTE, "status polls")
        answer = self.call("GET", self.poll_target(task))
        return parse_job(answer, task.vendor_task_id)

    def poll_target(self, task) -> str:
        return poll_target(self.base_url, task.vendor_task_id, (task.vendor_state or {}).get("submission") or {})


def poll_target(base_url: str, job_id: str, submission: dict) -> str:
    """The submit answer's poll_url ("Use the poll_url … it already includes the required model_id"), as long as it
    points at this account's API: our Bearer key never goes to another host. Otherwise we build the same URL."""
    poll_url = submission.get("poll_url") or ""
    base, target = urlsplit(base_url), urlsplit(poll_url)
    if poll_url and (target.scheme, target.netloc) == (base.scheme, base.netloc):
        return poll_url
    model_id = submission.get("model_id") or IMAGE_APPS
    return f"{base_url}/jobs/{quote(job_id, safe='')}?model_id={quote(model_id, safe='')}"


def parse_job(answer: dict, job_id: str) -> PollResult:
    """GET /jobs/:job_id ("Get Job Status"): queued (queue_position), processing, completed (images, elapsed_ms),
    failed (logs). A status we do not know keeps us polling rather than guessing."""
    status = str(answer.get("status") or "")
    raw = {key: answer.get(key) for key in ("job_id", "model_id", "status", "queue_position", "elapsed_ms", "logs")
           if key in answer}
    if status == "queued":
        return PollResult(state="pending", vendor_status="Task submitted", raw=raw)
    if status == "completed":
        images = answer.get("images") or []
        outputs = [RemoteOutput(result_id=f"{answer.get('job_id') or job_id}:{index}", url=url, raw={"index": index})
                   for index, url in enumerate(images)]
        if not outputs:
            return PollResult(state="failed", vendor_status="completed", error="ArtEmotion completed the job "
                              "without any image", raw=raw)
        return PollResult(state="completed", vendor_status="Generation completed", outputs=outputs, raw=raw)
    if status == "failed":
        logs = [str(line) for line in answer.get("logs") or []]
        return PollResult(state="failed", vendor_status="Generation failed",
                          error="; ".join(logs)[:1000] or "ArtEmotion reports the try-on failed", raw=raw)
    return PollResult(state="running", vendor_status="Generation in process", raw=raw)


def credits_for(account, model_id: str) -> Decimal:
    """A model's cost: from the last GET /models sync when there is one, else the documented table."""
    synced = ((account.settings or {}).get("models") or {}).get(model_id)
    return Decimal(synced) if synced else TRYON_CREDITS[model_id]


# --- GET /models ------------------------------------------------------------------------------------------------
def sync_models(account) -> dict[str, Decimal]:
    """Refresh the try-on catalog from GET /models ("No authentication required"). The document gives the table
    (model id, credits, best for) but not the JSON shape, so this reads a list or {"models"/"data": [...]} of
    objects naming the model as model_id or id and its cost as credits. The result is kept on the account and
    merged over the documented table, which stays the fallback."""
    adapter = ArtEmotionAdapter(account)
    try:
        answer = adapter.call("GET", "/models")
    finally:
        adapter.close()
    rows = (answer.get("models") or answer.get("data") or []) if isinstance(answer, dict) else answer
    catalog: dict[str, Decimal] = {}
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and (row.get("model_id") or row.get("id")):
            cost = row.get("credits", row.get("cost"))
            model_id = str(row.get("model_id") or row.get("id"))
            catalog[model_id] = Decimal(str(cost)) if cost is not None else TRYON_CREDITS.get(model_id, Decimal(0))
    account.settings = update_settings(account.pk, models={k: str(v) for k, v in catalog.items()},
                                       models_synced_at=timezone.now().isoformat())
    return catalog

