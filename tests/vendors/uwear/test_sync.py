"""Clothing items and avatars kept as VendorReferences (seed 002, "Clothing Items", "Avatars"): one clothing item
per SKU and one avatar per fashion model, never created twice, with Uwear's AI descriptions kept and editable."""
from datetime import timedelta

import pytest
from django.utils import timezone

from generations.vendors.uwear import sync as uwear_sync
from generations.models import VendorReference
from generations.vendors.base import Unavailable, ValidationFailed
from tests.factories import GarmentImageFactory, SKUFactory, TaskOutputFactory
from tests.fakes.base import count

from tests.vendors.uwear.test_support import PUBLIC_URL, account, adapter, fake, fashion_model_for, try_on_task  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku(account):
    sku = SKUFactory(project__program__team=account.team, name="Denim jacket")
    GarmentImageFactory(sku=sku, view="front")
    return sku


def form_posts(fake) -> list[str]:
    return [r.body.decode() for r in fake.requests if r.method == "POST" and r.path.endswith("/clothing-item")]


# --- clothing items ---------------------------------------------------------------------------------------------
def test_a_clothing_item_is_created_through_the_multipart_form_route(adapter, fake, sku):
    ref = uwear_sync.ensure_clothing_item(adapter, sku)
    request = next(r for r in fake.requests if r.path.endswith("/clothing-item"))
    assert request.header("content-type").startswith("multipart/form-data; boundary=")
    body = form_posts(fake)[0]
    assert f'name="clothing_item_name"\r\n\r\n{sku.code} · Denim jacket #{sku.pk}' in body
    assert f'name="clothing_item_url"\r\n\r\n{PUBLIC_URL}/media/' in body
    assert 'name="use_image_enhancement"\r\n\r\ntrue' in body
    assert "clothing_item_back_url" not in body
    assert ref.vendor_id == str(fake.items[int(ref.vendor_id)]["clothing_item_id"])


def test_the_back_image_is_sent_when_the_sku_has_one(adapter, fake, sku):
    GarmentImageFactory(sku=sku, view="back")
    uwear_sync.ensure_clothing_item(adapter, sku)
    assert f'name="clothing_item_back_url"\r\n\r\n{PUBLIC_URL}/media/' in form_posts(fake)[0]


def test_a_garment_is_never_created_twice(adapter, fake, sku):
    first = uwear_sync.ensure_clothing_item(adapter, sku)
    again = uwear_sync.ensure_clothing_item(adapter, sku)
    task = try_on_task(adapter.account)
    task.garment_images.set(sku.garment_images.all())
    task.sku = sku
    assert uwear_sync.clothing_item_ids(adapter, task) == [int(first.vendor_id)]
    assert first.pk == again.pk and len(form_posts(fake)) == 1


def test_uwears_ai_description_is_stored_on_the_sku(adapter, sku):
    uwear_sync.ensure_clothing_item(adapter, sku)
    sku.refresh_from_db()
    assert sku.description.startswith("AI vision: ")
    ref = uwear_sync.reference(adapter.account, uwear_sync.CLOTHING_ITEM, sku)
    assert ref.raw["description_back"].startswith("AI vision: ")


def test_our_own_description_is_sent_and_kept(adapter, fake, sku):
    sku.description = "oversized fit"
    sku.save()
    uwear_sync.ensure_clothing_item(adapter, sku)
    assert 'name="description"\r\n\r\noversized fit' in form_posts(fake)[0]
    sku.refresh_from_db()
    assert sku.description == "oversized fit"


def test_image_enhancement_follows_the_account_default_and_can_be_overridden(adapter, fake, sku):
    adapter.account.settings = {"use_image_enhancement": False}
    uwear_sync.ensure_clothing_item(adapter, sku)
    other = SKUFactory(project=sku.project)
    GarmentImageFactory(sku=other)
    uwear_sync.ensure_clothing_item(adapter, other, use_image_enhancement=True)
    first, second = form_posts(fake)
    assert 'name="use_image_enhancement"\r\n\r\nfalse' in first
    assert 'name="use_image_enhancement"\r\n\r\ntrue' in second


def test_a_sku_without_garment_images_cannot_become_a_clothing_item(adapter, account):
    with pytest.raises(ValidationFailed, match="no garment image"):
        uwear_sync.ensure_clothing_item(adapter, SKUFactory(project__program__team=account.team))


