"""Every model's `for_team` returns the team's own rows, rows of programs shared with it, and nothing else."""
import pytest

from catalog import models as cm
from generations import models as gm
from studio.models import Role
from tests import factories as f
from tests.tenancy.world import build_world

pytestmark = pytest.mark.django_db

SCOPED = [
    (cm.Program, "program"), (cm.Project, "project"), (cm.SKU, "sku"), (cm.GarmentImage, "garment"),
    (cm.FashionModel, "fashion_model"), (cm.ModelImage, "model_image"), (cm.Style, "style"), (cm.Pose, "pose"),
    (gm.VendorAccount, "account"), (gm.Batch, "batch"), (gm.Task, "task"), (gm.TaskOutput, "output"),
    (gm.ReviewEvent, "review_event"), (gm.CreditEntry, "credit_entry"), (gm.WebhookEvent, "webhook_event"),
    (cm.ZipImport, "zip_import"),
]


@pytest.mark.parametrize("model,attr", SCOPED, ids=[m.__name__ for m, _ in SCOPED])
def test_each_model_is_visible_to_its_team_and_hidden_from_others(model, attr):
    world = build_world()
    row = getattr(world, attr)
    assert model.objects.for_team(world.team_a).filter(pk=row.pk).exists()
    assert not model.objects.for_team(world.team_b).filter(pk=row.pk).exists()
    assert not model.objects.for_team(None).exists()


def test_a_shared_program_and_its_projects_skus_and_models_are_visible_to_the_invited_team():
    world = build_world()
    cm.ProgramShare.objects.create(program=world.program, team=world.team_b)
    for model, attr in [(cm.Program, "program"), (cm.Project, "project"), (cm.SKU, "sku"),
                        (cm.FashionModel, "fashion_model"), (gm.Task, "task")]:
        assert model.objects.for_team(world.team_b).filter(pk=getattr(world, attr).pk).exists()
    # …but the owner's vendor accounts and ledger stay the owner's: the invited team pays with its own accounts.
    assert not gm.VendorAccount.objects.for_team(world.team_b).filter(pk=world.account.pk).exists()
    assert not gm.CreditEntry.objects.for_team(world.team_b).exists()


def test_sharing_a_program_lists_it_once_even_with_several_shares():
    world = build_world()
    third = f.TeamFactory()
    cm.ProgramShare.objects.create(program=world.program, team=world.team_b)
    cm.ProgramShare.objects.create(program=world.program, team=third)
    assert list(cm.Program.objects.for_team(world.team_a)) == [world.program]
    assert list(cm.Program.objects.for_team(world.team_b)) == [world.program]


def test_preset_poses_are_a_library_every_team_sees():
    preset = cm.Pose.objects.create(name="Full body upright", is_preset=True)
    world = build_world()
    assert cm.Pose.objects.for_team(world.team_b).filter(pk=preset.pk).exists()
    assert not cm.Pose.objects.for_team(world.team_b).filter(pk=world.pose.pk).exists()


def test_a_user_in_two_teams_works_in_the_one_they_switch_to(client):
    world = build_world()
    f.MembershipFactory(user=world.user_b, team=world.team_a, role=Role.CLIENT)
    client.force_login(world.user_b)
    response = client.post("/team/switch/", {"team": world.team_a.pk})
    assert response.status_code == 302
    page = client.get("/dashboard/")
    assert world.program.name in page.content.decode()


def test_switching_to_a_team_you_are_not_in_changes_nothing(client):
    world = build_world()
    client.force_login(world.user_b)
    client.post("/team/switch/", {"team": world.team_a.pk})
    assert world.program.name not in client.get("/dashboard/").content.decode()
