"""generations/vendors/huhu/sync.py against the fake: the model gallery imported with its images, the pose library synced,
custom poses created, the credit history mirrored once per request, and faces / model images / poses generated and
saved back to a model."""
import json

import pytest

from catalog.models import FashionModel, ModelImage, Pose
from generations.vendors.huhu import sync as huhu_sync
from generations.models import CreditEntry, CreditKind, VendorReference
from tests.factories import FashionModelFactory, ProgramFactory, image_bytes
from generations.vendors.base import ValidationFailed
from tests.vendors.huhu.test_support import (account, fake, house_style, huhu_account,  # noqa: F401
                                                         start_fake)

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(account):
    return ProgramFactory(team=account.team)


@pytest.fixture
def pinned(fake, program):
    """Models added to the fake live in the key's default program: point the account at it."""
    return huhu_account(fake, team=program.team, settings={"program_id": fake.team().default_program})


def test_models_matching_the_filters_are_imported_with_their_images(fake, pinned, program):
    fake.add_model("Dae Nakamura", attributes={"ethnicity": "East Asian", "age_range": "Young Adult",
                                               "hair_color": "Black", "skin_tone": "Light"})
    fake.add_model("Ana Silva", attributes={"ethnicity": "Hispanic"})
    (model,) = huhu_sync.import_models(pinned, program, model_type="Women", ethnicity="east asian")
    assert (model.name, model.ethnicity, model.hair_color, model.program) == ("Dae Nakamura", "East Asian", "Black",
                                                                              program)
    images = list(model.images.order_by("pk"))
    assert [i.view_type for i in images] == ["front_facing", "back_facing"]
    assert all(i.crop_type == "fullbody" and i.image.read(4) == b"\x89PNG" for i in images)
    query = [r for r in fake.requests if r.path.endswith("/model") and "model_id" not in r.query][-1]
    assert query.arg("ethnicity") == "east asian" and query.arg("model_type") == "Women"


def test_importing_twice_updates_instead_of_duplicating(fake, pinned, program):
    fake.add_model("Dae Nakamura")
    huhu_sync.import_models(pinned, program)
    huhu_sync.import_models(pinned, program)
    assert FashionModel.objects.count() == 1 and ModelImage.objects.count() == 2


def test_the_pose_library_becomes_preset_poses_with_category_and_prompt_type(account):
    poses = huhu_sync.sync_pose_library(account, model_category="Women", prompt_type="fullbody")
    assert poses and all(p.is_preset and p.program is None for p in poses)
    assert {(p.category, p.prompt_type) for p in poses} == {("Women", "fullbody")}
    ref = VendorReference.objects.filter(kind="huhu_pose").first()
    assert ref.raw["reference_image_url"].startswith("https://cdn.huhu.ai/poses/")


def test_the_whole_library_is_143_poses_and_a_resync_adds_none(account):
    assert len(huhu_sync.sync_pose_library(account)) == 143
    huhu_sync.sync_pose_library(account)
    assert Pose.objects.filter(is_preset=True).count() == 143


def test_a_custom_pose_keeps_the_prompt_huhu_extracted(fake, account, program):
    pose = huhu_sync.create_custom_pose(account, program, "Walking Side View", image_bytes())
    assert pose.program == program and not pose.is_preset
    assert pose.prompt == "walking side view pose, front facing, arms at sides" and pose.reference_image
    assert fake.custom_poses[VendorReference.objects.get(kind="huhu_pose").vendor_id]["title"] == "Walking Side View"


def test_the_credit_history_is_mirrored_page_by_page_once_per_request(settings, program):
    server = start_fake(settings, page_size=2)
    try:
        account = huhu_account(server, team=program.team, settings={"program_id": server.team().default_program})
        team = server.team()
        for i in range(5):
            server._charge(team, team.default_program, 2, "StudioModelSaas", f"req-{i}")
        assert huhu_sync.sync_credit_history(account) == 5
        assert huhu_sync.sync_credit_history(account) == 0
        entries = CreditEntry.objects.filter(kind=CreditKind.SYNC)
        assert sorted(entries.values_list("external_id", flat=True)) == [f"req-{i}" for i in range(5)]
        assert {e.credits for e in entries} == {2} and {e.operation for e in entries} == {"StudioModelSaas"}
        assert sum(1 for r in server.requests if r.arg("pagination_token")) == 4  # 3 pages, synced twice
    finally:
        server.stop()


