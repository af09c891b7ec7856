"""Huhu Studio services beyond one generation: import the model gallery, sync the pose library, create custom poses,
mirror the credit history into our ledger, and generate faces / model images / poses and save chosen results to a
model. Each takes a VendorAccount; the HTTP calls go through the adapter's client (vendors/http.py) and every
vendor file is fetched with the guarded downloader, then checked like an upload before it is stored.

Documents: seeds/001 §5.2 (credit history), §5.7-5.9 (models), §5.14-5.17 (faces, model images, polling),
§5.17-5.20 (poses); 000 for the same endpoints in brief.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from catalog import images, uploads
from catalog.models import (CropType, FashionModel, GarmentImage, ModelImage, ModelSize, ModelType, Pose, Program,
                            PromptType, ViewType, _media_name, thumbnail_upload_to)

from generations.models import CreditEntry, CreditKind, VendorAccount
from generations.vendors import http
from generations.vendors.huhu import payloads as p
from generations.vendors.base import GenerationFailed, Unavailable, ValidationFailed, VendorError
from generations.vendors.huhu.adapter import HuhuAdapter
from generations.vendors.huhu.catalog import ref, save_ref

ATTRIBUTES = ("ethnicity", "age_range", "hair_color", "hair_style", "skin_tone", "eye_color")
MODEL_FILTERS = ("model_type", "model_size", "ethnicity", "age_range", "hair_color", "skin_tone")  # 001 §5.8


def adapter_for(account: VendorAccount) -> HuhuAdapter:
    return HuhuAdapter(account)


def _download(url: str) -> tuple[bytes, images.CheckedImage]:
    data = http.fetch_public(url).data
    try:
        return data, images.check_image(data)
    except images.RejectedImage as exc:
        raise ValidationFailed(f"Huhu's image {exc}") from None


def _model_image(model: FashionModel, data: bytes, checked: images.CheckedImage, row: dict) -> ModelImage:
    image = ModelImage(fashion_model=model, view_type=_choice(row.get("view_type"), ViewType.choices),
                       crop_type=_choice(row.get("crop_type"), CropType.choices))
    return uploads.store(image, data, checked, kind="model")  # our storage name, dimensions, thumbnail queued


def _choice(value, choices, default=""):
    return value if value in {c for c, _ in choices} else default


# --- Programs and projects (001 §5.3-5.6) ----------------------------------------------------------------------
def link_project(account: VendorAccount, project) -> tuple[str, str]:
    """(Huhu program id, Huhu project id) for our project: linked by name when Huhu has them, else created; kept
    as VendorReferences so every later task reuses them."""
    adapter = adapter_for(account)
    try:
        program_id = adapter.program_id(project.program)
        return program_id, adapter.project_id(project, program_id)
    finally:
        adapter.close()


# --- Models (001 §5.8, §5.9) -----------------------------------------------------------------------------------
def import_models(account: VendorAccount, program: Program, **filters) -> list[FashionModel]:
    """GET /model with attribute filters → FashionModels of `program`; each model's images (GET /model?model_id=)
    copied into our storage with their view and crop types. Re-running updates, never duplicates."""
    adapter = adapter_for(account)
    try:
        params = {k: v for k, v in filters.items() if k in MODEL_FILTERS and v}
        params["program_id"] = adapter.program_id(program)
        body = adapter.client.get("/model", params=params)
        return [_import_model(adapter, program, row, params["program_id"]) for row in body.get("models") or []]
    finally:
        adapter.close()


def _import_model(adapter: HuhuAdapter, program: Program, row: dict, program_id: str) -> FashionModel:
    existing = adapter.account.references.filter(kind="huhu_model", vendor_id=str(row["model_id"])).first()
    model = existing.target if existing and existing.target else FashionModel(program=program)
    attributes = row.get("attributes") or {}
    model.name = str(row.get("model_name") or "Huhu model")[:200]
    model.model_type = _choice(row.get("model_type"), ModelType.choices, ModelType.WOMEN)
    model.model_size = _choice(row.get("model_size"), ModelSize.choices, ModelSize.REGULAR)
    for name in ATTRIBUTES:
        setattr(model, name, str(attributes.get(name) or "")[:60])
    model.save()
    save_ref(adapter.account, model, "huhu_model", str(row["model_id"]), raw={"program_id": program_id})
    body = adapter.client.get("/model", params={"model_id": row["model_id"], "program_id": program_id})
    for image in body.get("model_images") or []:
        _import_model_image(adapter, model, image)
    return model


def _import_model_image(adapter: HuhuAdapter, model: FashionModel, row: dict) -> ModelImage | None:
    image_id = str(row.get("model_image_id") or "")
    if not image_id or not row.get("model_image_url"):
        return None
    if adapter.account.references.filter(kind="huhu_model_image", vendor_id=image_id).exists():
        return None
    image = _model_image(model, *_download(row["model_image_url"]), row)
    save_ref(adapter.account, image, "huhu_model_image", image_id,
             raw={"model_id": row.get("model_id"), "style_id": row.get("style_id")})
    return image


# --- Poses (001 §5.17-5.19) ------------------------------------------------------------------------------------
def sync_pose_library(account: VendorAccount, *, model_category: str = "", prompt_type: str = "") -> list[Pose]:
    """GET /pose/library → shared preset Poses (no program). The reference URL is kept on the account's reference:
    POST /model/pose takes it as reference_image (001 §5.17 "Use reference_image_url ... as reference_image")."""
    adapter = adapter_for(account)
    try:
        params = {k: v for k, v in (("model_category", model_category), ("prompt_type", prompt_type)) if v}
        rows = adapter.client.get("/pose/library", params=params).get("poses") or []
    finally:
        adapter.close()
    poses = []
    for row in rows:
        found = account.references.filter(kind="huhu_pose", vendor_id=str(row["pose_id"])).first()
        pose = found.target if found and found.target else Pose(program=None, is_preset=True)
        pose.name = str(row.get("pose_name") or "Pose")[:200]
        pose.category = row.get("model_category") or pose.category
        pose.prompt_type = _choice(row.get("prompt_type"), PromptType.choices, PromptType.FULLBODY)
        pose.prompt = pose.prompt or pose.name
        pose.save()
        save_ref(account, pose, "huhu_pose", str(row["pose_id"]),
                 raw={"reference_image_url": row.get("reference_image_url"), "sketch_url": row.get("sketch_url")})
        poses.append(pose)
    return poses


def create_custom_pose(account: VendorAccount, program: Program, title: str, image_data: bytes) -> Pose:
    """POST /pose: Huhu extracts the pose prompt from the picture; we keep it as the Pose's prompt (001 §5.19)."""
    checked = images.check_image(image_data)
    adapter = adapter_for(account)
    try:
        body = adapter.client.post("/pose", json={"reference_image": p.b64(image_data), "pose_title": title,
                                                  "program_id": adapter.program_id(program)})
    finally:
        adapter.close()
    pose = Pose(program=program, name=str(body.get("pose_title") or title)[:200], is_preset=False,
                prompt=str(body.get("pose_prompt") or ""))
    uploads.store(pose, image_data, checked, kind="pose", file_field="reference_image")
    save_ref(account, pose, "huhu_pose", str(body["pose_id"]), raw={"pose_prompt": body.get("pose_prompt")})
    return pose


