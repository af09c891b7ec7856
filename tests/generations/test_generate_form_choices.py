"""The generate form shows only what the operation takes (issue 16.6) and chooses SKUs by what a person means
(issue 17): pose picker hidden for an operation without poses, upscale without "Between 1 and 1", the prompt's
limit and counter, the team's default account, and SKU scopes with a paginated picker and a server-side estimate."""
import re

import pytest
from django.urls import reverse

from catalog.models import SKU, GarmentType, SKUStatus
from generations.models import Task, Vendor, VendorAccount
from generations.prompt_limits import STUDIO_PROMPT_MAX
from studio.models import Role
from tests import factories as f
from tests.generations.test_review import login, make_studio, make_task

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def queued(monkeypatch):
    monkeypatch.setattr("generations.engine.queue.queue_advance", lambda pk, countdown=0: True)


@pytest.fixture
def studio(db):
    studio = make_studio()
    f.GarmentImageFactory(sku=studio.sku)
    return studio


@pytest.fixture
def creative(client, studio):
    return login(client, studio, Role.CREATIVE)


def _url(studio, name="generate"):
    return reverse(name, args=[studio.project.pk])


def _token(html):
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


def _data(studio, token, **extra):
    return {"form_token": token, "skus": [studio.sku.pk], "account": studio.account.pk, "operation": "try_on",
            "num_outputs": 1, **extra}


# --- the pose picker follows the operation ---------------------------------------------------------------------------
def test_an_operation_that_takes_no_pose_shows_no_pose_picker(creative, studio):
    f.PoseFactory(program=studio.project.program, name="Walk")
    html = creative.get(_url(studio)).content.decode()  # the sandbox's try-on takes no pose

    assert "data-no-pose" in html and "Try-on on Sandbox (local, no key) takes no pose" in html
    assert 'name="pose"' not in html


def test_switching_to_an_account_whose_try_on_takes_a_pose_brings_the_picker_back(creative, studio):
    uwear = f.VendorAccountFactory(team=studio.team, vendor=Vendor.UWEAR, name="Uwear main")
    pose = f.PoseFactory(program=studio.project.program, name="Walk")

    response = creative.get(_url(studio, "generate_options"), {"account": uwear.pk, "operation": "try_on"},
                            headers=HTMX)
    html = response.content.decode()

    assert '<div id="pose-section" hx-swap-oob="true">' in html
    assert f'name="pose" value="{pose.pk}"' in html and "data-no-pose" not in html

    back = creative.get(_url(studio, "generate_options"), {"account": studio.account.pk}, headers=HTMX)
    assert "data-no-pose" in back.content.decode()


def test_a_pose_posted_for_an_operation_without_poses_is_refused_not_dropped(creative, studio):
    pose = f.PoseFactory(program=studio.project.program)
    token = _token(creative.get(_url(studio)).content.decode())

    response = creative.post(_url(studio), _data(studio, token, pose=pose.pk))

    assert response.status_code == 200
    assert "takes no pose: choose “No pose”" in response.content.decode()
    assert not Task.objects.exists()


# --- upscale and video show only their inputs ------------------------------------------------------------------------
def test_the_upscale_form_shows_only_what_upscale_takes(creative, studio):
    output = make_task(studio, outputs=1).outputs.get()

    html = creative.get(_url(studio, "generate_options"), {"account": studio.account.pk, "operation": "upscale",
                                                            "parent": output.pk}, headers=HTMX).content.decode()

    assert "Between 1 and 1" not in html
    assert 'type="hidden" name="num_outputs" value="1"' in html and "data-fixed-outputs" in html
    assert "data-no-model-image" in html and "data-no-pose" in html and "data-no-prompt" in html
    assert 'name="model_image"' not in html and 'name="prompt"' not in html


