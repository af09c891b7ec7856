"""factory-boy factories for the whole domain. Images are real PNG/JPEG bytes drawn with Pillow."""
import io

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from catalog import models as cm
from generations import models as gm
from studio.models import Membership, Role, Team


def image_bytes(width=64, height=96, color=(200, 40, 40), fmt="PNG") -> bytes:
    img = Image.new("RGB", (width, height), color)
    ImageDraw.Draw(img).rectangle([width // 4, height // 4, 3 * width // 4, 3 * height // 4], fill=(20, 20, 20))
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


def image_file(name="garment.png", **kwargs) -> ContentFile:
    return ContentFile(image_bytes(**kwargs), name=name)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("pass-for-tests-123")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Role.CREATIVE


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Program

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Brand {n}")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Project

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Collection {n}")


class SKUFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.SKU

    project = factory.SubFactory(ProjectFactory)
    code = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = "Cotton tee"
    category = "t-shirt"


class GarmentImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.GarmentImage

    sku = factory.SubFactory(SKUFactory)
    image = factory.LazyFunction(image_file)
    checksum = factory.Sequence(lambda n: f"{n:064x}")
    size_bytes = 100


class StyleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Style

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Style {n}")
    prompt = "white studio background, soft light"


class FashionModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.FashionModel

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Model {n}")
    ethnicity = "East Asian"
    age_range = "Young Adult"
    hair_color = "Black"
    skin_tone = "Light"


class ModelImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.ModelImage

    fashion_model = factory.SubFactory(FashionModelFactory)
    image = factory.LazyFunction(lambda: image_file("model.png", width=80, height=160, color=(230, 200, 180)))
    view_type = cm.ViewType.FRONT_FACING
    crop_type = cm.CropType.FULLBODY


class PoseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Pose

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Pose {n}")
    prompt = "standing pose, front facing, arms at sides"


class VendorAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = gm.VendorAccount

    team = factory.SubFactory(TeamFactory)
    vendor = gm.Vendor.SANDBOX
    name = factory.Sequence(lambda n: f"Account {n}")


class BatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = gm.Batch

    project = factory.SubFactory(ProjectFactory)
    form_token = factory.Sequence(lambda n: f"token-{n}")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = gm.Task

    sku = factory.SubFactory(SKUFactory)
    team = factory.LazyAttribute(lambda o: o.sku.project.program.team)
    account = factory.LazyAttribute(lambda o: VendorAccountFactory(team=o.team))
    prompt = "on-model e-commerce photo"


class TaskOutputFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = gm.TaskOutput

    task = factory.SubFactory(TaskFactory)
    file = factory.LazyFunction(lambda: image_file("out.png", width=80, height=120, color=(40, 90, 200)))
