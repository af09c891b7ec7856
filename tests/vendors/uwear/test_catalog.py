"""The Uwear model catalog table (seed 002, "Image and edit models", "Upscale models", "Video models"): it drives
the capability table the forms are built from, refuses what a model cannot do before any paid call, and estimates
credits inside each model's published range."""
from decimal import Decimal

import pytest

from generations.vendors.uwear import catalog
from generations.vendors.base import Unsupported, ValidationFailed
from generations.vendors.uwear.adapter import UwearAdapter

CAPS = UwearAdapter.capabilities


def choices(operation: str, option: str) -> list[str]:
    spec = CAPS.spec(operation)
    return [value for value, _label in next(o for o in spec.options if o.name == option).choices]


def test_our_operations_map_onto_uwear_use_cases():
    assert catalog.USE_CASES == {"try_on": "generate", "edit": "edit", "upscale": "upscale", "video": "video"}
    assert set(CAPS.operations) == set(catalog.USE_CASES)


def test_the_forms_offer_exactly_the_documented_model_slugs_per_use_case():
    image = ["nano-banana-2", "nano-banana-pro", "gpt-image-2-high", "gpt-image-2-medium", "gpt-image-2-low",
             "seedream-v4-5", "qwen-rapid-aio-v23", "gemini-flash"]
    assert choices("try_on", "model_slug") == image
    assert choices("edit", "model_slug") == image
    assert choices("upscale", "model_slug") == ["seedvr2", "aura-sr"]
    assert choices("video", "model_slug") == ["seedance-2", "kling-3-pro", "kling-2-5-turbo-pro", "seedance-1-5-pro"]


def test_model_choices_are_labelled_with_their_published_credit_range():
    labels = dict(next(o for o in CAPS.spec("video").options if o.name == "model_slug").choices)
    assert labels["seedance-2"] == "Seedance 2 (49–183 credits)"
    assert dict(next(o for o in CAPS.spec("try_on").options if o.name == "model_slug").choices)["gemini-flash"] == \
        "Gemini Flash (1 credit)"


def test_the_forms_offer_the_documented_resolutions_ratios_factors_and_targets():
    assert choices("try_on", "resolution") == ["1K", "768X1024", "1024X1280", "2K", "4K"]
    assert choices("edit", "aspect_ratio") == ["21:9", "16:9", "3:2", "4:3", "5:4", "1:1", "4:5", "3:4", "2:3",
                                               "9:16"]
    assert choices("upscale", "upscale_factor") == ["2", "4"]
    assert choices("upscale", "target_resolution") == ["2160p"]
    assert choices("video", "resolution") == ["720p"]


def test_every_option_has_a_label_and_help_text():
    for spec in CAPS.operations.values():
        assert spec.help
        for option in spec.options:
            assert option.label and option.help, option.name


def test_defaults_are_the_documented_ones():
    assert CAPS.clean("try_on", {}, 1) == {"model_slug": "nano-banana-2", "aspect_ratio": None, "resolution": None,
                                          "camera": "photo", "enhance_user_prompt": True}
    assert CAPS.clean("upscale", {}, 1)["model_slug"] == "seedvr2"
    assert CAPS.clean("video", {}, 1)["model_slug"] == "kling-3-pro"
    assert CAPS.clean("video", {}, 1)["generate_audio"] is False


@pytest.mark.parametrize("count", [0, 6])
def test_num_images_outside_one_to_five_is_refused(count):
    with pytest.raises(ValidationFailed, match="between 1 and 5"):
        CAPS.clean("try_on", {}, count)


def test_an_unknown_option_is_refused_not_dropped():
    with pytest.raises(Unsupported, match="seed"):
        CAPS.clean("try_on", {"seed": 4}, 1)


def test_face_pose_and_model_image_operations_are_not_offered():
    for operation in ("face", "pose", "model_image"):
        with pytest.raises(Unsupported):
            CAPS.spec(operation)


