"""Uwear clothing items and avatars as VendorReferences (seed 002, "Clothing Items", "Avatars").

"Create or find one clothing item per garment before generation. Reuse existing clothing_item_id values when the
garment was already uploaded" and "Store clothing_item_id beside your SKU" (Agent Workflow Guide): each SKU keeps
one clothing item per account, each FashionModel one avatar. Creation is recorded first (a reference row with an
empty vendor id, claimed with a compare-and-set), so two workers never create the same garment twice, and a worker
that died mid-call is followed by a lookup in Uwear's listing (our names carry the object's id) before any new
upload. Uwear's AI descriptions are copied onto the SKU (when it has none) and stay editable through
update_clothing_item.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from catalog.models import SKU, FashionModel, GarmentView

from generations.models import VendorReference
from generations.vendors.base import OutcomeUnknown, Unavailable, ValidationFailed, VendorError
from generations.vendors.uwear.wire import Page, public_url

if TYPE_CHECKING:
    from generations.vendors.uwear.adapter import UwearAdapter

CLOTHING_ITEM = "uwear_clothing_item"
AVATAR = "uwear_avatar"
# A creation claimed longer ago than this without an id is taken as a crashed worker's: look it up, then retry.
STALE_CLAIM = timedelta(minutes=2)
# After a create whose answer was lost, a lookup that finds nothing waits this long (a listing can lag) before the
# item is created again; within the engine's retry budget.
LOST_SETTLE = timedelta(seconds=10)
AGE_FOR_RANGE = {"Young": 20, "Young Adult": 27, "Middle-aged": 45, "Mature": 55, "Senior": 68}
AGE_FOR_TYPE = {"Baby": 1, "Toddler": 3, "Kid": 8}


# --- the reference rows -----------------------------------------------------------------------------------------
def reference(account, kind: str, obj) -> VendorReference | None:
    content_type = ContentType.objects.get_for_model(obj)
    return VendorReference.objects.filter(account=account, kind=kind, content_type=content_type, object_id=obj.pk,
                                          key="").exclude(vendor_id="").first()


def _create_once(account, kind: str, obj, name: str, create: Callable[[], dict], id_field: str,
                 listing: Callable[[int], Page]) -> VendorReference:
    ref, _ = VendorReference.objects.get_or_create(
        account=account, kind=kind, content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk, key="",
        defaults={"vendor_id": ""})
    if ref.vendor_id:
        return ref
    now = timezone.now()
    claimed = VendorReference.objects.filter(pk=ref.pk, vendor_id="").exclude(raw__has_key="creating_since") \
        .update(raw={"creating_since": now.isoformat(), "name": name})
    if not claimed:
        ref.refresh_from_db()
        if ref.vendor_id:
            return ref
        since, lost_at = ref.raw.get("creating_since", ""), ref.raw.get("lost_at", "")
        if not lost_at and since and now - datetime.fromisoformat(since) < STALE_CLAIM:
            raise Unavailable(f"another worker is creating the Uwear {kind.split('_', 1)[1].replace('_', ' ')}")
        # The last create's answer was lost (or its worker died): Uwear may have made it. Find it by our name
        # before anything is made again (it costs a credit with image enhancement), giving the listing a moment.
        found = _find_by_name(listing, name)
        if found is not None:
            return _save(ref, str(found[id_field]), found)
        if lost_at and now - datetime.fromisoformat(lost_at) < LOST_SETTLE:
            raise Unavailable(f"looking for the Uwear {kind.split('_', 1)[1].replace('_', ' ')} whose creation "
                              f"answer was lost before creating it again")
        taken_over = VendorReference.objects.filter(pk=ref.pk, vendor_id="", raw__creating_since=since).update(
            raw={"creating_since": now.isoformat(), "name": name})
        if not taken_over:
            raise Unavailable("another worker took over creating it")
    try:
        created = create()
    except OutcomeUnknown:
        # Sent, answer lost: Uwear may have created it. The claim stays, marked, so the next try (within the
        # engine's retry budget, not after STALE_CLAIM) looks it up by name first and creates it only if absent.
        VendorReference.objects.filter(pk=ref.pk, vendor_id="").update(
            raw={"creating_since": now.isoformat(), "name": name, "lost_at": timezone.now().isoformat()})
        raise
    except VendorError:
        # An answer (a refusal, a 500, a 429) or a request that never left: nothing was created, free the claim.
        VendorReference.objects.filter(pk=ref.pk, vendor_id="").update(raw={})
        raise
    return _save(ref, str(created[id_field]), created)


def _save(ref: VendorReference, vendor_id: str, raw: dict) -> VendorReference:
    ref.vendor_id, ref.raw = vendor_id, raw
    ref.save(update_fields=["vendor_id", "raw"])
    return ref


def _find_by_name(listing: Callable[[int], Page], name: str) -> dict | None:
    for item in _walk(listing):
        if item.get("clothing_item_name", item.get("avatar_name")) == name:
            return item
    return None


def _walk(listing: Callable[[int], Page], max_pages: int = 50) -> Iterator[dict]:
    for number in range(1, max_pages + 1):
        page = listing(number)
        yield from page.items
        if number >= page.max_page or not page.items:
            return


# --- clothing items ---------------------------------------------------------------------------------------------
def clothing_item_name(sku: SKU) -> str:
    label = f"{sku.code} · {sku.name}" if sku.name else sku.code
    return f"{label} #{sku.pk}"


def _garment_images(sku: SKU):
    images = list(sku.garment_images.all())
    if not images:
        raise ValidationFailed(f"SKU {sku.code} has no garment image to create a Uwear clothing item from")
    front = next((g for g in images if g.view == GarmentView.FRONT), images[0])
    back = next((g for g in images if g.view == GarmentView.BACK), None)
    return front, back


def _image_fields(front, back) -> dict[str, str]:
    """POST /clothing-item takes "image URLs or uploaded files", but names only the URL fields (clothing_item_url
    required, clothing_item_back_url optional: "if not provided, front image will be used for back shots"); the
    file parts' names are not documented. So the form carries our stored images' URLs. Switch to file parts here,
    and only here, once Uwear names them."""
    fields = {"clothing_item_url": public_url(front.image)}
    if back is not None:
        fields["clothing_item_back_url"] = public_url(back.image)
    return fields


def ensure_clothing_item(adapter: UwearAdapter, sku: SKU, *, use_image_enhancement: bool | None = None,
                         description_back: str = "") -> VendorReference:
    """The SKU's clothing item on this account, created through POST /clothing-item the first time.
    use_image_enhancement ("remove backgrounds and generate descriptions (1 credit)") defaults to the account's
    settings["use_image_enhancement"], else Uwear's default true."""
    existing = reference(adapter.account, CLOTHING_ITEM, sku)
    if existing is not None:
        return existing
    front, back = _garment_images(sku)
    if use_image_enhancement is None:
        use_image_enhancement = bool(adapter.account.settings.get("use_image_enhancement", True))
    name = clothing_item_name(sku)
    fields = {"clothing_item_name": name, **_image_fields(front, back),
              "use_image_enhancement": "true" if use_image_enhancement else "false"}
    if sku.description:
        fields["description"] = sku.description
    if description_back:
        fields["description_back"] = description_back
    ref = _create_once(adapter.account, CLOTHING_ITEM, sku, name, lambda: adapter.create_clothing_item(fields),
                       "clothing_item_id", lambda n: adapter.clothing_items(page=n, items_per_page=50))
    _keep_description(sku, ref.raw)
    return ref


