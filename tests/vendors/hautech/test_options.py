"""What the form offers for Hautech (the aspect-ratio table, seed, prompt enhancement, label) and the editable
default prompt built like the document's two prompt examples."""
from decimal import Decimal

import pytest

from generations.vendors.base import Unsupported, ValidationFailed
from generations.vendors.hautech.adapter import HautechAdapter
from generations.vendors.hautech.prompts import default_prompt, default_prompt_for_task, garment_label
from generations.vendors.registry import adapter_class
from tests.factories import FashionModelFactory, GarmentImageFactory, PoseFactory, StyleFactory

from tests.vendors.hautech.test_support import drive, fake, hautech_account, hautech_task  # noqa: F401

CAPS = HautechAdapter.capabilities


def option(name):
    return next(o for o in CAPS.spec("try_on").options if o.name == name)


def test_the_registry_finds_the_hautech_adapter():
    assert adapter_class("hautech") is HautechAdapter


def test_the_aspect_ratio_choices_are_the_documents_table_with_pixel_sizes_in_its_order():
    assert option("aspect_ratio").choices == (
        ("1:1", "1:1 (1024×1024)"), ("9:7", "9:7 (1152×896)"), ("7:9", "7:9 (896×1152)"),
        ("7:10", "7:10 (832×1200)"), ("10:7", "10:7 (1200×832)"), ("19:13", "19:13 (1216×832)"),
        ("13:19", "13:19 (832×1216)"), ("7:4", "7:4 (1344×768)"), ("4:7", "4:7 (768×1344)"),
        ("12:5", "12:5 (1536×640)"), ("5:12", "5:12 (640×1536)"),
    )
    assert option("aspect_ratio").default == "7:10"  # the document's example size


def test_options_are_checked_and_defaulted_by_the_capability_table():
    cleaned = CAPS.clean("try_on", {"aspect_ratio": "19:13", "seed": "123456"}, 1)

    assert cleaned == {"aspect_ratio": "19:13", "seed": 123456, "enhance_prompt": True, "label": None}


@pytest.mark.parametrize("options, message", [({"aspect_ratio": "3:4"}, "Aspect ratio must be one of"),
                                              ({"seed": -1}, "Seed must be between"),
                                              ({"seed": "lucky"}, "Seed must be a int")])
def test_values_outside_the_table_are_refused(options, message):
    with pytest.raises(ValidationFailed, match=message):
        CAPS.clean("try_on", options, 1)


def test_operations_and_options_hautech_does_not_have_are_refused():
    with pytest.raises(Unsupported):
        CAPS.spec("video")
    with pytest.raises(Unsupported, match="negative_prompt"):
        CAPS.clean("try_on", {"negative_prompt": "blur"}, 1)
    with pytest.raises(ValidationFailed, match="number of outputs"):
        CAPS.clean("try_on", {}, 2)


@pytest.mark.django_db
def test_the_default_prompt_reads_like_the_documents_examples():
    model = FashionModelFactory(model_type="Women", ethnicity="Australian", age_range="Young Adult",
                                skin_tone="Fair", eye_color="Blue", hair_color="Blonde", hair_style="Wavy")
    pose = PoseFactory(prompt="standing straight with one hip slightly tilted, facing forward")
    style = StyleFactory(prompt="plain white studio background, clean high-contrast lighting")

    prompt = default_prompt(garments=["blue Kenzo Paris tiger t-shirt, regular fit",
                                      "light wash straight-leg jeans, mid-rise"],
                            fashion_model=model, pose=pose, style=style)

    assert prompt == (
        "Minimalist, full-body shot, young adult Australian female model with fair skin tone, blue eyes, "
        "blonde wavy hair. Standing straight with one hip slightly tilted, facing forward. Wearing (blue Kenzo "
        "Paris tiger t-shirt, regular fit), (light wash straight-leg jeans, mid-rise). Plain white studio "
        "background, clean high-contrast lighting, sharp focus.")


def test_without_a_model_or_style_the_prompt_still_names_the_garment_and_a_plain_background():
    assert default_prompt(garments=["a cardigan cloth"]) == (
        "Minimalist, full-body shot, fashion model. Wearing (a cardigan cloth). Plain white studio background, "
        "clean high-contrast lighting, sharp focus.")


@pytest.mark.django_db
def test_the_label_comes_from_the_caption_then_the_sku_description_then_its_name():
    garment = GarmentImageFactory(caption="  red wool   cardigan ", sku__description="knitwear",
                                  sku__name="Cardi", sku__category="cardigan")
    assert garment_label(garment) == "red wool cardigan"
    garment.caption = ""
    assert garment_label(garment) == "knitwear"
    garment.sku.description = ""
    assert garment_label(garment) == "Cardi, cardigan"


@pytest.mark.django_db
def test_an_empty_prompt_sends_the_default_and_a_typed_label_overrides_the_caption(fake):
    task = hautech_task(hautech_account(fake), options={"label": "a cardigan cloth"})

    drive(task, fake)

    sent = fake.inputs("full_naomi")[0]
    assert sent["prompt"] == default_prompt_for_task(task) and "(blue tiger t-shirt, regular fit)" in sent["prompt"]
    assert sent["label"] == "a cardigan cloth"


@pytest.mark.django_db
def test_the_estimate_is_one_unit_per_generation_unless_the_account_sets_a_price(fake):
    assert HautechAdapter(hautech_account(fake)).estimate("try_on", {}, 1) == Decimal("1")
    priced = hautech_account(fake, credits_per_generation="2.5")
    assert HautechAdapter(priced).estimate("try_on", {}, 1) == Decimal("2.5")


@pytest.mark.django_db
def test_a_launch_form_gets_the_same_default_for_a_sku_before_any_task_exists():
    from generations.vendors.hautech.prompts import default_prompt_for_sku

    garment = GarmentImageFactory(caption="black straight-leg jeans, high waist")
    style = StyleFactory(prompt="urban street, golden hour light")

    prompt = default_prompt_for_sku(garment.sku, style=style)

    assert "Wearing (black straight-leg jeans, high waist)" in prompt
    assert prompt.endswith("Urban street, golden hour light, sharp focus.")
