"""`manage.py seed_demo` gives a working demo studio: one login per role, a drawn catalog, and nothing twice."""
import hashlib
import io
import re
import stat
from pathlib import Path

import pytest
from django.contrib.auth import authenticate as django_authenticate, get_user_model
from django.test import RequestFactory
from django.core.management import call_command
from PIL import Image, ImageChops, ImageFilter

from catalog import models as cm
from generations.models import Vendor, VendorAccount
from studio.management.commands import seed_demo
from studio.models import Membership, Role, Team

pytestmark = pytest.mark.django_db

EXPECTED_COUNTS = {
    Team: 1, Membership: 4, cm.Program: 1, cm.Project: 1, cm.SKU: 6, cm.GarmentImage: 12, cm.FashionModel: 4,
    cm.ModelImage: 8, cm.Style: 2, cm.Pose: 12, VendorAccount: 1,
}


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    # Hashing is not what these tests are about; the real hasher makes each run seconds slower.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.delenv("STUDIO_DEMO_PASSWORD", raising=False)


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict:
    return {model: model.objects.count() for model in EXPECTED_COUNTS}


def media_files(settings) -> list[Path]:
    return sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


def authenticate(**credentials):
    """As the login page does: with a request (django-axes' backend needs one to count failures)."""
    return django_authenticate(RequestFactory().post("/accounts/login/"), **credentials)


def logins_file(settings) -> Path:
    return Path(settings.VAR_DIR) / "demo-logins.txt"


def test_seeding_creates_the_demo_team_catalog_models_styles_poses_and_sandbox_account():
    seed()
    assert row_counts() == EXPECTED_COUNTS
    project = cm.Project.objects.get(name="Spring Collection", program__name="Demo Brand",
                                     program__team__name="Demo Studio")
    assert sorted(project.skus.values_list("category", "garment_type")) == sorted([
        ("t-shirt", "Top"), ("jeans", "Bottom"), ("dress", "Full body"), ("jacket", "Top"), ("sneakers", "Shoes"),
        ("hat", "Accessory"),
    ])
    for sku in project.skus.all():
        assert sorted(sku.garment_images.values_list("view", flat=True)) == ["back", "front"]
        assert sku.fashion_model and sku.style
    assert VendorAccount.objects.filter(vendor=Vendor.SANDBOX, name="Sandbox (local)",
                                        team__name="Demo Studio").exists()
    presets = cm.Pose.objects.filter(program=None, is_preset=True)
    assert set(presets.values_list("category", flat=True)) == {"Women", "Men", "Child", "Infant"}
    assert set(presets.values_list("prompt_type", flat=True)) == set(cm.PromptType.values)
    assert all(presets.values_list("prompt", flat=True))
    assert set(cm.Style.objects.values_list("name", flat=True)) == {"White studio", "Urban street"}


def test_fashion_models_have_varied_attributes_and_a_front_full_body_image():
    seed()
    fashion_models = cm.FashionModel.objects.all()
    for field in ("model_type", "model_size", "ethnicity", "age_range", "hair_color", "hair_style", "skin_tone",
                  "eye_color"):
        assert len(set(fashion_models.values_list(field, flat=True))) > 1, field
    for fashion_model in fashion_models:
        crops = set(fashion_model.images.values_list("view_type", "crop_type"))
        assert ("front_facing", "fullbody") in crops and len(crops) == 2


def test_running_it_twice_creates_no_duplicate_rows_or_files(settings):
    seed()
    counts, files = row_counts(), media_files(settings)
    seed()
    assert row_counts() == counts
    assert media_files(settings) == files
    assert get_user_model().objects.filter(username__startswith="demo-").count() == 4


def test_one_membership_per_role_and_only_the_admin_gets_django_admin():
    seed()
    team = Team.objects.get(slug="demo-studio")
    roles = dict(Membership.objects.filter(team=team).values_list("user__username", "role"))
    assert roles == {"demo-admin": Role.ADMIN, "demo-manager": Role.MANAGER, "demo-creative": Role.CREATIVE,
                     "demo-client": Role.CLIENT}
    staff = set(get_user_model().objects.filter(is_staff=True, is_superuser=True).values_list("username", flat=True))
    assert staff == {"demo-admin"}


