"""Vendor-specific objects in the browser, against the real Uwear fake on 127.0.0.1: the clothing item panel of the
SKU page, the avatar panel of the fashion model page; and the generate form's prompt helpers (Hautech's suggested
prompt, the garment description any vendor's prompt can take)."""
import html
import re

import pytest
from django.urls import reverse

from generations.models import AccountState, TaskStatus, Vendor
from studio.models import Role
from tests import factories as f
from tests.fakes.base import count

from tests.vendors.uwear.test_support import OTHER_KEY, PUBLIC_URL, fake, uwear_account  # noqa: F401

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def team(db):
    return f.TeamFactory()


@pytest.fixture
def sku(team):
    sku = f.SKUFactory(project__program__team=team, name="Denim jacket")
    f.GarmentImageFactory(sku=sku, view="front", original_name="jacket_front.png")
    return sku


@pytest.fixture
def account(fake, team):
    return uwear_account(fake, team=team, name="Uwear main")


def member(client, team, role):
    client.force_login(f.MembershipFactory(team=team, role=role).user)
    return client


@pytest.fixture
def creative(client, team):
    return member(client, team, Role.CREATIVE)


def text(response) -> str:
    return html.unescape(response.content.decode())


def item_posts(fake) -> int:
    return count(fake, "POST", "/clothing-item$")


def create(client, sku, account, **extra):
    return client.post(reverse("sku_uwear_create", args=[sku.pk]),
                       {"account": account.pk, "use_image_enhancement": "on", **extra}, headers=HTMX)


# --- clothing items on the SKU page -------------------------------------------------------------------------------
def test_the_sku_page_loads_the_uwear_panel_for_people_who_edit(creative, sku, account):
    page = creative.get(reverse("sku_detail", args=[sku.pk])).content.decode()
    assert f'hx-get="{reverse("sku_uwear", args=[sku.pk])}" hx-trigger="load"' in page
    panel = text(creative.get(reverse("sku_uwear", args=[sku.pk]), headers=HTMX))
    assert "Uwear main" in panel and "No clothing item yet" in panel and "Create clothing item" in panel
    assert "jacket_front.png (front)" in panel and "uses the front one for back shots" in panel


def test_without_a_uwear_account_the_panel_is_empty(creative, sku):
    response = creative.get(reverse("sku_uwear", args=[sku.pk]), headers=HTMX)
    assert response.status_code == 200 and response.content.strip() == b""


def test_creating_a_clothing_item_creates_it_once_and_shows_uwears_descriptions(creative, fake, sku, account):
    f.GarmentImageFactory(sku=sku, view="back")
    first = text(create(creative, sku, account))
    item_id = next(iter(fake.items))
    assert f"Clothing item {item_id}" in first and "Clothing item created on Uwear main." in first
    expected_front = f"AI vision: {sku.code} · Denim jacket #{sku.pk}, front view"
    assert re.search(rf'<textarea name="a{account.pk}-description"[^>]*>\s*{re.escape(expected_front)}</textarea>',
                     first)
    assert "back view</textarea>" in first and "Update on Uwear" in first and "Delete clothing item" in first
    second = create(creative, sku, account)  # a second click, or a second tab
    assert second.status_code == 200 and f"Clothing item {item_id}" in text(second)
    assert item_posts(fake) == 1 and len(fake.items) == 1
    sku.refresh_from_db()
    assert sku.description == expected_front


def test_the_enhancement_checkbox_starts_from_the_account_setting_and_is_sent(creative, fake, sku, account):
    account.settings = {"use_image_enhancement": False}
    account.save()
    panel = creative.get(reverse("sku_uwear", args=[sku.pk]), headers=HTMX).content.decode()
    assert re.search(r'<input type="checkbox" name="use_image_enhancement">', panel)  # unchecked
    creative.post(reverse("sku_uwear_create", args=[sku.pk]), {"account": account.pk}, headers=HTMX)
    form = next(r for r in fake.requests if r.path.endswith("/clothing-item")).body.decode()
    assert 'name="use_image_enhancement"\r\n\r\nfalse' in form


def test_the_descriptions_are_edited_on_uwear_and_on_the_sku(creative, fake, sku, account):
    create(creative, sku, account)
    item_id = next(iter(fake.items))
    prefix = f"a{account.pk}-"
    response = creative.post(reverse("sku_uwear_update", args=[sku.pk]), {
        "account": account.pk, f"{prefix}name": "Denim jacket v2", f"{prefix}description": "slim cut, brass buttons",
        f"{prefix}description_back": "adjustable waist tabs"}, headers=HTMX)
    page = text(response)
    assert "Clothing item saved on Uwear." in page
    assert "slim cut, brass buttons</textarea>" in page and 'value="Denim jacket v2"' in page
    assert fake.items[item_id]["description"] == "slim cut, brass buttons"
    assert fake.items[item_id]["description_back"] == "adjustable waist tabs"
    sku.refresh_from_db()
    assert sku.description == "slim cut, brass buttons"