@pytest.mark.parametrize("use_case,options,refs,last_frame,message", [
    ("generate", {"model_slug": "seedvr2"}, 0, False, "cannot run generate"),
    ("edit", {"model_slug": "kling-3-pro"}, 0, False, "cannot run edit"),
    ("upscale", {"model_slug": "nano-banana-2"}, 0, False, "cannot run upscale"),
    ("video", {"model_slug": "aura-sr"}, 0, False, "cannot run video"),
    ("generate", {"model_slug": "gpt-image-2-high", "resolution": "4K"}, 0, False, "resolution 4K"),
    ("generate", {"model_slug": "qwen-rapid-aio-v23", "resolution": "2K"}, 0, False, "resolution 2K"),
    ("generate", {"model_slug": "nano-banana-2", "resolution": "768X1024"}, 0, False, "resolution 768X1024"),
    ("generate", {"model_slug": "gemini-flash", "resolution": "1K"}, 0, False, "resolution 1K"),
    ("generate", {"model_slug": "qwen-rapid-aio-v23", "aspect_ratio": "1:1"}, 0, False, "aspect ratio"),
    ("generate", {"model_slug": "qwen-rapid-aio-v23"}, 2, False, "at most 1 reference"),
    ("generate", {"model_slug": "nano-banana-pro"}, 4, False, "at most 3 reference"),
    ("edit", {"model_slug": "seedream-v4-5"}, 4, False, "at most 3 reference"),
    ("upscale", {"model_slug": "aura-sr", "upscale_factor": "2"}, 0, False, "4x only"),
    ("upscale", {"model_slug": "seedvr2", "target_resolution": "1080p"}, 0, False, "2160p only"),
    ("video", {"model_slug": "seedance-2", "duration": 3}, 0, False, "4–15 seconds"),
    ("video", {"model_slug": "kling-2-5-turbo-pro", "duration": 11}, 0, False, "5–10 seconds"),
    ("video", {"model_slug": "seedance-1-5-pro", "duration": 4}, 0, False, "5–10 seconds"),
    ("video", {"model_slug": "kling-2-5-turbo-pro", "duration": 5, "generate_audio": True}, 0, False, "audio"),
    ("video", {"model_slug": "seedance-2", "duration": 5}, 0, True, "last frame"),
    ("video", {"model_slug": "kling-3-pro", "duration": 5, "resolution": "720p"}, 0, False, "resolution 720p"),
])
def test_a_setting_the_chosen_model_does_not_support_is_refused_before_paying(use_case, options, refs, last_frame,
                                                                            message):
    with pytest.raises((Unsupported, ValidationFailed), match=message):
        catalog.check(use_case, options, refs=refs, last_frame=last_frame)


@pytest.mark.parametrize("use_case,options,refs,last_frame", [
    ("generate", {"model_slug": "qwen-rapid-aio-v23", "resolution": "1024X1280"}, 1, False),
    ("generate", {"model_slug": "gpt-image-2-low", "resolution": "2K", "aspect_ratio": "9:16"}, 3, False),
    ("edit", {"model_slug": "gemini-flash", "aspect_ratio": "21:9"}, 3, False),
    ("upscale", {"model_slug": "seedvr2", "upscale_factor": "4", "target_resolution": "2160p"}, 0, False),
    ("upscale", {"model_slug": "aura-sr", "upscale_factor": "4"}, 0, False),
    ("video", {"model_slug": "seedance-2", "duration": 15, "generate_audio": True, "resolution": "720p"}, 0, False),
    ("video", {"model_slug": "kling-3-pro", "duration": 3, "generate_audio": True}, 0, True),
    ("video", {"model_slug": "seedance-1-5-pro", "duration": 10}, 0, True),
])
def test_settings_within_the_catalog_pass(use_case, options, refs, last_frame):
    assert catalog.check(use_case, options, refs=refs, last_frame=last_frame).slug == options["model_slug"]


def test_estimates_stay_inside_each_models_published_range():
    for model in catalog.MODELS.values():
        use_case = {"image": "generate", "upscale": "upscale", "video": "video"}[model.family]
        low, high = model.credits
        cheapest = catalog.estimate(use_case, {"model_slug": model.slug, "resolution": (model.resolutions or
                                                                                        [None])[0]}, 1)
        assert Decimal(low) <= cheapest <= Decimal(high), model.slug


def test_image_estimates_grow_with_resolution_and_output_count():
    assert catalog.estimate("generate", {"model_slug": "nano-banana-2", "resolution": "1K"}, 1) == 3
    assert catalog.estimate("generate", {"model_slug": "nano-banana-2", "resolution": "4K"}, 1) == 7
    assert catalog.estimate("generate", {"model_slug": "nano-banana-2", "resolution": "4K"}, 3) == 21
    assert catalog.estimate("generate", {"model_slug": "gpt-image-2-high"}, 2) == 24


def test_video_estimates_span_the_range_with_duration_and_audio():
    assert catalog.estimate("video", {"model_slug": "seedance-2", "duration": 4}, 1) == 49
    assert catalog.estimate("video", {"model_slug": "seedance-2", "duration": 15, "generate_audio": True}, 1) == 183
    assert catalog.estimate("video", {"model_slug": "kling-2-5-turbo-pro", "duration": 10}, 1) == 26


def test_the_adapter_estimate_checks_the_model_rules_first(account):
    adapter = UwearAdapter(account)
    assert adapter.estimate("upscale", {"model_slug": "aura-sr"}, 2) == 2
    with pytest.raises(Unsupported):
        adapter.estimate("try_on", {"model_slug": "gemini-flash", "resolution": "4K"}, 1)


@pytest.fixture
def account(db):
    from generations.models import Vendor
    from tests.factories import VendorAccountFactory

    return VendorAccountFactory(vendor=Vendor.UWEAR)