# --- Credit history (001 §5.2) ---------------------------------------------------------------------------------
def sync_credit_history(account: VendorAccount, program: Program | None = None) -> int:
    """Every page (pagination_token) into CreditEntry(kind=sync), once per request_id. Returns how many were new.

    The history is per program (001 §5.2; 000 "Get paginated credit usage history for a program", "uses key default
    if omitted"). Without `program`, every program the studio uses with this account is read: the pinned one, or each
    one it linked or created — the key's default program may hold none of the studio's charges, or not exist."""
    adapter = adapter_for(account)
    try:
        if program is not None:
            program_ids = [adapter.program_id(program)]
        else:
            program_ids = studio_program_ids(account)
        if not program_ids:
            raise ValidationFailed("no Huhu program is linked to this account yet: nothing of the studio's can be in "
                                   "a credit history (run a generation, or pin the account to a program)")
        items = [item for program_id in program_ids
                 for item in adapter.paged("/metering/credit-history", "items", {"program_id": program_id})]
    finally:
        adapter.close()
    new = 0
    for item in items:
        request_id = str(item.get("request_id") or "")[:200]
        if not request_id:
            continue
        try:
            with transaction.atomic():
                _, created = CreditEntry.objects.get_or_create(
                    account=account, kind=CreditKind.SYNC, external_id=request_id,
                    defaults={"team_id": account.team_id, "credits": Decimal(str(item.get("credits") or 0)),
                              "operation": str(item.get("operation") or "")[:60],
                              "note": f"{item.get('request_source') or 'api'} at {item.get('timestamp')} ms"[:300]})
        except IntegrityError:
            created = False
        new += created
    return new