def _keep_description(sku: SKU, item: dict) -> None:
    """Uwear's AI vision description becomes the SKU's description when the SKU has none of its own."""
    if item.get("description") and not sku.description:
        SKU.objects.filter(pk=sku.pk, description="").update(description=item["description"])
        sku.description = item["description"]


def clothing_item_ids(adapter: UwearAdapter, task) -> list[int]:
    """One clothing item per SKU the task's garments belong to (several SKUs: a multi-item outfit)."""
    sku_ids = sorted(set(task.garment_images.values_list("sku_id", flat=True))) or [task.sku_id]
    skus = SKU.objects.filter(pk__in=sku_ids).order_by("pk")
    return [int(ensure_clothing_item(adapter, sku).vendor_id) for sku in skus]


def forget(adapter: UwearAdapter, task, kinds: list[str]) -> int:
    """Drop this task's clothing item and/or avatar references on the account (Uwear deleted them): the next
    prepare() creates them again."""
    sku_ids = sorted(set(task.garment_images.values_list("sku_id", flat=True))) or [task.sku_id]
    targets = []
    if CLOTHING_ITEM in kinds:
        targets += [(CLOTHING_ITEM, sku) for sku in SKU.objects.filter(pk__in=sku_ids)]
    if AVATAR in kinds:
        fashion_model = task.model_image.fashion_model if task.model_image_id else task.sku.fashion_model
        if fashion_model is not None:
            targets.append((AVATAR, fashion_model))
    removed = 0
    for kind, obj in targets:
        removed += VendorReference.objects.filter(account=adapter.account, kind=kind, object_id=obj.pk, key="",
                                                  content_type=ContentType.objects.get_for_model(obj)).delete()[0]
    return removed


def update_clothing_item(adapter: UwearAdapter, sku: SKU, *, name: str | None = None,
                         description: str | None = None, description_back: str | None = None) -> VendorReference:
    """PUT /clothing-item/{id}: name and descriptions ("To update images, create a new clothing item")."""
    ref = _required(adapter.account, CLOTHING_ITEM, sku)
    fields = {k: v for k, v in {"clothing_item_name": name, "description": description,
                                "description_back": description_back}.items() if v is not None}
    updated = adapter.update_clothing_item(ref.vendor_id, fields)
    _save(ref, ref.vendor_id, updated or {**ref.raw, **fields})
    if description is not None:
        SKU.objects.filter(pk=sku.pk).update(description=description)
        sku.description = description
    return ref