def test_a_prompt_for_an_operation_without_one_is_refused(creative, studio):
    output = make_task(studio, outputs=1).outputs.get()
    token = _token(creative.get(_url(studio), {"parent": output.pk}).content.decode())

    response = creative.post(_url(studio), {**_data(studio, token, operation="upscale", prompt="sharper"),
                                            "parent": output.pk, "opt_factor": "2"})

    assert "takes no prompt: empty the prompt box" in response.content.decode()
    assert not Task.objects.filter(operation="upscale").exists()


# --- the prompt's limit ------------------------------------------------------------------------------------------------
def test_the_prompt_shows_its_limit_and_a_counter_and_the_browser_cannot_cut_it(creative, studio):
    html = creative.get(_url(studio)).content.decode()

    textarea = re.search(r"<textarea[^>]*name=\"prompt\"[^>]*>", html).group(0)
    assert "maxlength" not in textarea  # a browser's maxlength cuts a pasted prompt without a word
    assert f'data-prompt-limit="{STUDIO_PROMPT_MAX}"' in textarea
    assert f"/ {STUDIO_PROMPT_MAX} characters" in html and "documents none" in html


def test_a_prompt_over_the_limit_is_refused_with_its_length_and_kept(creative, studio):
    token = _token(creative.get(_url(studio)).content.decode())
    long_prompt = "red dress." * 440  # 4,400 characters

    response = creative.post(_url(studio), _data(studio, token, prompt=long_prompt))
    html = response.content.decode()

    assert "The prompt is 4,400 characters; at most 4,000 are accepted here" in html and "nothing was cut" in html
    assert long_prompt in html  # still in the box
    assert not Task.objects.exists()


# --- the default account ---------------------------------------------------------------------------------------------
def test_the_form_preselects_the_team_default_not_the_first_alphabetically(client, studio):
    f.VendorAccountFactory(team=studio.team, name="AAA first by name")
    chosen = f.VendorAccountFactory(team=studio.team, name="ZZZ chosen")
    login(client, studio, Role.ADMIN)

    client.post(reverse("account_make_default", args=[chosen.pk]))
    html = client.get(_url(studio)).content.decode()

    assert re.search(rf'name="account" value="{chosen.pk}" checked', html)
    assert "Team default" in html
    assert VendorAccount.objects.filter(team=studio.team, is_team_default=True).get() == chosen


def test_an_account_whose_connection_test_failed_is_marked_and_never_preselected(client, studio):
    from generations import default_account

    VendorAccount.objects.filter(pk=studio.account.pk).update(name="AAA broken")
    broken = VendorAccount.objects.get(pk=studio.account.pk)
    default_account.make_default(broken)
    default_account.record_test(broken, False, "Could not reach the vendor: timed out")
    fine = f.VendorAccountFactory(team=studio.team, name="BBB fine")
    login(client, studio, Role.CREATIVE)

    html = client.get(_url(studio)).content.decode()

    assert re.search(rf'name="account" value="{fine.pk}" checked', html)
    assert not re.search(rf'name="account" value="{broken.pk}" checked', html)
    assert "Connection test failed" in html and "timed out" in html


def test_only_an_admin_chooses_the_default_account(client, studio):
    login(client, studio, Role.MANAGER)
    assert client.post(reverse("account_make_default", args=[studio.account.pk])).status_code == 403
    assert not VendorAccount.objects.filter(is_team_default=True).exists()


# --- SKUs by what a person means ---------------------------------------------------------------------------------------
def test_the_estimate_counts_a_filter_on_the_server(creative, studio):
    for i in range(3):
        f.SKUFactory(project=studio.project, code=f"DRESS-{i}", garment_type=GarmentType.FULL_BODY)
    f.SKUFactory(project=studio.project, code="DRESS-GONE", garment_type=GarmentType.FULL_BODY)
    SKU.objects.filter(code="DRESS-GONE").update(archived_at="2026-01-01T00:00:00Z")

    html = creative.get(_url(studio, "generate_estimate"), {
        "scope": "filter", "sku_type": GarmentType.FULL_BODY, "account": studio.account.pk, "operation": "try_on",
        "num_outputs": 2}, headers=HTMX).content.decode()

    assert "3 SKUs × 2 outputs" in html and "≈ 6 credits" in html


