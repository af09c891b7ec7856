"""The program's library pages: fashion model gallery, pose library, styles."""
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog import jobs
from catalog.models import FashionModel, ModelImage, Pose, PoseCategory, PromptType, Style
from studio.models import Role
from tests import factories as f

HTMX = {"HX-Request": "true"}
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'


@pytest.fixture
def member(db):
    return f.MembershipFactory(role=Role.CREATIVE)


@pytest.fixture
def browser(client, member):
    client.force_login(member.user)
    return client


@pytest.fixture
def program(member):
    return f.ProgramFactory(team=member.team)


def get(client, url, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


# --- fashion models -------------------------------------------------------------------------------------------------

@pytest.fixture
def cast(program):
    ana = f.FashionModelFactory(program=program, name="Ana", model_type="Women", ethnicity="Latina",
                                age_range="Young Adult", hair_color="Brown", skin_tone="Olive")
    ben = f.FashionModelFactory(program=program, name="Ben", model_type="Men", model_size="Plus size",
                                ethnicity="Black", age_range="Mature", hair_color="Grey", skin_tone="Dark")
    f.ModelImageFactory(fashion_model=ana)
    f.FashionModelFactory(name="Elsewhere", ethnicity="Nordic")  # another program's model
    return ana, ben


def test_the_gallery_shows_the_programs_models_with_their_first_image(browser, program, cast):
    ana, ben = cast
    html = get(browser, reverse("model_gallery", args=[program.pk]))

    assert "Ana" in html and "Ben" in html and "Elsewhere" not in html
    assert f'src="{ana.images.get().image.url}"' in html and 'loading="lazy"' in html
    assert "No image yet" in html  # Ben


def test_filter_choices_come_from_the_programs_models(browser, program, cast):
    html = get(browser, reverse("model_gallery", args=[program.pk]))

    for value in ("Latina", "Black", "Young Adult", "Mature", "Brown", "Grey", "Olive", "Dark"):
        assert f'<option value="{value}">{value}</option>' in html
    assert "Nordic" not in html


@pytest.mark.parametrize(("query", "shown", "hidden"), [
    ("model_type=Men", "Ben", "Ana"),
    ("model_size=Plus+size", "Ben", "Ana"),
    ("ethnicity=Latina", "Ana", "Ben"),
    ("age_range=Mature", "Ben", "Ana"),
    ("hair_color=Brown", "Ana", "Ben"),
    ("skin_tone=Dark", "Ben", "Ana"),
])
def test_each_filter_narrows_the_grid_fragment(browser, program, cast, query, shown, hidden):
    html = get(browser, reverse("model_gallery", args=[program.pk]) + "?" + query, HX_Request="true")

    assert html.lstrip().startswith('<div id="model-grid">')
    assert f"<strong>{shown}</strong>" in html and f"<strong>{hidden}</strong>" not in html


def test_a_filter_that_matches_nothing_says_so(browser, program, cast):
    html = get(browser, reverse("model_gallery", args=[program.pk]) + "?model_type=Baby")

    assert "No model matches these filters." in html


def test_a_model_is_created_with_its_attributes(browser, program):
    response = browser.post(reverse("model_create", args=[program.pk]), {
        "name": "Chloe", "model_type": "Women", "model_size": "Petit", "ethnicity": "East Asian",
        "age_range": "Young", "hair_color": "Black", "hair_style": "Bob", "skin_tone": "Light", "eye_color": "Brown"})

    chloe = FashionModel.objects.get(name="Chloe")
    assert (chloe.program, chloe.model_size, chloe.hair_style) == (program, "Petit", "Bob")
    assert response.url == reverse("model_detail", args=[chloe.pk])


def test_a_model_image_is_added_with_view_and_crop_and_gets_a_thumbnail_job(
        browser, program, django_capture_on_commit_callbacks):
    model = f.FashionModelFactory(program=program)
    style = f.StyleFactory(program=program)
    data = f.image_bytes(80, 160)

    with mock.patch.object(jobs.make_thumbnail, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            response = browser.post(reverse("model_image_upload", args=[model.pk]), {
                "image": SimpleUploadedFile("../me.png", data), "view_type": "back_facing",
                "crop_type": "head_half_cropped", "style": style.pk}, follow=True)

    image = ModelImage.objects.get(fashion_model=model)
    assert (image.view_type, image.crop_type, image.style) == ("back_facing", "head_half_cropped", style)
    assert image.image.name.startswith("models/") and "me" not in image.image.name.rsplit("/", 1)[-1]
    assert (image.width, image.height) == (80, 160)
    delay.assert_called_once_with("model", image.pk)
    assert "Image added" in response.content.decode()


def test_a_bad_model_image_is_refused_with_the_reason(browser, program):
    model = f.FashionModelFactory(program=program)

    response = browser.post(reverse("model_image_upload", args=[model.pk]), {
        "image": SimpleUploadedFile("face.jpg", SVG), "view_type": "front_facing", "crop_type": "fullbody"})

    assert "face.jpg is not an image we can read; only JPEG, PNG and WebP are accepted" in response.content.decode()
    assert not ModelImage.objects.exists()


def test_a_model_image_over_the_cap_is_refused_with_the_limit(browser, program, settings):
    settings.STUDIO_MAX_IMAGE_BYTES = 2_000
    model = f.FashionModelFactory(program=program)

    response = browser.post(reverse("model_image_upload", args=[model.pk]), {
        "image": SimpleUploadedFile("big.png", b"\x89PNG" + b"\0" * 5_000), "view_type": "front_facing",
        "crop_type": "fullbody"})

    assert "big.png is larger than the 2.0 KB limit per image" in response.content.decode()
    assert not ModelImage.objects.exists()


def test_a_style_of_another_program_cannot_be_attached(browser, program):
    model = f.FashionModelFactory(program=program)
    foreign = f.StyleFactory()

    response = browser.post(reverse("model_image_upload", args=[model.pk]), {
        "image": SimpleUploadedFile("a.png", f.image_bytes()), "view_type": "front_facing",
        "crop_type": "fullbody", "style": foreign.pk})

    assert "Select a valid choice" in response.content.decode()
    assert not ModelImage.objects.exists()


# --- poses ----------------------------------------------------------------------------------------------------------

@pytest.fixture
def poses(program):
    preset = f.PoseFactory(program=None, is_preset=True, name="Preset walk", category=PoseCategory.WOMEN,
                           prompt_type=PromptType.FULLBODY)
    custom = f.PoseFactory(program=program, name="Hand on hip", category=PoseCategory.MEN,
                           prompt_type=PromptType.TOP)
    f.PoseFactory(name="Other program pose")
    return preset, custom


def test_the_library_has_presets_and_the_programs_custom_poses(browser, program, poses):
    html = get(browser, reverse("pose_library", args=[program.pk]))

    assert "Preset walk" in html and "Hand on hip" in html and "Other program pose" not in html
    assert '<span class="badge preset">Preset</span>' in html and '<span class="badge custom">Custom</span>' in html


@pytest.mark.parametrize(("query", "shown", "hidden"), [
    ("category=Men", "Hand on hip", "Preset walk"),
    ("prompt_type=fullbody", "Preset walk", "Hand on hip"),
    ("source=preset", "Preset walk", "Hand on hip"),
    ("source=custom", "Hand on hip", "Preset walk"),
])
def test_pose_filters_narrow_the_grid_fragment(browser, program, poses, query, shown, hidden):
    html = get(browser, reverse("pose_library", args=[program.pk]) + "?" + query, HX_Request="true")

    assert html.lstrip().startswith('<div id="pose-grid">')
    assert shown in html and hidden not in html


def test_a_custom_pose_is_created_from_a_reference_image(browser, program, django_capture_on_commit_callbacks):
    with mock.patch.object(jobs.make_thumbnail, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            response = browser.post(reverse("pose_create", args=[program.pk]), {
                "name": "Crossed arms", "category": "Women", "prompt_type": "top", "prompt": "arms crossed",
                "reference_image": SimpleUploadedFile("pose.jpg", f.image_bytes(fmt="JPEG"))}, follow=True)

    pose = Pose.objects.get(name="Crossed arms")
    assert (pose.program, pose.is_preset, pose.prompt_type) == (program, False, "top")
    assert pose.reference_image.name.startswith("poses/") and pose.reference_image.name.endswith(".jpg")
    delay.assert_called_once_with("pose", pose.pk)
    assert "Pose Crossed arms added" in response.content.decode()


def test_a_pose_needs_a_valid_reference_image(browser, program):
    response = browser.post(reverse("pose_create", args=[program.pk]), {
        "name": "Broken", "category": "Women", "prompt_type": "top",
        "reference_image": SimpleUploadedFile("ref.jpg", f.image_bytes(fmt="JPEG")[:300])})

    assert "ref.jpg is damaged or truncated" in response.content.decode()
    assert not Pose.objects.filter(name="Broken").exists()


# --- styles ---------------------------------------------------------------------------------------------------------

def test_styles_are_listed_created_and_edited_in_place(browser, program):
    response = browser.post(reverse("style_create", args=[program.pk]),
                            {"name": "Beach", "prompt": "sand, sunset light"}, follow=True)
    style = Style.objects.get(name="Beach")
    assert "Style Beach created." in response.content.decode()

    form = get(browser, reverse("style_edit", args=[style.pk]), HX_Request="true")
    row = browser.post(reverse("style_edit", args=[style.pk]), {"name": "Beach at dusk", "prompt": "blue hour"},
                       headers=HTMX).content.decode()

    assert form.lstrip().startswith(f'<li class="style-row editing" id="style-{style.pk}">')
    assert row.lstrip().startswith(f'<li class="style-row" id="style-{style.pk}">')
    assert "Beach at dusk" in row and "blue hour" in row and "Saved" in row
    style.refresh_from_db()
    assert (style.name, style.prompt) == ("Beach at dusk", "blue hour")
    assert "Beach at dusk" in get(browser, reverse("style_list", args=[program.pk]))


def test_editing_a_style_without_javascript_is_a_page(browser, program):
    style = f.StyleFactory(program=program)

    assert "<html" in get(browser, reverse("style_edit", args=[style.pk]))
    response = browser.post(reverse("style_edit", args=[style.pk]), {"name": "Plain", "prompt": ""})

    assert response.url == reverse("style_list", args=[program.pk])
