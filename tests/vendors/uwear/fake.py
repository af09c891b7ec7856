"""A contract-faithful fake of the Uwear API (seed 002, "UWEAR.md"), served for real on 127.0.0.1.

Built from the document, not from our adapter:
- Bearer keys on every route ("Authenticate documented routes with Authorization: Bearer YOUR_API_KEY"); each key
  sees only its own clothing items, avatars and generations.
- Clothing items: POST /clothing-item as multipart/form-data only ("Content-Type: multipart/form-data"),
  clothing_item_name and clothing_item_url required, use_image_enhancement (default true, 1 credit) writes the AI
  vision descriptions; GET/PUT/DELETE /clothing-item/{id}; GET /clothing-items paginated. Deleting an item "will
  also delete all associated generations and generation results".
- Avatars: POST /avatar (avatar_name, avatar_url required; avatar_description {body, age}; avatar_enhancement
  overwrites the description), GET/PUT/DELETE /avatar/{id}, GET /avatars.
- POST /generation for use_case generate / edit / upscale / video, validated against the model catalogs exactly as
  published (its own transcription below, independent of the adapter's table): slugs per use case, resolutions,
  aspect ratios, reference counts, durations, audio, last frame, upscale factors and targets, num_images 1–5, one
  source (generation_result_parent_id or image_url, "Do not send together"), webhook fields.
- The status walk Created → Ongoing → Done (or Error) on the fake's clock; credits charged per request within each
  model's published range; 402 once the balance cannot pay.
- GET /generation/{id} and GET /generations (status, feature_name, external_id, batch_id filters, sort, pages)
  with generation_results; GET /generation-results (generation_ids, clothing_item_ids) and
  GET /generation-result/{id}. Assets are "available for 4 hours": each read hands out a signed URL valid for
  `url_ttl` seconds but never past the 4-hour mark, after which results report available false and URLs answer 403.
- Request-level webhooks (webhook_url, webhook_secret, webhook_events) for generation.completed / generation.failed
  with assets in data.results. The document does not say how deliveries are signed; this fake signs the way the
  Stripe / Standard Webhooks convention does (HMAC-SHA256 over "{timestamp}.{body}", X-Uwear-Timestamp,
  X-Uwear-Signature). Deliveries wait in `outbox` (deliver, drop, duplicate) or are posted over HTTP.
- Errors: the document publishes no error body; the fake answers FastAPI's shape, {"detail": "..."} and for
  field errors {"detail": [{"loc": ["body", field], "msg": ..., "type": "value_error"}]} with 422.
"""
from __future__ import annotations

import email.parser
import email.policy
import hashlib
import hmac
import itertools
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from tests.factories import image_bytes

from tests.fakes.base import FakeVendorServer, Request, Response, json_response, route