def test_a_generated_password_is_kept_private_reused_and_printed_with_the_logins(settings):
    output = seed()
    path = logins_file(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    password = re.search(r"^password: (\S+)$", path.read_text(), re.M).group(1)
    for username in ("demo-admin", "demo-manager", "demo-creative", "demo-client"):
        assert re.search(rf"{username}\s+\w+\s+{re.escape(password)}", output)
        assert authenticate(username=username, password=password)
    assert str(path) in output

    assert password in seed()  # the second run reuses it instead of locking people out
    assert authenticate(username="demo-client", password=password)


def test_the_environment_password_wins_and_is_not_written_to_disk(settings, monkeypatch):
    monkeypatch.setenv("STUDIO_DEMO_PASSWORD", "from-the-env-Δ-91")
    seed()
    assert authenticate(username="demo-manager", password="from-the-env-Δ-91")
    assert not logins_file(settings).exists()


def test_no_password_is_written_in_the_command_source(settings):
    output = seed()
    password = re.search(r"demo-admin\s+\w+\s+(\S+)", output).group(1)
    sources = [Path(seed_demo.__file__).read_text(), Path(seed_demo.demo_art.__file__).read_text()]
    for source in sources:
        assert password not in source
        assert not re.search(r"""(?i)(set_password\(\s*["']|password\s*=\s*["'][^"']+["'])""", source)


def test_every_demo_image_is_a_real_jpeg_with_truthful_metadata_and_a_thumbnail():
    seed()
    stored = [(g.image, g) for g in cm.GarmentImage.objects.all()]
    stored += [(m.image, m) for m in cm.ModelImage.objects.all()]
    stored += [(p.reference_image, p) for p in cm.Pose.objects.all()]
    assert len(stored) == 32
    for field, row in stored:
        data = field.read()
        field.close()
        with Image.open(io.BytesIO(data)) as img:
            assert img.format == "JPEG"
            img.load()  # a full decode, not just the header
            size = img.size
        assert row.thumbnail, row
        if isinstance(row, cm.GarmentImage):
            assert size == (800, 1000) and (row.width, row.height) == size
            assert row.checksum == hashlib.sha256(data).hexdigest() and row.size_bytes == len(data)
            assert row.presentation == "flatlay_clean" and row.garment_type == row.sku.garment_type


def test_front_and_back_views_of_a_garment_are_different_pictures():
    seed()
    for sku in cm.SKU.objects.all():
        front, back = (sku.garment_images.get(view=v).checksum for v in ("front", "back"))
        assert front != back, sku.category


def test_model_figures_are_centred_with_the_torso_between_30_and_55_percent_height():
    seed()
    background = Image.open(cm.ModelImage.objects.filter(crop_type="fullbody").first().image.path).getpixel((5, 5))
    for image in cm.ModelImage.objects.filter(crop_type="fullbody"):
        with Image.open(image.image.path) as img:
            rgb = img.convert("RGB")
            w, h = rgb.size
            for fraction in (0.30, 0.42, 0.55):
                pixel = rgb.getpixel((w // 2, int(h * fraction)))
                assert max(abs(a - b) for a, b in zip(pixel, background)) > 20, (image, fraction)
            edge = rgb.getpixel((int(w * 0.05), int(h * 0.42)))
            assert max(abs(a - b) for a, b in zip(edge, background)) < 10  # nothing drawn at the margins


@pytest.mark.parametrize("category", sorted(seed_demo.demo_art.GARMENTS))
@pytest.mark.parametrize("view", ["front", "back"])
def test_a_demo_garment_separates_from_its_background_by_lightness(category, view):
    """The sandbox vendor cuts a garment out by treating pixels light in every channel as background: the demo
    background and shadow must all count as background, and no part of the garment may."""
    art = seed_demo.demo_art
    alpha = art.garment_layer(category, view).getchannel("A").point(lambda a: 255 if a else 0)
    with Image.open(io.BytesIO(art.garment(category, view))) as img:
        channels = img.convert("RGB").split()
    light = [c.point(lambda v: 255 if v > 225 else 0) for c in channels]
    background = ImageChops.multiply(ImageChops.multiply(light[0], light[1]), light[2])
    # Seven pixels either side of the outline are left out: JPEG smears colour across edges a little.
    near = alpha.filter(ImageFilter.BoxBlur(7))  # > 0 within 7 px of the garment, 255 only 7 px inside it
    clearly_outside = near.point(lambda v: 0 if v else 255)
    clearly_inside = near.point(lambda v: 255 if v == 255 else 0)
    assert ImageChops.subtract(clearly_outside, background).getbbox() is None
    assert ImageChops.multiply(clearly_inside, background).getbbox() is None
