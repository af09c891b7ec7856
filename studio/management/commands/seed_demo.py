"""`manage.py seed_demo`: a demo team with one login per role and a small catalog with drawn pictures.

Idempotent: rows are found by their natural names and files are only drawn when missing, so running it again
changes nothing. No password lives in code: STUDIO_DEMO_PASSWORD if set, else one random password made on the
first run and kept (mode 600) in VAR_DIR/demo-logins.txt, which later runs reuse.
"""
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction

from catalog import demo_art, images
from catalog.models import (
    SKU,
    CropType,
    FashionModel,
    GarmentImage,
    GarmentType,
    GarmentView,
    ModelImage,
    Pose,
    Presentation,
    Program,
    Project,
    Style,
    ViewType,
)
from generations.models import Vendor, VendorAccount
from studio.models import Membership, Role, Team

LOGINS_FILE = "demo-logins.txt"
USERS = [("demo-admin", Role.ADMIN), ("demo-manager", Role.MANAGER), ("demo-creative", Role.CREATIVE),
         ("demo-client", Role.CLIENT)]

# (code, name, category, garment type) — the category picks the drawing in catalog.demo_art.
SKUS = [
    ("SS-TEE-001", "Organic cotton tee", "t-shirt", GarmentType.TOP),
    ("SS-JEAN-002", "Straight-leg jeans", "jeans", GarmentType.BOTTOM),
    ("SS-DRESS-003", "Polka-dot midi dress", "dress", GarmentType.FULL_BODY),
    ("SS-JKT-004", "Utility jacket", "jacket", GarmentType.TOP),
    ("SS-SNK-005", "Canvas sneakers", "sneakers", GarmentType.SHOES),
    ("SS-HAT-006", "Cotton twill cap", "hat", GarmentType.ACCESSORY),
]

MODELS = [
    {"name": "Mei", "model_type": "Women", "model_size": "Petit", "ethnicity": "East Asian",
     "age_range": "Young Adult", "hair_color": "Black", "hair_style": "Long", "skin_tone": "Light",
     "eye_color": "Brown"},
    {"name": "Kwame", "model_type": "Men", "model_size": "Regular", "ethnicity": "Black", "age_range": "Young Adult",
     "hair_color": "Black", "hair_style": "Short", "skin_tone": "Dark", "eye_color": "Brown"},
    {"name": "Siobhan", "model_type": "Women", "model_size": "Plus size", "ethnicity": "Caucasian",
     "age_range": "Middle-aged", "hair_color": "Red", "hair_style": "Curly", "skin_tone": "Fair",
     "eye_color": "Green"},
    {"name": "Lucía", "model_type": "Maternity", "model_size": "Regular", "ethnicity": "Hispanic",
     "age_range": "Young Adult", "hair_color": "Brown", "hair_style": "Bun", "skin_tone": "Olive",
     "eye_color": "Hazel"},
]
# Each model gets a front-facing full body (what try-on composes onto) and one closer crop.
MODEL_CROPS = [CropType.FULLBODY, CropType.HEAD_HALF_CROPPED, CropType.TOP, CropType.BOTTOM]

STYLES = [
    ("White studio", "seamless white studio background, soft even lighting, subtle floor shadow, e-commerce"),
    ("Urban street", "city street at golden hour, blurred storefronts, natural light, editorial fashion photo"),
]

# (name, category, prompt type, figure in demo_art.FIGURES, prompt)
POSES = [
    ("Standing front", "Women", "fullbody", "standing", "full body, standing, front facing, arms relaxed at sides"),
    ("Walking towards camera", "Women", "fullbody", "walking", "full body, mid-stride walking towards camera"),
    ("Hand on hip", "Women", "head_half_cropped", "hand_on_hip", "cropped at the chin, one hand on hip"),
    ("Hand at collar", "Women", "close_up_upper_body", "hand_at_collar", "close-up upper body, hand at collar"),
    ("Standing front, men", "Men", "fullbody", "standing", "full body, standing straight, front facing"),
    ("Hands in pockets", "Men", "top", "hands_in_pockets", "upper body, relaxed, hands in pockets"),
    ("Side step", "Men", "bottom", "side_step", "waist down, side step, weight on one leg"),
    ("Feet apart", "Men", "close_up_lower_body", "feet_apart", "close-up lower body, feet shoulder-width apart"),
    ("Jumping", "Child", "fullbody", "jumping", "full body, child jumping with arms up, playful"),
    ("Waving", "Child", "top", "waving", "upper body, child waving at the camera"),
    ("Sitting", "Infant", "fullbody", "sitting", "full body, infant sitting on the floor, hands in lap"),
    ("Sitting, arms up", "Infant", "head_half_cropped", "sitting_arms_up", "infant sitting, both arms raised"),
]


@dataclass
class Counter:
    created: int = 0

    def add(self, was_created: bool) -> None:
        self.created += bool(was_created)


def demo_password() -> tuple[str, Path | None]:
    """The password for every demo login, and the file it is kept in (None when it came from the environment)."""
    from_env = os.environ.get("STUDIO_DEMO_PASSWORD")
    if from_env:
        return from_env, None
    path = Path(settings.VAR_DIR) / LOGINS_FILE
    if path.exists():
        for line in path.read_text().splitlines():
            if line.startswith("password: "):
                return line.removeprefix("password: ").strip(), path
    return secrets.token_urlsafe(12), path


def write_logins(path: Path, password: str) -> None:
    lines = ["# Fashion Studio demo logins, written by `manage.py seed_demo`. Keep this file private.",
             f"password: {password}"] + [f"{username} ({role.label})" for username, role in USERS]
    # Created with mode 600 from the start, so the password is never readable by others even for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    path.chmod(0o600)