def test_deleting_the_clothing_item_removes_it_on_uwear_and_offers_create_again(creative, fake, sku, account):
    create(creative, sku, account)
    page = text(creative.post(reverse("sku_uwear_delete", args=[sku.pk]), {"account": account.pk}, headers=HTMX))
    assert fake.items == {}
    assert "Clothing item deleted from Uwear main." in page and "No clothing item yet" in page
    assert "Create clothing item" in page


def test_an_item_already_deleted_on_uwear_is_forgotten_here_too(creative, fake, sku, account):
    create(creative, sku, account)
    fake.items.clear()  # deleted in the Uwear app
    page = text(creative.post(reverse("sku_uwear_delete", args=[sku.pk]), {"account": account.pk}, headers=HTMX))
    assert "Uwear had already deleted the clothing item" in page and "No clothing item yet" in page


def test_a_vendor_422_is_a_message_in_the_panel_and_nothing_is_kept(creative, fake, sku, account):
    fake.inject(status=422, payload={"detail": "clothing_item_url is required"}, path="/clothing-item$")
    response = create(creative, sku, account)
    assert response.status_code == 200
    page = text(response)
    assert "Uwear refused: clothing_item_url is required" in page and 'role="alert"' in page
    assert "No clothing item yet" in page and "Create clothing item" in page
    retried = text(create(creative, sku, account))  # the refusal freed the claim: it can be tried again
    assert len(fake.items) == 1 and f"Clothing item {next(iter(fake.items))}" in retried


def test_a_rejected_key_disables_the_account_and_says_so_without_showing_the_key(creative, fake, sku, team):
    account = uwear_account(fake, key="uw_revoked_key_9999", team=team, name="Uwear old")
    page = text(create(creative, sku, account))
    assert "Uwear rejected the key of Uwear old" in page and "disabled until an admin replaces the key" in page
    assert "uw_revoked_key_9999" not in page
    account.refresh_from_db()
    assert account.state == AccountState.DISABLED


