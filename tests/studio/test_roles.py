"""Who may do what on the catalog pages (studio.roles): a client views SKUs but creates and uploads nothing; a
creative, manager or admin may. Denials are a 403 on the team's own objects and a 404 on another team's."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import SKU, FashionModel, GarmentImage, ModelImage, Pose, Project, Style
from studio import roles
from studio.models import Role
from tests import factories as f


@pytest.fixture
def world(db):
    program = f.ProgramFactory()
    sku = f.SKUFactory(project__program=program, code="OWN-1", name="Own")
    return {
        "program": program,
        "project": sku.project,
        "sku": sku,
        "garment": f.GarmentImageFactory(sku=sku),
        "model": f.FashionModelFactory(program=program),
        "style": f.StyleFactory(program=program, name="Own style"),
    }


def login(client, world, role):
    member = f.MembershipFactory(team=world["program"].team, role=role)
    client.force_login(member.user)
    return client


def png(name="garment.png"):
    return SimpleUploadedFile(name, f.image_bytes())


# Each action: (URL name, object key for the URL, POST data factory, how to count what it would create or change).
ACTIONS = {
    "upload garment images": ("garment_upload", "sku", lambda w: {"files": [png()]},
                              lambda w: GarmentImage.objects.count()),
    "create a SKU": ("sku_create", "project",
                     lambda w: {"code": "NEW-1", "name": "", "category": "", "garment_type": "Top"},
                     lambda w: SKU.objects.count()),
    "rename a SKU": ("sku_rename", "sku", lambda w: {"code": "RENAMED", "name": "x"},
                     lambda w: SKU.objects.filter(code="RENAMED").count()),
    "edit a garment image": ("garment_image_update", "garment",
                             lambda w: {f"g{w['garment'].pk}-garment_type": "Shoes",
                                        f"g{w['garment'].pk}-view": "side",
                                        f"g{w['garment'].pk}-presentation": "on_model"},
                             lambda w: GarmentImage.objects.filter(view="side").count()),
    "create a project": ("project_create", "program", lambda w: {"name": "New project"},
                         lambda w: Project.objects.count()),
    "create a model": ("model_create", "program",
                       lambda w: {"name": "New model", "model_type": "Women", "model_size": "Regular"},
                       lambda w: FashionModel.objects.count()),
    "add a model image": ("model_image_upload", "model",
                          lambda w: {"image": png(), "view_type": "front_facing", "crop_type": "fullbody"},
                          lambda w: ModelImage.objects.count()),
    "create a pose": ("pose_create", "program",
                      lambda w: {"name": "New pose", "category": "Women", "prompt_type": "fullbody",
                                 "reference_image": png("pose.png")},
                      lambda w: Pose.objects.count()),
    "create a style": ("style_create", "program", lambda w: {"name": "New style", "prompt": ""},
                       lambda w: Style.objects.count()),
    "edit a style": ("style_edit", "style", lambda w: {"name": "Edited style", "prompt": ""},
                     lambda w: Style.objects.filter(name="Edited style").count()),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_client_may_not(action, client, world):
    name, key, data, count = ACTIONS[action]
    login(client, world, Role.CLIENT)
    before = count(world)

    response = client.post(reverse(name, args=[world[key].pk]), data(world))

    assert response.status_code == 403
    assert count(world) == before


@pytest.mark.parametrize("role", [Role.CREATIVE, Role.MANAGER, Role.ADMIN])
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_creatives_managers_and_admins_may(action, role, client, world):
    name, key, data, count = ACTIONS[action]
    login(client, world, role)
    before = count(world)

    response = client.post(reverse(name, args=[world[key].pk]), data(world))

    assert response.status_code == 302, response.content.decode()[:500]
    assert count(world) == before + 1


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_client_of_another_team_gets_a_404_not_a_403(action, client, world):
    name, key, data, count = ACTIONS[action]
    client.force_login(f.MembershipFactory(role=Role.CLIENT).user)

    response = client.post(reverse(name, args=[world[key].pk]), data(world))

    assert response.status_code == 404


@pytest.mark.parametrize("name,key", [("program_detail", "program"), ("project_detail", "project"),
                                      ("sku_detail", "sku"), ("model_gallery", "program"),
                                      ("model_detail", "model"), ("pose_library", "program"),
                                      ("style_list", "program")])
def test_a_client_can_view_the_catalog(name, key, client, world):
    login(client, world, Role.CLIENT)

    response = client.get(reverse(name, args=[world[key].pk]))

    assert response.status_code == 200


def test_a_client_sees_no_create_forms(client, world):
    login(client, world, Role.CLIENT)
    program = world["program"].pk

    pages = [client.get(reverse(n, args=[program])).content.decode()
             for n in ("program_detail", "model_gallery", "pose_library", "style_list")]

    assert "New project" not in pages[0]
    assert "New model" not in pages[1]
    assert "New custom pose" not in pages[2]
    assert "New style" not in pages[3] and ">Edit<" not in pages[3]


def test_the_role_table_gives_upload_and_edit_to_everyone_but_clients():
    for role in (Role.CREATIVE, Role.MANAGER, Role.ADMIN):
        assert {roles.UPLOAD, roles.EDIT} <= roles.PERMISSIONS[role]
    assert not {roles.UPLOAD, roles.EDIT} & roles.PERMISSIONS[Role.CLIENT]