ASSET_LIFETIME = 4 * 3600
ASPECTS_10 = ("21:9", "16:9", "3:2", "4:3", "5:4", "1:1", "4:5", "3:4", "2:3", "9:16")
ASPECTS_VIDEO = ("auto", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
TARGETS = ("720p", "1080p", "1440p", "2160p")
# slug: (use cases, credits low, high, resolutions, aspect ratios, refs, durations, audio, last frame, factors)
CATALOG = {
    "nano-banana-2": ("image", 3, 7, ("1K", "2K", "4K"), ASPECTS_10, 3, None, False, False, ()),
    "nano-banana-pro": ("image", 5, 10, ("1K", "2K", "4K"), ASPECTS_10, 3, None, False, False, ()),
    "gpt-image-2-high": ("image", 12, 12, ("1K", "2K"), ASPECTS_10, 3, None, False, False, ()),
    "gpt-image-2-medium": ("image", 6, 6, ("1K", "2K"), ASPECTS_10, 3, None, False, False, ()),
    "gpt-image-2-low": ("image", 2, 2, ("1K", "2K"), ASPECTS_10, 3, None, False, False, ()),
    "seedream-v4-5": ("image", 2, 2, ("1K", "2K", "4K"), ASPECTS_10, 3, None, False, False, ()),
    "qwen-rapid-aio-v23": ("image", 2, 3, ("768X1024", "1024X1280"), (), 1, None, False, False, ()),
    "gemini-flash": ("image", 1, 1, (), ASPECTS_10, 3, None, False, False, ()),
    "seedvr2": ("upscale", 1, 1, (), (), 0, None, False, False, (2, 4)),
    "aura-sr": ("upscale", 1, 1, (), (), 0, None, False, False, (4,)),
    "seedance-2": ("video", 49, 183, ("720p",), ASPECTS_VIDEO, 9, (4, 15), True, False, ()),
    "kling-3-pro": ("video", 14, 101, (), (), 0, (3, 15), True, True, ()),
    "kling-2-5-turbo-pro": ("video", 14, 26, (), (), 0, (5, 10), False, True, ()),
    "seedance-1-5-pro": ("video", 6, 20, (), (), 0, (5, 10), True, True, ()),
}
FAMILY = {"generate": "image", "edit": "image", "upscale": "upscale", "video": "video"}
DEFAULT_SLUG = {"generate": "nano-banana-2", "edit": "nano-banana-2", "upscale": "seedvr2", "video": "kling-3-pro"}
EVENTS = {"generation.completed", "generation.failed"}
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


class Invalid(Exception):
    def __init__(self, field: str, msg: str):
        super().__init__(msg)
        self.field, self.msg = field, msg


class Missing(Invalid):
    """A referenced object that does not exist (deleted in Uwear's own app, or another key's): 404 with a detail,
    as Uwear answers for an unknown id, rather than a validation error on the field."""


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def invalid(exc: Invalid) -> Response:
    if isinstance(exc, Missing):
        return json_response({"detail": exc.msg}, 404)
    return json_response({"detail": [{"loc": ["body", exc.field], "msg": exc.msg, "type": "value_error"}]}, 422)


@dataclass
class Generation:
    id: int
    key: str
    body: dict
    created: float
    credits: int
    fails: bool = False
    result_ids: list[int] = field(default_factory=list)
    fired: bool = False


@dataclass
class Delivery:
    url: str
    headers: dict[str, str]
    body: bytes


class FakeUwear(FakeVendorServer):
    # Uwear serves its routes at the host root (https://api.uwear.ai/generation); the shared base only routes
    # prefixed paths, so the fake's "host root" is this prefix and accounts point at `fake.url`.
    prefix = "/uwear"

    def __init__(self, keys: dict[str, int] | None = None, *, queued_seconds: float = 5.0,
                 running_seconds: float = 30.0, url_ttl: float = ASSET_LIFETIME, echo_webhook_url: bool = False):
        super().__init__()
        self.balances: dict[str, int] = dict(keys or {"uwear-test-key": 1000})
        self.queued_seconds, self.running_seconds, self.url_ttl = queued_seconds, running_seconds, url_ttl
        self.echo_webhook_url = echo_webhook_url
        self.ids = itertools.count(101)
        self.items: dict[int, dict] = {}
        self.avatars: dict[int, dict] = {}
        self.generations: dict[int, Generation] = {}
        self.results: dict[int, dict] = {}
        self.owner: dict[tuple[str, int], str] = {}
        self.fail_next = 0  # the next N generations end in Error
        self.listing_lag = 0.0  # seconds before a new generation shows in GET /generations
        self.webhooks = "queue"  # "queue", "drop", "duplicate" or "http" (POST them at once)
        self.outbox: list[Delivery] = []
        self.sent_webhooks: list[Delivery] = []
        self._fire_lock = threading.Lock()

    # --- what tests read ---------------------------------------------------------------------------------------
    @property
    def paid_generations(self) -> int:
        return len(self.generations)

    def generation_bodies(self) -> list[dict]:
        return [g.body for g in self.generations.values()]

    def finish_all(self) -> None:
        """Move the clock past every job's run time and fire the webhooks due."""
        self.advance(self.queued_seconds + self.running_seconds + 1)

    def advance(self, seconds: float) -> None:
        super().advance(seconds)
        self.tick()

    def tick(self) -> None:
        for generation in list(self.generations.values()):
            self._observe(generation)

    def take_deliveries(self) -> list[Delivery]:
        with self.lock:
            taken, self.outbox = self.outbox, []
        return taken

    # --- plumbing ------------------------------------------------------------------------------------------------
    def _key(self, req: Request) -> str | None:
        auth = req.header("authorization")
        key = auth[7:] if auth.startswith("Bearer ") else ""
        return key if key in self.balances else None

    def _unauthorized(self) -> Response:
        return json_response({"detail": "Invalid or missing API key"}, 401)

    def _own(self, kind: str, key: str, object_id: str, table: dict) -> dict | Generation | None:
        try:
            number = int(object_id)
        except ValueError:
            return None
        return table.get(number) if self.owner.get((kind, number)) == key else None

    def _new_id(self, kind: str, key: str) -> int:
        number = next(self.ids)
        self.owner[(kind, number)] = key
        return number

    def _page(self, req: Request, rows: list) -> Response:
        try:
            page = max(1, int(req.arg("page", "1")))
            per_page = max(1, min(100, int(req.arg("items_per_page", "20"))))
        except ValueError:
            return json_response({"detail": "page and items_per_page must be integers"}, 422)
        max_page = max(1, -(-len(rows) // per_page))
        return json_response({"current_page": page, "max_page": max_page, "total_count": len(rows),
                              "data": rows[(page - 1) * per_page: page * per_page]})

    def not_found(self, req: Request) -> Response:
        return json_response({"detail": "Not Found"}, 404)

    # --- clothing items ------------------------------------------------------------------------------------------
    @route("POST", "/clothing-item")
    def create_clothing_item(self, req: Request) -> Response:
        key = self._key(req)
        if key is None:
            return self._unauthorized()
        if not req.header("content-type").startswith("multipart/form-data"):
            return invalid(Invalid("clothing_item_name", "this route takes multipart/form-data"))
        form = _multipart(req)
        try:
            name = _required_text(form, "clothing_item_name")
            front = _required_text(form, "clothing_item_url")
            enhance = _form_bool(form.get("use_image_enhancement"), default=True)
        except Invalid as exc:
            return invalid(exc)
        if enhance and not self._charge(key, 1):
            return json_response({"detail": "Insufficient credits"}, 402)
        number = self._new_id("item", key)
        ai_front = f"AI vision: {name}, front view" if enhance else ""
        ai_back = f"AI vision: {name}, back view" if enhance else ""
        now = iso(self.clock())
        self.items[number] = {
            "clothing_item_id": number, "clothing_item_name": name,
            "description": ". ".join(p for p in (ai_front, form.get("description", "")) if p),
            "description_back": ". ".join(p for p in (ai_back, form.get("description_back", "")) if p),
            "clothing_item_url": f"https://app-uwear-prod.s3.us-east-1.amazonaws.com/clothing-items/{number}.png",
            "clothing_item_back_url": (f"https://app-uwear-prod.s3.us-east-1.amazonaws.com/clothing-items/"
                                       f"{number}-back.png" if form.get("clothing_item_back_url") else ""),
            "external_clothing_item_url": front,
            "external_clothing_item_back_url": form.get("clothing_item_back_url", ""),
            "created_at": now, "updated_at": now,
        }
        return json_response(self.items[number])

    @route("GET", "/clothing-items")
    def list_clothing_items(self, req: Request) -> Response:
        key = self._key(req)
        if key is None:
            return self._unauthorized()
        return self._page(req, [i for n, i in sorted(self.items.items()) if self.owner[("item", n)] == key])

    @route("GET", r"/clothing-item/(?P<item_id>[^/]+)")
    def get_clothing_item(self, req: Request, item_id: str) -> Response:
        key = self._key(req)
        if key is None:
            return self._unauthorized()
        item = self._own("item", key, item_id, self.items)
        return json_response(item) if item else self.not_found(req)

    @route("PUT", r"/clothing-item/(?P<item_id>[^/]+)")
    def update_clothing_item(self, req: Request, item_id: str) -> Response:
        key = self._key(req)
        if key is None:
            return self._unauthorized()
        item = self._own("item", key, item_id, self.items)
        if item is None:
            return self.not_found(req)
        body = req.json()
        for name in ("clothing_item_name", "description", "description_back", "clothing_item_url",
                     "clothing_item_back_url"):
            if name in body:
                if not isinstance(body[name], str):
                    return invalid(Invalid(name, "must be a string"))
                item[name] = body[name]
        item["updated_at"] = iso(self.clock())
        return json_response(item)

    @route("DELETE", r"/clothing-item/(?P<item_id>[^/]+)")
    def delete_clothing_item(self, req: Request, item_id: str) -> Response:
        key = self._key(req)
        if key is None:
            return self._unauthorized()
        item = self._own("item", key, item_id, self.items)
        if item is None:
            return self.not_found(req)
        del self.items[item["clothing_item_id"]]
        for generation in list(self.generations.values()):
            if item["clothing_item_id"] in _item_ids(generation.body):
                for result_id in generation.result_ids:
                    self.results.pop(result_id, None)
                del self.generations[generation.id]
        return json_response({"message": "Clothing item deleted successfully"})

    # --- avatars ---------------------------------------------------------------------------------------------------
    @route("POST", "/avatar")
    def create_avatar(self, req: Request) -> Response:
        key = self._key(req)
        if key is None:
            return self._unauthorized()
        body = req.json()
        try:
            name = _required_text(body, "avatar_name")
            url = _required_text(body, "avatar_url")
            description = _avatar_description(body.get("avatar_description"))
            enhance = _bool(body, "avatar_enhancement", False)
        except Invalid as exc:
            return invalid(exc)
        if enhance:  # "AI-generated descriptions will overwrite manual input"
            description = {"body": "AI vision: slim build", "age": 30}
        number = self._new_id("avatar", key)
        now = iso(self.clock())
        self.avatars[number] = {"avatar_id": number, "avatar_name": name, "avatar_url": url,
                                "thumbnail_url": f"https://storage.uwear.ai/avatars/{number}_thumb.jpg",
                                "avatar_description": description, "count_generation_results": 0,
                                "generation_result_id": None, "created_at": now, "updated_at": now}
        return json_response(self.avatars[number])

    @route("GET", "/avatars")
    def list_avatars(self, req: Request) -> Response:
        key = self._key(req)
        if key is None:
            return self._unauthorized()
        return self._page(req, [a for n, a in sorted(self.avatars.items()) if self.owner[("avatar", n)] == key])

    @route("GET", r"/avatar/(?P<avatar_id>[^/]+)")
    def get_avatar(self, req: Request, avatar_id: str) -> Response:
        key = self._key(req)
        if key is None:
            return self._unauthorized()
        avatar = self._own("avatar", key, avatar_id, self.avatars)
        return json_response(avatar) if avatar else self.not_found(req)

    @route("PUT", r"/avatar/(?P<avatar_id>[^/]+)")
    def update_avatar(self, req: Request, avatar_id: str) -> Response:
        key = self._key(req)
        if key is None:
            return self._unauthorized()
        avatar = self._own("avatar", key, avatar_id, self.avatars)
        if avatar is None:
            return self.not_found(req)
        body = req.json()
        try:
            if "avatar_name" in body:
                avatar["avatar_name"] = _required_text(body, "avatar_name")
            if "avatar_description" in body:
                avatar["avatar_description"] = _avatar_description(body["avatar_description"])
        except Invalid as exc:
            return invalid(exc)
        avatar["updated_at"] = iso(self.clock())
        return json_response(avatar)

    @route("DELETE", r"/avatar/(?P<avatar_id>[^/]+)")
    def delete_avatar(self, req: Request, avatar_id: str) -> Response:
        key = self._key(req)
        if key is None:
            return self._unauthorized()
        avatar = self._own("avatar", key, avatar_id, self.avatars)
        if avatar is None:
            return self.not_found(req)
        del self.avatars[avatar["avatar_id"]]
        return json_response({"message": "Avatar deleted successfully"})

    # --- generations -------------------------------------------------------------------------------------------------
    @route("POST", "/generation")
    def create_generation(self, req: Request) -> Response:
        key = self._key(req)
        if key is None:
            return self._unauthorized()
        try:
            body = req.json()
            if not isinstance(body, dict):
                raise Invalid("body", "must be a JSON object")
            slug, credits = self._validate(key, body)
        except json.JSONDecodeError:
            return json_response({"detail": "body is not JSON"}, 400)
        except Invalid as exc:
            return invalid(exc)
        if not self._charge(key, credits):
            return json_response({"detail": "Insufficient credits"}, 402)
        with self.lock:
            number = self._new_id("generation", key)
            fails = self.fail_next > 0
            self.fail_next -= 1 if fails else 0
            self.generations[number] = Generation(number, key, {**body, "model_slug": slug}, self.clock(), credits,
                                                  fails)
        record = self._record(self.generations[number])
        record.pop("generation_results")
        return json_response(record)

    def _validate(self, key: str, body: dict) -> tuple[str, int]:
        use_case = body.get("use_case") or "generate"
        if use_case not in FAMILY:
            raise Invalid("use_case", "must be one of generate, edit, upscale, video")
        slug = body.get("model_slug") or DEFAULT_SLUG[use_case]
        if slug not in CATALOG or CATALOG[slug][0] != FAMILY[use_case]:
            raise Invalid("model_slug", f"unknown model for {use_case}: {slug}")
        family, low, high, resolutions, aspects, refs, durations, audio, last_frame, factors = CATALOG[slug]
        num = body.get("num_images")
        if not isinstance(num, int) or isinstance(num, bool) or not 1 <= num <= 5:
            raise Invalid("num_images", "num_images must be an integer from 1 to 5")
        if use_case == "generate":
            self._validate_try_on(key, body)
        else:
            self._validate_source(key, body)
        if use_case in ("generate", "edit") and not (isinstance(body.get("prompt"), str) and body["prompt"].strip()):
            raise Invalid("prompt", "prompt is required")
        for name in ("camera", "prompt", "image_url", "last_frame_url"):
            if body.get(name) is not None and not isinstance(body[name], str):
                raise Invalid(name, "must be a string")
        if body.get("resolution") is not None and body["resolution"] not in resolutions:
            raise Invalid("resolution", f"{slug} supports resolutions: {', '.join(resolutions) or 'none'}")
        if body.get("aspect_ratio") is not None and body["aspect_ratio"] not in aspects:
            raise Invalid("aspect_ratio", f"{slug} does not support aspect ratio {body['aspect_ratio']}")
        ref_urls = body.get("img_ref_urls") or []
        if not isinstance(ref_urls, list) or not all(isinstance(u, str) for u in ref_urls):
            raise Invalid("img_ref_urls", "must be a list of URLs")
        if len(ref_urls) > (min(refs, 3) if use_case == "edit" else refs):
            raise Invalid("img_ref_urls", f"{slug} accepts at most {refs} reference images")
        fraction = self._validate_options(slug, use_case, body, resolutions, durations, audio, last_frame, factors)
        self._validate_webhook(body)
        return slug, num * round(low + (high - low) * fraction)

    def _validate_try_on(self, key: str, body: dict) -> None:
        ids = _item_ids(body)
        if not ids:
            raise Invalid("clothing_item_id", "clothing_item_id or clothing_item_ids is required for try-on")
        for number in ids:
            if not isinstance(number, int) or self.owner.get(("item", number)) != key or number not in self.items:
                raise Missing("clothing_item_id", "Clothing item not found")
        avatar = body.get("avatar_id")
        if avatar is not None and (self.owner.get(("avatar", avatar)) != key or avatar not in self.avatars):
            raise Missing("avatar_id", "Avatar not found")
        if "enhance_user_prompt" in body and not isinstance(body["enhance_user_prompt"], bool):
            raise Invalid("enhance_user_prompt", "must be a boolean")

    def _validate_source(self, key: str, body: dict) -> None:
        parent, url = body.get("generation_result_parent_id"), body.get("image_url")
        if (parent is None) == (url is None):
            raise Invalid("image_url", "send exactly one of generation_result_parent_id and image_url")
        if parent is not None:
            result = self.results.get(parent) if isinstance(parent, int) else None
            if result is None or self.owner.get(("generation", result["generation_id"])) != key:
                raise Invalid("generation_result_parent_id", f"generation result {parent} not found")

    def _validate_options(self, slug, use_case, body, resolutions, durations, audio, last_frame, factors) -> float:
        if use_case == "upscale":
            if body.get("upscale_factor", 2) not in factors:
                raise Invalid("upscale_factor", f"{slug} supports upscale factors {factors}")
            if body.get("target_resolution", "2160p") != "2160p":  # "target: 4K"
                raise Invalid("target_resolution", f"{slug} targets 2160p")
            return 0.0
        if use_case == "video":
            duration = body.get("duration")
            if not isinstance(duration, int) or not durations[0] <= duration <= durations[1]:
                raise Invalid("duration", f"{slug} supports durations {durations[0]}-{durations[1]} seconds")
            wants_audio = body.get("generate_audio", False)
            if not isinstance(wants_audio, bool) or (wants_audio and not audio):
                raise Invalid("generate_audio", f"{slug} does not generate audio")
            if body.get("last_frame_url") and not last_frame:
                raise Invalid("last_frame_url", f"{slug} does not support a last frame")
            position = (duration - durations[0]) / (durations[1] - durations[0])
            return (position + wants_audio) / 2 if audio else position
        if len(resolutions) > 1 and body.get("resolution") in resolutions:
            return resolutions.index(body["resolution"]) / (len(resolutions) - 1)
        return 0.0

    @staticmethod
    def _validate_webhook(body: dict) -> None:
        url = body.get("webhook_url")
        if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
            raise Invalid("webhook_url", "must be an http(s) URL")
        events = body.get("webhook_events")
        if events is not None and (not isinstance(events, list) or not set(events) <= EVENTS):
            raise Invalid("webhook_events", "supported values are generation.completed and generation.failed")
        if body.get("webhook_secret") is not None and not isinstance(body["webhook_secret"], str):
            raise Invalid("webhook_secret", "must be a string")

    def _charge(self, key: str, credits: int) -> bool:
        with self.lock:
            if self.balances[key] < credits:
                return False
            self.balances[key] -= credits
            return True

    # --- status walk ------------------------------------------------------------------------------------------------
    def _status(self, generation: Generation) -> str:
        age = self.clock() - generation.created
        if age < self.queued_seconds:
            return "Created"
        if age < self.queued_seconds + self.running_seconds:
            return "Ongoing"
        return "Error" if generation.fails else "Done"

    def _done_at(self, generation: Generation) -> float:
        return generation.created + self.queued_seconds + self.running_seconds

    def _observe(self, generation: Generation) -> str:
        status = self._status(generation)
        if status == "Done" and not generation.result_ids:
            with self.lock:
                if not generation.result_ids:
                    video = generation.body.get("use_case") == "video"
                    for index in range(generation.body["num_images"]):
                        number = self._new_id("result", generation.key)
                        data = MP4 if video else image_bytes(64 + index, 96, (30 * index % 255, 120, 90))
                        self.results[number] = {"generation_result_id": number, "generation_id": generation.id,
                                                "kind": "Video" if video else "Image", "data": data,
                                                "created": self._done_at(generation)}
                        generation.result_ids.append(number)
        if status in ("Done", "Error"):
            self._fire(generation, status)
        return status

    def _result(self, number: int, generation: Generation) -> dict:
        result = self.results[number]
        remaining = result["created"] + ASSET_LIFETIME - self.clock()
        video = result["kind"] == "Video"
        url = (self.publish_file(result["data"], "video/mp4" if video else "image/png",
                                 ttl=min(self.url_ttl, remaining), name=f"{number}.{'mp4' if video else 'png'}")
               if remaining > 0 else
               f"{self.origin}/_files/expired/{number}.png?Expires=0&Signature=0")
        return {"generation_result_id": number, "generation_id": generation.id, "url": url, "kind": result["kind"],
                "created_at": iso(result["created"]), "updated_at": iso(result["created"]),
                "clothing_item_id": (_item_ids(generation.body) or [None])[0], "available": remaining > 0,
                "origin": "api"}

    def _record(self, generation: Generation) -> dict:
        status = self._observe(generation)
        echoed = {k: v for k, v in generation.body.items() if k in (
            "prompt", "camera", "model_slug", "use_case", "resolution", "aspect_ratio", "image_url", "duration",
            "generate_audio", "upscale_factor", "target_resolution", "last_frame_url")
            or (k == "webhook_url" and self.echo_webhook_url)}
        updated = self._done_at(generation) if status in ("Done", "Error") else generation.created
        return {"generation_id": generation.id, "clothing_item_id": (_item_ids(generation.body) or [None])[0],
                "clothing_item_ids": _item_ids(generation.body), "num_images": generation.body["num_images"],
                "payload": json.dumps(echoed), "status": status,
                "feature_name": f"model:{generation.body['model_slug']}", "created_at": iso(generation.created),
                "updated_at": iso(updated), "avatar_id": generation.body.get("avatar_id"),
                "generation_results": [self._result(n, generation) for n in generation.result_ids if n in self.results]}

    @route("GET", r"/generation/(?P<generation_id>[^/]+)")
    def get_generation(self, req: Request, generation_id: str) -> Response:
        key = self._key(req)
        if key is None:
            return self._unauthorized()
        generation = self._own("generation", key, generation_id, self.generations)
        return json_response(self._record(generation)) if generation else self.not_found(req)

    @route("GET", "/generations")
    def list_generations(self, req: Request) -> Response:
        key = self._key(req)
        if key is None:
            return self._unauthorized()
        # A listing that lags behind the jobs (listing_lag seconds), as a search index or a read replica would.
        visible_before = self.clock() - self.listing_lag
        records = [self._record(g) for g in list(self.generations.values())
                   if g.key == key and g.created <= visible_before]
        status = req.arg("status")
        if status and status not in ("Done", "Created", "Ongoing", "Error"):
            return invalid(Invalid("status", "must be one of Done, Created, Ongoing, Error"))
        for name in ("status", "feature_name", "external_id", "batch_id"):
            if req.arg(name):
                records = [r for r in records if str(r.get(name)) == req.arg(name)]
        field_name, _, direction = (req.arg("sort") or "created_at:desc").partition(":")
        records.sort(key=lambda r: (r.get(field_name) or "", r["generation_id"]), reverse=direction != "asc")
        return self._page(req, records)

    @route("GET", "/generation-results")
    def list_results(self, req: Request) -> Response:
        key = self._key(req)
        if key is None:
            return self._unauthorized()
        wanted_generations = {int(v) for v in req.query.get("generation_ids", []) if v.isdigit()}
        wanted_items = {int(v) for v in req.query.get("clothing_item_ids", []) if v.isdigit()}
        rows = []
        for generation in self.generations.values():
            if generation.key != key or (wanted_generations and generation.id not in wanted_generations):
                continue
            self._observe(generation)
            if wanted_items and not wanted_items & set(_item_ids(generation.body)):
                continue
            rows += [self._result(n, generation) for n in generation.result_ids if n in self.results]
        return self._page(req, rows)

    @route("GET", r"/generation-result/(?P<result_id>[^/]+)")
    def get_result(self, req: Request, result_id: str) -> Response:
        key = self._key(req)
        if key is None:
            return self._unauthorized()
        if not result_id.isdigit() or int(result_id) not in self.results:
            return self.not_found(req)
        generation = self.generations.get(self.results[int(result_id)]["generation_id"])
        if generation is None or generation.key != key:
            return self.not_found(req)
        return json_response(self._result(int(result_id), generation))

    # --- webhooks ---------------------------------------------------------------------------------------------------
    def _fire(self, generation: Generation, status: str) -> None:
        body = generation.body
        event = "generation.completed" if status == "Done" else "generation.failed"
        with self._fire_lock:
            if generation.fired or not body.get("webhook_url"):
                return
            generation.fired = True
            if event not in (body.get("webhook_events") or EVENTS) or self.webhooks == "drop":
                return
            data = {"generation_id": generation.id, "status": status,
                    "results": [self._result(n, generation) for n in generation.result_ids]}
            delivery = self.signed(body["webhook_url"], {"event": event, "created_at": iso(self.clock()),
                                                         "data": data}, body.get("webhook_secret") or "")
        copies = 2 if self.webhooks == "duplicate" else 1
        if self.webhooks == "http":
            self.post(delivery)
        else:
            with self.lock:
                self.outbox.extend([delivery] * copies)

    def signed(self, url: str, payload: dict, secret: str, timestamp: int | None = None) -> Delivery:
        raw = json.dumps(payload).encode()
        stamp = str(int(timestamp if timestamp is not None else datetime.now(UTC).timestamp()))
        signature = hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
        return Delivery(url, {"Content-Type": "application/json", "X-Uwear-Timestamp": stamp,
                              "X-Uwear-Signature": signature}, raw)

    def post(self, delivery: Delivery) -> int:
        self.sent_webhooks.append(delivery)
        try:
            return httpx.post(delivery.url, content=delivery.body, headers=delivery.headers, timeout=10).status_code
        except httpx.HTTPError:
            return 0


def _item_ids(body: dict) -> list:
    if body.get("clothing_item_ids"):
        return list(body["clothing_item_ids"])
    return [body["clothing_item_id"]] if body.get("clothing_item_id") is not None else []


def _multipart(req: Request) -> dict[str, str]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + req.header("content-type").encode() + b"\r\n\r\n" + req.body)
    form = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            data = part.get_payload(decode=True)
            # Fields without their own Content-Type are text in UTF-8 (RFC 7578 §5.1.2); files stay bytes.
            form[name] = data if part.get_filename() else data.decode("utf-8")
    return form


def _required_text(data: dict, name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(name, f"{name} is required")
    return value


def _form_bool(value, default: bool) -> bool:
    if value is None:
        return default
    if str(value).lower() in ("true", "1"):
        return True
    if str(value).lower() in ("false", "0"):
        return False
    raise Invalid("use_image_enhancement", "must be a boolean")


def _bool(body: dict, name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise Invalid(name, "must be a boolean")
    return value


def _avatar_description(value) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"body", "age"}:
        raise Invalid("avatar_description", "must be an object { body, age }")
    if "age" in value and not isinstance(value["age"], int):
        raise Invalid("avatar_description", "age must be an integer")
    if "body" in value and not isinstance(value["body"], str):
        raise Invalid("avatar_description", "body must be a string")
    return value