def studio_program_ids(account: VendorAccount) -> list[str]:
    """The Huhu programs the studio uses with this account: the pinned one, else those it linked or created."""
    pinned = (account.settings or {}).get("program_id")
    if pinned:
        return [str(pinned)]
    return sorted(set(account.references.filter(kind="huhu_program").values_list("vendor_id", flat=True)))


# --- Generating faces, model images and poses (001 §5.14-5.16, §5.20) ------------------------------------------
@dataclass
class GeneratedImage:
    model_image_id: str
    url: str


def generate_faces(account: VendorAccount, program: Program, prompt: str, *, mode: str = "variety",
                   num_images: int = 1) -> str:
    return _start(account, program, "/model/face", {"prompt": prompt, "mode": mode, "num_output_images": num_images})


def generate_model_images(account: VendorAccount, program: Program, prompt: str, *, reference_image: str = "",
                          num_images: int = 1) -> str:
    payload = {"prompt": prompt, "num_output_images": num_images}
    if reference_image:
        payload["reference_image"] = reference_image
    return _start(account, program, "/model/image", payload)


def generate_pose(account: VendorAccount, program: Program, prompt: str, reference_image: str) -> str:
    return _start(account, program, "/model/pose", {"prompt": prompt, "reference_image": reference_image})


def _start(account, program, path: str, payload: dict) -> str:
    adapter = adapter_for(account)
    try:
        payload["program_id"] = adapter.program_id(program)
        body = adapter.client.post(path, json=payload)
    finally:
        adapter.close()
    if not body.get("request_id"):
        raise Unavailable("Huhu accepted the request without returning a request_id")
    return str(body["request_id"])


def wait_for_images(account: VendorAccount, program: Program, request_id: str, *, timeout: float = 300.0,
                    interval: float = 5.0) -> list[GeneratedImage]:
    """Poll GET /model/image?request_id= until "Generation Completed" (001 §5.16: "every 5-10 seconds")."""
    adapter = adapter_for(account)
    deadline = time.monotonic() + timeout
    try:
        program_id = adapter.program_id(program)
        while True:
            results = _poll(adapter, program_id, request_id)
            if results is not None:
                return results
            if time.monotonic() + interval > deadline:
                raise Unavailable(f"Huhu request {request_id} did not finish within {timeout:.0f} s")
            time.sleep(interval)
    finally:
        adapter.close()


def poll_images(account: VendorAccount, program: Program, request_id: str) -> list[GeneratedImage] | None:
    """One GET /model/image?request_id= (001 §5.16): the images once "Generation Completed", None while Huhu is
    still working, GenerationFailed for "Generation Failed". For jobs that re-queue themselves instead of sleeping;
    a completed request answers again with freshly signed URLs."""
    adapter = adapter_for(account)
    try:
        return _poll(adapter, adapter.program_id(program), request_id)
    finally:
        adapter.close()


def _poll(adapter: HuhuAdapter, program_id: str, request_id: str) -> list[GeneratedImage] | None:
    # The program the request was made in (_start sends the same one): 001 §5.16 lists program_id, and without it
    # Huhu looks in the key's default program, or answers 400 when the key has none (001 §3).
    body = adapter.client.get("/model/image", params={"request_id": request_id, "program_id": program_id})
    state = p.job_state(body.get("status"))
    if state == "failed":
        raise GenerationFailed(f"Huhu reports {body.get('status')} for request {request_id}")
    results = p.parse_generated_images(body)
    if state == "completed" and results:
        return [GeneratedImage(r.result_id, r.url) for r in results]
    return None


def store_candidate(result: GeneratedImage) -> dict:
    """Our copy of one generated image and its thumbnail, made as soon as Huhu has it: the signed URL expires, and
    pages show only our storage. Returns the candidate as a HuhuImageRequest keeps it in `results`."""
    data = http.fetch_public(result.url).data
    try:
        checked, thumbnail = images.check_and_thumbnail(data)
    except images.RejectedImage as exc:
        raise ValidationFailed(f"Huhu's image {exc}") from None
    file = default_storage.save(_media_name("huhu", f"candidate.{checked.extension}"), ContentFile(data))
    thumb = default_storage.save(thumbnail_upload_to(None, "thumb.webp"), ContentFile(thumbnail))
    return {"model_image_id": result.model_image_id, "url": result.url, "file": file, "thumbnail": thumb,
            "width": checked.width, "height": checked.height}


