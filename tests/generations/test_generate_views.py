"""The generate page: what it offers (accounts, operations, options, pickers), the estimate before launch, and the
launch itself, which a double click or a second tab cannot repeat."""
import re

import pytest
from django.urls import reverse

from catalog.models import SKUStatus
from generations.models import AccountState, Batch, CreditEntry, Task, TaskStatus
from studio.models import Role
from tests import factories as f
from tests.generations.test_review import login, make_studio

HTMX = {"HX-Request": "true"}


@pytest.fixture
def studio(db):
    studio = make_studio()
    f.GarmentImageFactory(sku=studio.sku)
    return studio


@pytest.fixture
def creative(client, studio):
    return login(client, studio, Role.CREATIVE)


def _page(client, studio, **params):
    response = client.get(reverse("generate", args=[studio.project.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def _token(html):
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


def _launch_data(studio, token, **extra):
    return {"form_token": token, "skus": [studio.sku.pk], "account": studio.account.pk, "operation": "try_on",
            "num_outputs": 2, "prompt": "on-model, white background", **extra}


def test_the_form_preselects_the_skus_from_the_query_string(creative, studio):
    other = f.SKUFactory(project=studio.project)
    html = _page(creative, studio, sku=[studio.sku.pk])
    assert re.search(rf'value="{studio.sku.pk}"\s+checked', html)
    assert not re.search(rf'value="{other.pk}"\s+checked', html)


def test_only_active_accounts_are_selectable_and_the_others_say_why(creative, studio):
    paused = f.VendorAccountFactory(team=studio.team, name="Huhu main", state=AccountState.PAUSED,
                                    state_message="Out of credits: top up at Huhu")
    f.VendorAccountFactory(name="Someone else's account")
    html = _page(creative, studio)
    assert f'name="account" value="{studio.account.pk}"' in html
    assert f'name="account" value="{paused.pk}"' not in html
    assert "Huhu main" in html and "Out of credits: top up at Huhu" in html
    assert "Someone else&#x27;s account" not in html and "Someone else's account" not in html


def test_the_form_offers_only_the_operations_and_limits_of_the_vendors_capability_table(creative, studio):
    html = _page(creative, studio)
    operations = re.findall(r'<option value="([a-z_]+)"', html.split('name="operation"')[1].split("</select>")[0])
    assert operations == ["try_on"]  # the sandbox's edit and upscale need a parent output
    assert 'name="num_outputs" min="1" max="4"' in html


def test_choosing_an_output_to_build_on_offers_the_operations_that_need_one(creative, studio):
    from tests.generations.test_review import make_task

    output = make_task(studio, outputs=1).outputs.get()
    html = _page(creative, studio, parent=output.pk)
    select = html.split('name="operation"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([a-z_]+)"', select) == ["edit", "upscale"]


def test_the_options_fragment_follows_the_chosen_operation(creative, studio):
    from tests.generations.test_review import make_task

    output = make_task(studio, outputs=1).outputs.get()
    response = creative.get(reverse("generate_options", args=[studio.project.pk]),
                            {"account": studio.account.pk, "operation": "upscale", "parent": output.pk}, headers=HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<fieldset id="generate-options"')
    assert "Upscale factor" in html and 'name="opt_factor"' in html
    assert "This operation takes no prompt." in html
    assert "estimate-stale" in response["HX-Trigger-After-Settle"]


def test_the_estimate_shows_the_credits_before_launch(creative, studio):
    second = f.SKUFactory(project=studio.project)
    response = creative.get(reverse("generate_estimate", args=[studio.project.pk]),
                            {"skus": [studio.sku.pk, second.pk], "account": studio.account.pk, "operation": "try_on",
                             "num_outputs": 3}, headers=HTMX)
    html = response.content.decode()
    assert "≈ 6 credits" in html  # the sandbox charges one credit per output
    assert "2 SKUs × 3 outputs" in html
    assert 'id="estimate"' not in html  # only the inside: the element that listens for changes stays in place


def test_the_estimate_says_what_is_missing(creative, studio):
    html = creative.get(reverse("generate_estimate", args=[studio.project.pk]),
                        {"account": studio.account.pk, "operation": "try_on", "num_outputs": 1}).content.decode()
    assert "Choose at least one SKU." in html


def test_launch_creates_one_task_per_sku_and_returns_to_the_project_with_a_toast(creative, studio):
    token = _token(_page(creative, studio))
    response = creative.post(reverse("generate", args=[studio.project.pk]), _launch_data(studio, token), follow=True)
    assert response.redirect_chain[-1][0] == reverse("project_detail", args=[studio.project.pk])
    assert "Launched 1 generation: Try-on · 1 SKU." in response.content.decode()
    task = Task.objects.get()
    assert (task.sku, task.account, task.num_outputs, task.prompt) == (
        studio.sku, studio.account, 2, "on-model, white background")
    assert task.status == TaskStatus.TASK_CREATED
    assert list(task.garment_images.all()) == list(studio.sku.garment_images.all())
    studio.sku.refresh_from_db()
    assert studio.sku.status == SKUStatus.IN_PROCESS


def test_a_double_submit_with_the_same_token_creates_one_batch(creative, studio):
    token = _token(_page(creative, studio))
    url = reverse("generate", args=[studio.project.pk])
    first = creative.post(url, _launch_data(studio, token))
    second = creative.post(url, _launch_data(studio, token))
    assert first.status_code == second.status_code == 302
    assert Batch.objects.count() == 1
    assert Task.objects.count() == 1
    assert CreditEntry.objects.count() == 1


def test_every_page_load_gets_a_fresh_token(creative, studio):
    assert _token(_page(creative, studio)) != _token(_page(creative, studio))


def test_too_many_outputs_are_refused_with_the_limit(creative, studio):
    token = _token(_page(creative, studio))
    response = creative.post(reverse("generate", args=[studio.project.pk]),
                             _launch_data(studio, token, num_outputs=9))
    assert response.status_code == 200
    assert "less than or equal to 4" in response.content.decode()
    assert not Task.objects.exists()


def test_a_sku_without_garment_images_is_refused_before_launch(creative, studio):
    bare = f.SKUFactory(project=studio.project, code="BARE-1")
    token = _token(_page(creative, studio))
    response = creative.post(reverse("generate", args=[studio.project.pk]),
                             _launch_data(studio, token, skus=[studio.sku.pk, bare.pk]))
    assert "Upload a garment image first: BARE-1." in response.content.decode()
    assert not Task.objects.exists()


def test_a_paused_account_cannot_be_chosen_by_posting_its_id(creative, studio):
    paused = f.VendorAccountFactory(team=studio.team, state=AccountState.PAUSED)
    token = _token(_page(creative, studio))
    creative.post(reverse("generate", args=[studio.project.pk]), _launch_data(studio, token, account=paused.pk))
    assert not Task.objects.exists()


def test_the_model_image_picker_filters_like_the_gallery(creative, studio):
    program = studio.project.program
    wanted = f.ModelImageFactory(fashion_model=f.FashionModelFactory(program=program, name="Aiko", ethnicity="East Asian",
                                                                     skin_tone="Light", model_type="Women"))
    other = f.ModelImageFactory(fashion_model=f.FashionModelFactory(program=program, name="Bola", ethnicity="Black",
                                                                    skin_tone="Dark", model_type="Women"))
    html = creative.get(reverse("generate_model_images", args=[studio.project.pk]),
                        {"mf_ethnicity": "East Asian", "mf_type": "Women"}, headers=HTMX).content.decode()
    assert f'name="model_image" value="{wanted.pk}"' in html
    assert f'name="model_image" value="{other.pk}"' not in html
    page = _page(creative, studio)
    assert '<option value="Black">Black</option>' in page and "Skin tone" in page


def test_a_filter_keeps_the_chosen_model_image(creative, studio):
    program = studio.project.program
    chosen = f.ModelImageFactory(fashion_model=f.FashionModelFactory(program=program, ethnicity="Black"))
    html = creative.get(reverse("generate_model_images", args=[studio.project.pk]),
                        {"mf_ethnicity": "East Asian", "model_image": chosen.pk}, headers=HTMX).content.decode()
    assert re.search(rf'value="{chosen.pk}"\s+checked', html)


def test_the_pose_picker_offers_presets_and_this_programs_poses_by_category(creative, studio):
    preset = f.PoseFactory(program=None, is_preset=True, name="Hands on hips", category="Women")
    own = f.PoseFactory(program=studio.project.program, name="Our walk", category="Women")
    men = f.PoseFactory(program=None, is_preset=True, name="Arms crossed", category="Men")
    foreign = f.PoseFactory(name="Their pose", category="Women")
    html = creative.get(reverse("generate_poses", args=[studio.project.pk]), {"pf_category": "Women"},
                        headers=HTMX).content.decode()
    assert "Hands on hips" in html and "Our walk" in html
    assert "Arms crossed" not in html and "Their pose" not in html
    assert f'value="{preset.pk}"' in html and f'value="{own.pk}"' in html
    assert men.pk and foreign.pk


def test_a_client_cannot_open_the_generate_form(client, studio):
    assert login(client, studio, Role.CLIENT).get(reverse("generate", args=[studio.project.pk])).status_code == 403