def refresh_clothing_item(adapter: UwearAdapter, sku: SKU) -> VendorReference:
    ref = _required(adapter.account, CLOTHING_ITEM, sku)
    return _save(ref, ref.vendor_id, adapter.clothing_item(ref.vendor_id))


def delete_clothing_item(adapter: UwearAdapter, sku: SKU) -> None:
    """DELETE /clothing-item/{id}. Uwear "will also delete all associated generations and generation results";
    our stored outputs are unaffected."""
    ref = _required(adapter.account, CLOTHING_ITEM, sku)
    adapter.delete_clothing_item(ref.vendor_id)
    ref.delete()


def list_clothing_items(adapter: UwearAdapter, page: int = 1, items_per_page: int = 20) -> Page:
    return adapter.clothing_items(page=page, items_per_page=items_per_page)


# --- avatars ----------------------------------------------------------------------------------------------------
def avatar_name(fashion_model: FashionModel) -> str:
    return f"{fashion_model.name} #{fashion_model.pk}"


def avatar_description(fashion_model: FashionModel, body: str | None = None, age: int | None = None) -> dict:
    """POST /avatar avatar_description is "object { body, age }" (example: {"body": "athletic female", "age": 25})."""
    if body is None:
        words = [fashion_model.model_size, fashion_model.model_type, fashion_model.ethnicity,
                 f"{fashion_model.skin_tone} skin" if fashion_model.skin_tone else "",
                 f"{fashion_model.hair_color} {fashion_model.hair_style}".strip() + " hair"
                 if fashion_model.hair_color or fashion_model.hair_style else ""]
        body = ", ".join(w for w in words if w)
    if age is None:
        age = AGE_FOR_TYPE.get(fashion_model.model_type) or AGE_FOR_RANGE.get(fashion_model.age_range)
    return {k: v for k, v in {"body": body, "age": age}.items() if v not in (None, "")}


def save_avatar(adapter: UwearAdapter, fashion_model: FashionModel, source=None, *, name: str | None = None,
                body: str | None = None, age: int | None = None, enhancement: bool = False,
                replace: bool = False) -> VendorReference:
    """POST /avatar from a ModelImage of the fashion model or an approved TaskOutput (default: its first image).
    An existing avatar is kept unless `replace` ("To change the avatar image, create a new avatar")."""
    existing = reference(adapter.account, AVATAR, fashion_model)
    if existing is not None and not replace:
        return existing
    if existing is not None:
        delete_avatar(adapter, fashion_model)
    source = source or fashion_model.images.first()
    if source is None:
        raise ValidationFailed(f"{fashion_model.name} has no image to save as a Uwear avatar")
    image = getattr(source, "image", None) or source.file
    request = {"avatar_name": name or avatar_name(fashion_model), "avatar_url": public_url(image),
               "avatar_enhancement": enhancement}
    described = avatar_description(fashion_model, body, age)
    if described:
        request["avatar_description"] = described
    return _create_once(adapter.account, AVATAR, fashion_model, request["avatar_name"],
                        lambda: adapter.create_avatar(request), "avatar_id",
                        lambda n: adapter.avatars(page=n, items_per_page=50))


def avatar_id_for(adapter: UwearAdapter, task, *, create: bool = False) -> int | None:
    """The avatar of the task's fashion model (its model image's, else the SKU's); None means Uwear's virtual
    model ("If not provided, a virtual model will be used"). With `create`, a chosen model image becomes one."""
    fashion_model = task.model_image.fashion_model if task.model_image_id else task.sku.fashion_model
    if fashion_model is None:
        return None
    ref = reference(adapter.account, AVATAR, fashion_model)
    if ref is None and create and task.model_image_id:
        ref = save_avatar(adapter, fashion_model, task.model_image)
    return int(ref.vendor_id) if ref is not None else None


def update_avatar(adapter: UwearAdapter, fashion_model: FashionModel, *, name: str | None = None,
                  body: str | None = None, age: int | None = None) -> VendorReference:
    ref = _required(adapter.account, AVATAR, fashion_model)
    request = {}
    if name is not None:
        request["avatar_name"] = name
    if body is not None or age is not None:
        current = dict(ref.raw.get("avatar_description") or {})
        current.update({k: v for k, v in {"body": body, "age": age}.items() if v is not None})
        request["avatar_description"] = current
    return _save(ref, ref.vendor_id, adapter.update_avatar(ref.vendor_id, request))


def delete_avatar(adapter: UwearAdapter, fashion_model: FashionModel) -> None:
    ref = _required(adapter.account, AVATAR, fashion_model)
    adapter.delete_avatar(ref.vendor_id)
    ref.delete()


def list_avatars(adapter: UwearAdapter, page: int = 1, items_per_page: int = 20) -> Page:
    return adapter.avatars(page=page, items_per_page=items_per_page)


def _required(account, kind: str, obj) -> VendorReference:
    ref = reference(account, kind, obj)
    if ref is None:
        raise ValidationFailed(f"{obj} has no Uwear {kind.split('_', 1)[1].replace('_', ' ')} on {account.name}")
    return ref