def test_faces_are_generated_polled_and_the_chosen_one_saved_to_a_new_huhu_model(fake, account, program):
    account.settings = {"style_id": house_style(fake)}  # the Huhu style the team chose for new models
    account.save()
    request_id = huhu_sync.generate_faces(account, program, "Headshot front facing portrait of a Senior",
                                          mode="fidelity", num_images=2)
    results = huhu_sync.wait_for_images(account, program, request_id, interval=0)
    assert len(results) == 2
    model = FashionModelFactory(program=program, ethnicity="Caucasian", hair_color="Silver")
    image = huhu_sync.save_to_model(account, model, results[0])
    assert (image.view_type, image.crop_type) == ("front_facing", "fullbody") and image.image
    (huhu_model,) = [m for m in fake.models.values() if m["model_name"] != "House style"]
    assert huhu_model["attributes"]["ethnicity"] == "Caucasian" and huhu_model["model_name"] == model.name
    assert VendorReference.objects.get(kind="huhu_model_image", object_id=image.pk).vendor_id.startswith(
        "assets/model_images/")
    assert fake.team().credits == 50 - 4


def test_model_images_and_poses_are_generated_and_polled_the_same_way(fake, account, program):
    request_id = huhu_sync.generate_model_images(account, program, "studio photo", num_images=3)
    assert len(huhu_sync.wait_for_images(account, program, request_id, interval=0)) == 3
    pose_request = huhu_sync.generate_pose(account, program, "walking pose", "assets/model_images/x.png")
    assert len(huhu_sync.wait_for_images(account, program, pose_request, interval=0)) == 1
    assert fake.team().credits == 50 - 6 - 2


def test_a_failed_generation_is_reported(fake, account, program):
    from generations.vendors.base import GenerationFailed

    fake.fail_generations(1)
    request_id = huhu_sync.generate_faces(account, program, "portrait")
    with pytest.raises(GenerationFailed, match="Generation Failed"):
        huhu_sync.wait_for_images(account, program, request_id, interval=0)


def test_a_project_is_linked_to_huhu_once_and_reused(fake, account, program):
    from tests.factories import ProjectFactory

    project = ProjectFactory(program=program, name="Spring Collection")
    first = huhu_sync.link_project(account, project)
    assert huhu_sync.link_project(account, project) == first
    assert fake.projects[first[1]]["project_name"] == "Spring Collection"
    assert sum(1 for r in fake.requests if r.method == "POST" and r.path.endswith("/project")) == 1


def test_saving_to_a_new_model_with_no_known_style_says_what_is_missing_instead_of_inventing_one(fake, account,
                                                                                                 program):
    """POST /model/image upload mode requires a style_id (001 §5.15); no document says how one is made, so the studio
    uses one it has seen or the team chose, never "default"."""
    request_id = huhu_sync.generate_faces(account, program, "Headshot front facing portrait")
    (result,) = huhu_sync.wait_for_images(account, program, request_id, interval=0)
    with pytest.raises(ValidationFailed, match="none is known"):
        huhu_sync.save_to_model(account, FashionModelFactory(program=program), result)
    uploads = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/model/image")
               and b"model_id" in r.body]
    assert uploads == []


def test_a_model_with_images_on_huhu_is_saved_to_in_a_style_huhu_lists_for_it(fake, pinned, program):
    fake.add_model("Ana Silva")
    huhu_sync.import_models(pinned, program)
    model = FashionModel.objects.get(name="Ana Silva")
    listed = {i["style_id"] for i in fake.model_images.values()
              if i["model_id"] == fake_model_id(fake, "Ana Silva")}
    request_id = huhu_sync.generate_faces(pinned, program, "Headshot front facing portrait")
    (result,) = huhu_sync.wait_for_images(pinned, program, request_id, interval=0)
    huhu_sync.save_to_model(pinned, model, result)
    upload = json.loads([r for r in fake.requests if r.method == "POST" and r.path.endswith("/model/image")][-1].body)
    assert upload["style_id"] in listed


def fake_model_id(fake, name: str) -> str:
    return next(m["model_id"] for m in fake.models.values() if m["model_name"] == name)