def save_to_model(account: VendorAccount, model: FashionModel, result: GeneratedImage) -> ModelImage:
    """POST /model/image in upload mode (model_id + style_id + image_url, 001 §5.15 Mode 2): Huhu detects view and
    crop types; we store our own copy with them. The Huhu model is created first if ours has none (§5.7)."""
    adapter = adapter_for(account)
    try:
        program_id = adapter.program_id(model.program)
        model_id = _huhu_model_id(adapter, model, program_id)
        body = adapter.client.post("/model/image", json={
            "model_id": model_id, "style_id": _style_id(adapter, model, model_id, program_id), "image_url": result.url,
            "program_id": program_id})
        data, checked = _download(body.get("image_url") or result.url)
    finally:
        adapter.close()
    image = _model_image(model, data, checked, body)
    save_ref(account, image, "huhu_model_image", str(body.get("image_id") or result.model_image_id),
             raw={"model_id": model_id, "source": result.model_image_id})
    return image


def gallery_image_id(account: VendorAccount, image: ModelImage) -> str:
    """The Huhu gallery id of one of our model images, for reference_image (POST /model/pose takes only a "Model
    image ID from gallery", 001 §5.20). Imported and saved images already have it; any other is uploaded once to its
    model's Huhu gallery (POST /model/image upload mode with file_data, §5.15 Mode 2; no credits)."""
    found = ref(account, image, "huhu_model_image")
    if found:
        return found.vendor_id
    with image.image.open("rb") as fh:
        data = fh.read()
    adapter = adapter_for(account)
    try:
        program_id = adapter.program_id(image.fashion_model.program)
        model_id = _huhu_model_id(adapter, image.fashion_model, program_id)
        style_id = _style_id(adapter, image.fashion_model, model_id, program_id)
        body = adapter.client.post("/model/image", json={"model_id": model_id, "style_id": style_id,
                                                         "file_data": p.b64(data), "program_id": program_id})
    finally:
        adapter.close()
    if not body.get("image_id"):
        raise Unavailable("Huhu accepted the upload without returning an image_id")
    return save_ref(account, image, "huhu_model_image", str(body["image_id"]),
                    raw={"model_id": model_id, "style_id": style_id}).vendor_id


def _huhu_model_id(adapter: HuhuAdapter, model: FashionModel, program_id: str) -> str:
    found = ref(adapter.account, model, "huhu_model")
    if found:
        return found.vendor_id
    attributes = {name: getattr(model, name) for name in ATTRIBUTES if getattr(model, name)}
    body = adapter.client.post("/model", json={"model_name": model.name, "model_type": model.model_type,
                                               "model_size": model.model_size, "attributes": attributes,
                                               "program_id": program_id})
    return save_ref(adapter.account, model, "huhu_model", str(body["model_id"]), raw={"program_id": program_id}).vendor_id


def _style_id(adapter: HuhuAdapter, model: FashionModel, model_id: str, program_id: str) -> str:
    """style_id is required in upload mode (001 §5.15 Mode 2), and the documents never say how a style is made: a
    Style lives in a Program (001 §4) and shows up only as the style_id of gallery images (GET /model?model_id=,
    §5.9). So, in order: the style of an image of this model we imported or saved; the styles Huhu lists for this
    model; the Huhu style the team chose for the account (settings["style_id"]). Never an invented one: without any
    of these the save stops and says what is missing."""
    from django.contrib.contenttypes.models import ContentType

    refs = adapter.account.references.filter(kind="huhu_model_image",
                                             content_type=ContentType.objects.get_for_model(ModelImage),
                                             object_id__in=model.images.values_list("pk", flat=True))
    for image_ref in refs:
        if image_ref.raw.get("style_id"):
            return str(image_ref.raw["style_id"])
    listed = adapter.client.get("/model", params={"model_id": model_id, "program_id": program_id})
    for row in listed.get("model_images") or []:
        if row.get("style_id"):
            return str(row["style_id"])
    chosen = (adapter.account.settings or {}).get("style_id")
    if chosen:
        return str(chosen)
    raise ValidationFailed(f"Huhu needs a style to save an image to the model {model.name} (style_id, 001 §5.15), and "
                           "none is known: the model has no image on Huhu yet and the account names no Huhu style. "
                           "Import a model with its images from Huhu, or set the Huhu style id on the account.")


# --- Garment classification read-back (001 §5.10) ----------------------------------------------------------------
CLASSIFIED = ("garment_type", "view", "presentation")