def test_without_htmx_the_form_goes_back_to_the_sku_page_with_a_toast(creative, fake, sku, account):
    response = creative.post(reverse("sku_uwear_create", args=[sku.pk]), {"account": account.pk}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("sku_detail", args=[sku.pk])
    assert "Clothing item created on Uwear main." in text(response)


def test_a_client_gets_a_403_and_no_panel(client, fake, sku, account, team):
    member(client, team, Role.CLIENT)
    assert client.get(reverse("sku_uwear", args=[sku.pk]), headers=HTMX).status_code == 403
    assert create(client, sku, account).status_code == 403
    assert item_posts(fake) == 0


def test_another_teams_sku_and_account_are_a_404(client, fake, sku, account, team):
    other = f.TeamFactory()
    other_account = uwear_account(fake, key=OTHER_KEY, team=other)
    member(client, other, Role.ADMIN)
    assert client.get(reverse("sku_uwear", args=[sku.pk]), headers=HTMX).status_code == 404
    assert create(client, sku, other_account).status_code == 404
    member(client, team, Role.ADMIN)
    assert create(client, sku, other_account).status_code == 404  # our SKU, their account
    assert item_posts(fake) == 0


# --- avatars on the fashion model page ------------------------------------------------------------------------------
@pytest.fixture
def fashion_model(sku):
    fashion_model = f.FashionModelFactory(program=sku.project.program, name="Mia")
    f.ModelImageFactory(fashion_model=fashion_model)
    return fashion_model


def save(client, fashion_model, account, source, **extra):
    data = {"account": account.pk, "source": source, "name": "Mia studio", "body": "athletic female", "age": 28,
            **extra}
    return client.post(reverse("model_uwear_save", args=[fashion_model.pk]), data, headers=HTMX)


def test_the_model_page_loads_the_avatar_panel(creative, fashion_model, account):
    page = creative.get(reverse("model_detail", args=[fashion_model.pk])).content.decode()
    assert f'hx-get="{reverse("model_uwear", args=[fashion_model.pk])}" hx-trigger="load"' in page
    panel = text(creative.get(reverse("model_uwear", args=[fashion_model.pk]), headers=HTMX))
    assert "No avatar yet" in panel and "Save as avatar" in panel
    assert f'value="Mia #{fashion_model.pk}"' in panel  # the default name, editable
    assert 'value="Regular, Women, East Asian, Light skin, Black hair"' in panel and 'value="27"' in panel


def test_an_avatar_is_saved_from_the_chosen_model_image(creative, fake, fashion_model, account):
    chosen = f.ModelImageFactory(fashion_model=fashion_model, view_type="back")
    page = text(save(creative, fashion_model, account, f"image:{chosen.pk}"))
    body = next(r for r in fake.requests if r.path.endswith("/avatar")).json()
    body["avatar_url"] = body["avatar_url"].split("?sig=")[0]  # a signed link to our checked /media/ view
    assert body == {"avatar_name": "Mia studio", "avatar_url": PUBLIC_URL + chosen.image.url,
                    "avatar_enhancement": False, "avatar_description": {"body": "athletic female", "age": 28}}
    avatar_id = next(iter(fake.avatars))
    assert f"Avatar {avatar_id}" in page and "Avatar saved on Uwear main." in page
    assert "<dd>athletic female</dd>" in page and "<dd>28</dd>" in page
    assert "Replace with another image" in page and "Delete avatar" in page


def test_an_approved_output_made_with_the_model_can_become_its_avatar(creative, fake, fashion_model, account, sku):
    task = f.TaskFactory(sku=sku, team=account.team, model_image=fashion_model.images.first())
    approved = f.TaskOutputFactory(task=task, review_status=TaskStatus.REVIEW_APPROVED)
    pending = f.TaskOutputFactory(task=task)
    panel = creative.get(reverse("model_uwear", args=[fashion_model.pk]), headers=HTMX).content.decode()
    assert f'value="output:{approved.pk}"' in panel and f'value="output:{pending.pk}"' not in panel
    assert f"Output #{approved.pk}" in panel
    save(creative, fashion_model, account, f"output:{approved.pk}", enhancement="on")
    body = next(r for r in fake.requests if r.path.endswith("/avatar")).json()
    assert body["avatar_url"].split("?sig=")[0] == PUBLIC_URL + approved.file.url  # signed link
    assert body["avatar_enhancement"] is True
    refused = text(save(creative, fashion_model, account, f"output:{pending.pk}", replace="1"))
    assert "Select a valid choice" in refused and count(fake, "POST", "/avatar$") == 1


def test_the_avatar_is_updated_and_deleted(creative, fake, fashion_model, account):
    save(creative, fashion_model, account, f"image:{fashion_model.images.first().pk}")
    avatar_id = next(iter(fake.avatars))
    page = text(creative.post(reverse("model_uwear_update", args=[fashion_model.pk]),
                              {"account": account.pk, "name": "Fashion Model Pro", "body": "slim female", "age": 30},
                              headers=HTMX))
    assert "Avatar saved on Uwear." in page and "<dd>slim female</dd>" in page and "<dd>30</dd>" in page
    assert fake.avatars[avatar_id]["avatar_name"] == "Fashion Model Pro"
    page = text(creative.post(reverse("model_uwear_delete", args=[fashion_model.pk]), {"account": account.pk},
                              headers=HTMX))
    assert fake.avatars == {} and "Avatar deleted from Uwear main." in page and "No avatar yet" in page


def test_a_vendor_422_on_the_avatar_is_a_message_in_the_panel(creative, fake, fashion_model, account):
    fake.inject(status=422, payload={"detail": "avatar_url is not reachable"}, path="/avatar$")
    response = save(creative, fashion_model, account, f"image:{fashion_model.images.first().pk}")
    assert response.status_code == 200
    assert "Uwear refused: avatar_url is not reachable" in text(response) and fake.avatars == {}


def test_avatar_routes_are_403_for_a_client_and_404_for_another_team(client, fake, fashion_model, account, team):
    member(client, team, Role.CLIENT)
    assert client.get(reverse("model_uwear", args=[fashion_model.pk]), headers=HTMX).status_code == 403
    assert save(client, fashion_model, account, f"image:{fashion_model.images.first().pk}").status_code == 403
    member(client, f.TeamFactory(), Role.ADMIN)
    assert client.get(reverse("model_uwear", args=[fashion_model.pk]), headers=HTMX).status_code == 404
    assert save(client, fashion_model, account, f"image:{fashion_model.images.first().pk}").status_code == 404
    assert count(fake, "POST", "/avatar$") == 0


# --- the generate form's prompt helpers -----------------------------------------------------------------------------
def prompt_help(client, sku, account, **params):
    query = {"account": account.pk, "skus": [sku.pk], "operation": "try_on", "prompt": "", **params}
    response = client.get(reverse("generate_prompt_help", args=[sku.project.pk]), query, headers=HTMX)
    assert response.status_code == 200
    return text(response)


@pytest.fixture
def hautech(team):
    return f.VendorAccountFactory(team=team, vendor=Vendor.HAUTECH, name="Hautech main")


def test_the_generate_page_asks_for_the_prompt_helpers(creative, sku):
    page = creative.get(reverse("generate", args=[sku.project.pk])).content.decode()
    assert f'hx-get="{reverse("generate_prompt_help", args=[sku.project.pk])}"' in page
    assert '<textarea name="prompt"' in page and 'id="id_prompt"' in page


def test_an_empty_prompt_is_prefilled_with_hautechs_suggestion(creative, sku, hautech):
    sku.fashion_model = f.FashionModelFactory(program=sku.project.program, model_type="Women")
    sku.description = "blue denim jacket, brass buttons"
    sku.save()
    page = prompt_help(creative, sku, hautech)
    box = re.search(r'<textarea name="prompt"[^>]*hx-swap-oob="true"[^>]*>\s*(.*?)</textarea>', page, re.S)
    assert box, page
    assert 'id="id_prompt"' in box.group(0)
    assert box.group(1).startswith("Minimalist, full-body shot, young adult East Asian female model")
    assert "Wearing (blue denim jacket, brass buttons)" in box.group(1)
    assert box.group(1).endswith("sharp focus.")
    assert f'name="prompt_suggested" value="{box.group(1)}"' in page


def test_a_prompt_the_user_wrote_is_never_replaced_but_the_suggestion_is_offered(creative, sku, hautech):
    page = prompt_help(creative, sku, hautech, prompt="my own words", prompt_suggested="Minimalist, old")
    assert 'hx-swap-oob' not in page and "Use suggested prompt" in page
    assert 'data-prompt-target="#id_prompt"' in page


def test_with_several_skus_hautech_gets_each_skus_own_prompt(creative, sku, hautech):
    other = f.SKUFactory(project=sku.project)
    page = prompt_help(creative, sku, hautech, skus=[sku.pk, other.pk])
    assert "<textarea" not in page and "leave the prompt empty and Hautech gets each SKU's own" in page
    assert "Choose one SKU to add its garment description" in page


def test_other_vendors_get_no_prompt_prefill(creative, sku, team):
    sandbox = f.VendorAccountFactory(team=team, name="Sandbox")
    page = prompt_help(creative, sku, sandbox)
    assert "<textarea" not in page and "Minimalist" not in page and "Use suggested prompt" not in page


def test_switching_away_from_hautech_clears_the_untouched_suggestion(creative, sku, team):
    sandbox = f.VendorAccountFactory(team=team, name="Sandbox")
    page = prompt_help(creative, sku, sandbox, prompt="Minimalist, earlier suggestion",
                       prompt_suggested="Minimalist, earlier suggestion")
    assert re.search(r'<textarea name="prompt"[^>]*hx-swap-oob="true"[^>]*>\s*</textarea>', page)


def test_the_garment_description_hint_targets_the_prompt_box(creative, sku, team):
    sandbox = f.VendorAccountFactory(team=team, name="Sandbox")
    sku.description = "oversized denim jacket"
    sku.save()
    page = prompt_help(creative, sku, sandbox, prompt="studio photo")
    assert "Garment description: oversized denim jacket" in " ".join(re.sub(r"<[^>]+>", " ", page).split())
    button = re.search(r"<button[^>]*>Add garment description to prompt</button>", page, re.S).group(0)
    assert 'data-prompt-target="#id_prompt"' in button and 'data-text="Garment: oversized denim jacket"' in button
    assert 'data-prompt-action="append"' in button  # static/js/prompt_tools.js (no hx-on under the CSP)
    already = prompt_help(creative, sku, sandbox, prompt="studio photo. Garment: oversized denim jacket")
    assert "Already in the prompt." in already and "Add garment description to prompt" not in already


def test_without_a_sku_description_the_first_caption_is_the_hint(creative, sku, team):
    sandbox = f.VendorAccountFactory(team=team, name="Sandbox")
    f.GarmentImageFactory(sku=sku, view="back", caption="back: zip closure")
    sku.garment_images.filter(view="front").update(caption="front: brass buttons, chest pockets")
    page = prompt_help(creative, sku, sandbox)
    assert 'data-text="Garment: front: brass buttons, chest pockets"' in page