def test_descriptions_are_editable_and_updated_on_uwear(adapter, fake, sku):
    ref = uwear_sync.ensure_clothing_item(adapter, sku)
    uwear_sync.update_clothing_item(adapter, sku, name="Jacket v2", description="slim cut",
                                    description_back="zip at the back")
    put = next(r for r in fake.requests if r.method == "PUT")
    assert put.path.endswith(f"/clothing-item/{ref.vendor_id}")
    assert put.json() == {"clothing_item_name": "Jacket v2", "description": "slim cut",
                          "description_back": "zip at the back"}
    sku.refresh_from_db()
    ref.refresh_from_db()
    assert sku.description == "slim cut" and ref.raw["description_back"] == "zip at the back"


def test_refresh_reads_the_item_back(adapter, fake, sku):
    ref = uwear_sync.ensure_clothing_item(adapter, sku)
    fake.items[int(ref.vendor_id)]["description"] = "edited in the Uwear app"
    assert uwear_sync.refresh_clothing_item(adapter, sku).raw["description"] == "edited in the Uwear app"


def test_deleting_a_clothing_item_removes_it_on_uwear_and_forgets_the_reference(adapter, fake, sku):
    ref = uwear_sync.ensure_clothing_item(adapter, sku)
    uwear_sync.delete_clothing_item(adapter, sku)
    assert int(ref.vendor_id) not in fake.items
    assert not VendorReference.objects.filter(pk=ref.pk).exists()


def test_clothing_items_are_listed_page_by_page(adapter, sku):
    for _ in range(3):
        other = SKUFactory(project=sku.project)
        GarmentImageFactory(sku=other)
        uwear_sync.ensure_clothing_item(adapter, other)
    page = uwear_sync.list_clothing_items(adapter, page=2, items_per_page=2)
    assert page.current_page == 2 and page.max_page == 2 and page.total_count == 3 and len(page.items) == 1


def test_a_worker_that_died_mid_creation_is_followed_by_a_lookup_not_a_second_upload(adapter, fake, sku):
    uwear_sync.ensure_clothing_item(adapter, sku)
    ref = uwear_sync.reference(adapter.account, uwear_sync.CLOTHING_ITEM, sku)
    created = ref.vendor_id
    # The crash: Uwear created the item, our row still has no id and an old claim.
    stale = (timezone.now() - timedelta(minutes=10)).isoformat()
    VendorReference.objects.filter(pk=ref.pk).update(vendor_id="", raw={"creating_since": stale})
    again = uwear_sync.ensure_clothing_item(adapter, sku)
    assert again.vendor_id == created and len(form_posts(fake)) == 1


def test_a_creation_claimed_by_another_worker_right_now_is_retried_later(adapter, fake, sku):
    from django.contrib.contenttypes.models import ContentType

    VendorReference.objects.create(account=adapter.account, kind=uwear_sync.CLOTHING_ITEM, object_id=sku.pk,
                                   content_type=ContentType.objects.get_for_model(sku), vendor_id="",
                                   raw={"creating_since": timezone.now().isoformat()})
    with pytest.raises(Unavailable, match="another worker"):
        uwear_sync.ensure_clothing_item(adapter, sku)
    assert form_posts(fake) == []


def test_a_refused_creation_frees_the_claim(adapter, fake, sku):
    fake.inject(status=422, payload={"detail": "clothing_item_url is required"}, path="/clothing-item$")
    with pytest.raises(ValidationFailed):
        uwear_sync.ensure_clothing_item(adapter, sku)
    assert uwear_sync.ensure_clothing_item(adapter, sku).vendor_id