@dataclass
class Classified:
    """One of our garment images beside Huhu's AI classification of it (a huhu_garment_image reference)."""

    garment: GarmentImage
    huhu: dict  # garment_type, view, presentation (and accessory_sub_type) as Huhu reported them
    decision: str  # "" (undecided), "huhu" or "ours"

    @property
    def differs(self) -> dict[str, tuple[str, str]]:
        return {name: (getattr(self.garment, name), str(self.huhu.get(name) or "")) for name in CLASSIFIED
                if self.huhu.get(name) and str(self.huhu[name]) != getattr(self.garment, name)}


def read_classification(account: VendorAccount, sku) -> list[Classified]:
    """GET /sku detail (001 §5.10: "includes AI-classified garment images", each with garment_type, view and
    presentation) → one huhu_garment_image reference per garment image: Huhu's image_id and its classification.
    Huhu's rows are matched to ours by content (the file Huhu serves has our checksum), the rest in zip order (the
    zip lists a SKU's images in our order; 001 does not say Huhu keeps it, nor that it keeps the bytes: it may
    re-encode them, "assets/sku_images/xxx.png"). A person's earlier decision stands while Huhu's answer is the same."""
    adapter = adapter_for(account)
    try:
        sku_id = adapter.sku_id(sku)
        if not sku_id:
            raise ValidationFailed(f"SKU {sku.code} is not on Huhu yet: its garment images go up with its first "
                                   "try-on")
        program_id, project_id = adapter.ids_for(sku)
        body = adapter.client.get("/sku", params={"program_id": program_id, "project_id": project_id,
                                                  "sku_id": sku_id})
    finally:
        adapter.close()
    rows = next((s.get("garment_images") or [] for s in body.get("skus") or [] if str(s.get("sku_id")) == sku_id), [])
    ours = list(sku.garment_images.all())
    pairs, left = [], list(rows)
    for garment in list(ours):
        for row in left:
            if row.get("image_url") and _checksum(row["image_url"]) == garment.checksum:
                pairs.append((garment, row))
                left.remove(row)
                ours.remove(garment)
                break
    pairs += list(zip(ours, left))
    out = []
    for garment, row in pairs:
        huhu = {k: row.get(k) for k in (*CLASSIFIED, "accessory_sub_type", "garment_id") if row.get(k) is not None}
        old = ref(account, garment, "huhu_garment_image")
        decision = old.raw.get("decision", "") if old is not None and old.raw.get("huhu") == huhu else ""
        save_ref(account, garment, "huhu_garment_image", str(row.get("image_id") or ""),
                 raw={"huhu": huhu, "decision": decision, "sku_id": sku_id})
        out.append(Classified(garment, huhu, decision))
    return out


def _checksum(url: str) -> str:
    import hashlib

    try:
        return hashlib.sha256(http.fetch_public(url).data).hexdigest()
    except VendorError:  # an expired or refused link only loses the content match
        return ""


def classifications(account: VendorAccount, sku) -> list[Classified]:
    """What read_classification kept, without asking Huhu (for the SKU page)."""
    from django.contrib.contenttypes.models import ContentType

    garments = {g.pk: g for g in sku.garment_images.all()}
    rows = account.references.filter(kind="huhu_garment_image", object_id__in=list(garments),
                                     content_type=ContentType.objects.get_for_model(GarmentImage))
    return [Classified(garments[r.object_id], r.raw.get("huhu") or {}, r.raw.get("decision", "")) for r in rows]


def decide_classification(account: VendorAccount, garment: GarmentImage, choice: str) -> None:
    """A person's choice where Huhu's classification and ours differ: "huhu" copies Huhu's values onto our garment
    image (those our vocabulary has), "ours" keeps ours. Either way the question is closed until Huhu's answer
    changes. Huhu keeps its own per-image classification: the documents offer no call to change it (PUT /sku sets
    only the SKU's garment_type, which the try-on sends anyway)."""
    from catalog.models import GarmentType, GarmentView, Presentation

    found = ref(account, garment, "huhu_garment_image")
    if found is None or choice not in ("huhu", "ours"):
        raise ValidationFailed("There is no Huhu classification of this image to decide on.")
    if choice == "huhu":
        huhu = found.raw.get("huhu") or {}
        for name, choices in (("garment_type", GarmentType), ("view", GarmentView), ("presentation", Presentation)):
            if huhu.get(name) in choices.values:
                setattr(garment, name, huhu[name])
        garment.save(update_fields=list(CLASSIFIED))
    found.raw = {**found.raw, "decision": choice}
    found.save(update_fields=["raw"])