def test_a_launch_on_a_filter_runs_every_matching_sku_and_names_those_without_images(creative, studio):
    studio.sku.status = SKUStatus.CREATED
    studio.sku.save()
    ready = f.SKUFactory(project=studio.project, code="TEE-READY")
    f.GarmentImageFactory(sku=ready)
    f.SKUFactory(project=studio.project, code="TEE-BARE")
    token = _token(creative.get(_url(studio)).content.decode())

    refused = creative.post(_url(studio), {**_data(studio, token), "skus": [], "scope": "filter", "sku_q": "TEE-"})
    assert "Upload a garment image first: TEE-BARE." in refused.content.decode()

    creative.post(_url(studio), {**_data(studio, token), "skus": [], "scope": "filter", "sku_q": "TEE-READY"})
    assert list(Task.objects.values_list("sku__code", flat=True)) == ["TEE-READY"]


def test_a_filter_that_matches_nothing_says_so(creative, studio):
    token = _token(creative.get(_url(studio)).content.decode())
    response = creative.post(_url(studio), {**_data(studio, token), "skus": [], "scope": "filter",
                                            "sku_q": "NO-SUCH"})
    assert "No SKU matches this filter" in response.content.decode()


def test_the_grid_selection_arrives_as_a_filter(creative, studio):
    html = creative.get(_url(studio), {"scope": "filter", "sku_q": "TEE"}).content.decode()
    assert 'name="scope" value="filter" checked' in html and 'name="sku_q" value="TEE"' in html


def test_the_picker_pages_and_searches_and_keeps_picks_from_other_pages(creative, studio):
    skus = [f.SKUFactory(project=studio.project, code=f"PICK-{i:02d}") for i in range(30)]

    page2 = creative.get(_url(studio, "generate_skus"), {"spage": 2, "skus": [skus[0].pk, skus[29].pk]},
                         headers=HTMX).content.decode()
    searched = creative.get(_url(studio, "generate_skus"), {"sku_pick_q": "PICK-1"}, headers=HTMX).content.decode()

    assert re.search(rf'type="checkbox" name="skus" value="{skus[29].pk}" checked', page2)
    assert f'type="hidden" name="skus" value="{skus[0].pk}"' in page2  # picked on page 1, kept
    assert "2 picked (1 not on this page)" in page2
    assert "PICK-10" in searched and "PICK-05" not in searched


def test_the_bulk_form_lists_no_skus_either(client, studio):
    for i in range(30):
        f.SKUFactory(project=studio.project, code=f"BULK-{i:02d}")
    login(client, studio, Role.CREATIVE)

    html = client.get(reverse("bulk_generate", args=[studio.project.pk])).content.decode()

    assert html.count('name="skus"') <= 20
    assert "All SKUs of the project <span class=\"muted\">(31)</span>" in html


# --- long prompts on cards ---------------------------------------------------------------------------------------------
def test_a_long_prompt_is_clamped_on_the_task_card_with_more(creative, studio):
    long_prompt = "A model in a linen dress walking on a beach at golden hour, " * 6
    short = make_task(studio, outputs=0, prompt="white background")
    long = make_task(studio, outputs=0, prompt=long_prompt)

    short_html = creative.get(reverse("task_card", args=[short.pk]), headers=HTMX).content.decode()
    long_html = creative.get(reverse("task_card", args=[long.pk]), headers=HTMX).content.decode()

    assert "data-clamped-prompt" not in short_html and "white background" in short_html
    assert "data-clamped-prompt" in long_html and '<span class="more">more</span>' in long_html
    assert long_prompt.strip() in long_html  # the whole prompt is one click away, nothing lost