def save_image(instance, field: str, data: bytes, name: str) -> images.CheckedImage:
    """Store drawn bytes the way an upload is stored: checked first, then saved under our own name."""
    checked = images.check_image(data)
    getattr(instance, field).save(f"{name}.{checked.extension}", ContentFile(data), save=False)
    if hasattr(instance, "width"):  # filled from the checked bytes, as an upload view does
        instance.width, instance.height = checked.width, checked.height
    return checked


class Command(BaseCommand):
    help = "Create (or complete) the demo team, logins, catalog, models, styles, preset poses and sandbox account."

    def handle(self, *args, **options):
        self.counter = Counter()
        password, path = demo_password()
        with transaction.atomic():
            team = self.team_and_users(password)
            program, _ = Program.objects.get_or_create(team=team, name="Demo Brand")
            styles = self.styles(program)
            models = self.fashion_models(program, styles[0])
            self.catalog(program, models, styles)
            self.poses()
            _, made = VendorAccount.objects.get_or_create(team=team, vendor=Vendor.SANDBOX, name="Sandbox (local)")
            self.counter.add(made)
        if path is not None:
            write_logins(path, password)
        self.report(password, path)

    def team_and_users(self, password: str) -> Team:
        team, made = Team.objects.get_or_create(slug="demo-studio", defaults={"name": "Demo Studio"})
        self.counter.add(made)
        User = get_user_model()
        for username, role in USERS:
            user, made = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
            self.counter.add(made)
            is_admin = role == Role.ADMIN  # the demo admin also gets /admin/
            if made or not user.check_password(password) or user.is_superuser != is_admin:
                user.set_password(password)
                user.is_staff = user.is_superuser = is_admin
                user.save()
            _, made = Membership.objects.update_or_create(user=user, team=team, defaults={"role": role})
            self.counter.add(made)
        return team

    def styles(self, program: Program) -> list[Style]:
        result = []
        for name, prompt in STYLES:
            style, made = Style.objects.get_or_create(program=program, name=name, defaults={"prompt": prompt})
            self.counter.add(made)
            result.append(style)
        return result

    def fashion_models(self, program: Program, studio_style: Style) -> list[FashionModel]:
        result = []
        for i, attrs in enumerate(MODELS):
            attrs = dict(attrs)
            fashion_model, made = FashionModel.objects.get_or_create(program=program, name=attrs.pop("name"),
                                                                     defaults=attrs)
            self.counter.add(made)
            for crop in (CropType.FULLBODY, MODEL_CROPS[1 + i % 3]):
                self.model_image(fashion_model, attrs, crop, studio_style)
            result.append(fashion_model)
        return result

    def model_image(self, fashion_model: FashionModel, attrs: dict, crop: str, style: Style) -> None:
        lookup = {"fashion_model": fashion_model, "view_type": ViewType.FRONT_FACING, "crop_type": crop}
        if ModelImage.objects.filter(**lookup).exists():
            return
        image = ModelImage(style=style, **lookup)
        save_image(image, "image", demo_art.model_image(attrs, crop), f"model-{crop}")
        image.save()
        images.save_thumbnail(image)
        self.counter.add(True)

    def catalog(self, program: Program, models: list[FashionModel], styles: list[Style]) -> None:
        project, made = Project.objects.get_or_create(program=program, name="Spring Collection")
        self.counter.add(made)
        for i, (code, name, category, garment_type) in enumerate(SKUS):
            sku, made = SKU.objects.get_or_create(project=project, code=code, defaults={
                "name": name, "category": category, "garment_type": garment_type,
                "accessory_sub_type": "hat" if category == "hat" else "",
                "fashion_model": models[i % len(models)], "style": styles[i % len(styles)],
                "description": f"{name}, photographed flat on a light background",
            })
            self.counter.add(made)
            for view in (GarmentView.FRONT, GarmentView.BACK):
                self.garment_image(sku, category, view)

    def garment_image(self, sku: SKU, category: str, view: str) -> None:
        if GarmentImage.objects.filter(sku=sku, view=view).exists():
            return
        image = GarmentImage(sku=sku, view=view, garment_type=sku.garment_type,
                             presentation=Presentation.FLATLAY_CLEAN, original_name=f"{sku.code}-{view}.jpg")
        checked = save_image(image, "image", demo_art.garment(category, view), f"{category}-{view}")
        image.checksum, image.size_bytes = checked.checksum, checked.size_bytes
        image.save()
        images.save_thumbnail(image)
        self.counter.add(True)

    def poses(self) -> None:
        for name, category, prompt_type, figure, prompt in POSES:
            pose, made = Pose.objects.get_or_create(
                program=None, is_preset=True, name=name,
                defaults={"category": category, "prompt_type": prompt_type, "prompt": prompt},
            )
            self.counter.add(made)
            if not pose.reference_image:
                save_image(pose, "reference_image", demo_art.pose_reference(figure, category, prompt_type), "pose")
                pose.save()
                images.save_thumbnail(pose, "reference_image")

    def report(self, password: str, path: Path | None) -> None:
        self.stdout.write(f"Demo data ready ({self.counter.created} new rows or images).")
        self.stdout.write("Logins (every demo user shares one password):")
        for username, role in USERS:
            self.stdout.write(f"  {username:<14} {role.label:<9} {password}")
        if path is not None:
            self.stdout.write(f"Kept in {path} (readable only by you).")
        else:
            self.stdout.write("Password taken from STUDIO_DEMO_PASSWORD.")