def test_a_creation_of_unknown_outcome_is_looked_up_before_uploading_again(adapter, fake, sku):
    fake.inject("drop", path="/clothing-item$")  # the answer is lost: Uwear may or may not have made it
    with pytest.raises(Unavailable):
        uwear_sync.ensure_clothing_item(adapter, sku)
    # The next try looks it up by name at once (no two-minute claim); not listed yet, it waits a moment rather
    # than create a second item (creation can cost a credit with image enhancement).
    with pytest.raises(Unavailable, match="looking for the Uwear clothing item"):
        uwear_sync.ensure_clothing_item(adapter, sku)
    assert count(fake, "GET", "/clothing-items$") == 1 and len(fake.items) == 0
    ref = VendorReference.objects.get(kind=uwear_sync.CLOTHING_ITEM)
    earlier = (timezone.now() - uwear_sync.LOST_SETTLE - timedelta(seconds=1)).isoformat()
    VendorReference.objects.filter(pk=ref.pk).update(raw={**ref.raw, "lost_at": earlier})
    ref = uwear_sync.ensure_clothing_item(adapter, sku)
    assert count(fake, "GET", "/clothing-items$") == 2  # looked up again; the dropped call had created nothing
    assert ref.vendor_id and len(fake.items) == 1


# --- avatars ------------------------------------------------------------------------------------------------------
def test_an_avatar_is_saved_from_a_fashion_model_image_with_body_and_age(adapter, fake, sku):
    fashion_model = fashion_model_for(sku)
    ref = uwear_sync.save_avatar(adapter, fashion_model)
    body = next(r for r in fake.requests if r.path.endswith("/avatar")).json()
    assert body["avatar_name"] == f"{fashion_model.name} #{fashion_model.pk}"
    assert body["avatar_url"].startswith(PUBLIC_URL + "/media/")
    assert body["avatar_description"] == {"body": "Regular, Women, East Asian, Light skin, Black hair", "age": 27}
    assert body["avatar_enhancement"] is False
    assert fake.avatars[int(ref.vendor_id)]["avatar_name"] == body["avatar_name"]


def test_an_approved_output_can_become_the_avatar_with_ai_enhancement(adapter, fake, sku):
    fashion_model = fashion_model_for(sku)
    output = TaskOutputFactory(task__sku=sku)
    ref = uwear_sync.save_avatar(adapter, fashion_model, output, enhancement=True, name="Summer model")
    body = next(r for r in fake.requests if r.path.endswith("/avatar")).json()
    # A signed, expiring link to our checked /media/ view (studio.media.vendor_url).
    assert body["avatar_url"].split("?sig=")[0] == PUBLIC_URL + output.file.url and body["avatar_enhancement"] is True
    assert ref.raw["avatar_description"]["body"].startswith("AI vision")  # "AI ... will overwrite manual input"


def test_a_fashion_model_keeps_one_avatar_unless_replaced(adapter, fake, sku):
    fashion_model = fashion_model_for(sku)
    first = uwear_sync.save_avatar(adapter, fashion_model)
    assert uwear_sync.save_avatar(adapter, fashion_model).vendor_id == first.vendor_id
    replaced = uwear_sync.save_avatar(adapter, fashion_model, replace=True)
    assert replaced.vendor_id != first.vendor_id
    assert int(first.vendor_id) not in fake.avatars


def test_avatars_are_updated_listed_and_deleted(adapter, fake, sku):
    fashion_model = fashion_model_for(sku)
    ref = uwear_sync.save_avatar(adapter, fashion_model)
    updated = uwear_sync.update_avatar(adapter, fashion_model, name="Fashion Model Pro", age=28)
    assert updated.raw["avatar_name"] == "Fashion Model Pro" and updated.raw["avatar_description"]["age"] == 28
    assert [a["avatar_id"] for a in uwear_sync.list_avatars(adapter).items] == [int(ref.vendor_id)]
    uwear_sync.delete_avatar(adapter, fashion_model)
    assert fake.avatars == {} and uwear_sync.reference(adapter.account, uwear_sync.AVATAR, fashion_model) is None


def test_the_skus_fashion_model_avatar_is_used_for_its_try_ons(adapter, fake, sku):
    fashion_model = fashion_model_for(sku)
    ref = uwear_sync.save_avatar(adapter, fashion_model)
    task = try_on_task(adapter.account)
    task.sku.fashion_model = fashion_model
    task.sku.save()
    assert uwear_sync.avatar_id_for(adapter, task) == int(ref.vendor_id)


def test_without_a_fashion_model_uwear_uses_a_virtual_model(adapter, fake):
    assert uwear_sync.avatar_id_for(adapter, try_on_task(adapter.account), create=True) is None
    assert count(fake, "POST", "/avatar$") == 0
