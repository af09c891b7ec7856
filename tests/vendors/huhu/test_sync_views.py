"""The Huhu sync buttons: import models into the gallery, sync the pose library, sync the credit history — each a
worker job run here against the contract-faithful Huhu fake."""
import pytest
from django.urls import reverse

from catalog.models import FashionModel, Pose
from generations.vendors.huhu import jobs as huhu_jobs
from generations.models import CreditEntry, CreditKind
from studio.models import Role
from tests.factories import MembershipFactory, ProgramFactory, VendorAccountFactory
from tests.vendors.huhu.test_support import fake, huhu_account  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def studio(client, fake):  # noqa: F811
    admin = MembershipFactory(role=Role.ADMIN)
    client.force_login(admin.user)
    # Models added to the fake live in the key's default program: point the account at it.
    account = huhu_account(fake, team=admin.team, settings={"program_id": fake.team().default_program})
    fake.add_model("Dae Nakamura", attributes={"ethnicity": "East Asian"})
    fake.add_model("Ana Silva", attributes={"ethnicity": "Hispanic"})
    client.fake = fake
    return client, admin, account, ProgramFactory(team=admin.team)


@pytest.fixture
def run_jobs_inline(monkeypatch):
    for job in (huhu_jobs.import_models, huhu_jobs.sync_poses, huhu_jobs.sync_credits):
        monkeypatch.setattr(job, "delay", job.run)


def test_the_gallery_offers_the_import_and_it_fills_the_gallery(studio, run_jobs_inline):
    client, admin, account, program = studio
    gallery = client.get(reverse("model_gallery", args=[program.pk]))
    assert b"Import models from Huhu" in gallery.content
    response = client.post(reverse("huhu_import_models", args=[program.pk]),
                           {"account": account.pk, "ethnicity": "Hispanic"}, follow=True)
    assert b"Importing models from Huhu" in response.content
    (model,) = FashionModel.objects.filter(program=program)  # the gallery's filter went along
    assert model.name == "Ana Silva" and model.images.count() == 2
    assert b"Ana Silva" in client.get(reverse("model_gallery", args=[program.pk])).content
    assert account.__class__.objects.get(pk=account.pk).settings["last_sync"]["models"]["ok"]


def test_the_pose_library_syncs_huhus_presets(studio, run_jobs_inline):
    client, admin, account, program = studio
    assert b"Sync pose library from Huhu" in client.get(reverse("pose_library", args=[program.pk])).content
    client.post(reverse("huhu_sync_poses", args=[program.pk]))
    assert Pose.objects.filter(program__isnull=True, is_preset=True).count() == 143


def test_the_credit_history_lands_in_the_ledger_on_the_account_page(studio, run_jobs_inline):
    client, admin, account, program = studio
    team = client.fake.team()
    for n in range(3):  # what Huhu recorded for three paid requests of this key's team
        client.fake._charge(team, team.default_program, 2, "StudioModelSaas", f"req-{n}")
    page = client.post(reverse("account_sync_credits", args=[account.pk]), follow=True)
    assert CreditEntry.objects.filter(account=account, kind=CreditKind.SYNC).count() == 3
    assert b"Last credits sync: 3 new credit history entries" in page.content
    assert b"StudioModelSaas" in page.content  # the ledger table on the account page
    again = client.post(reverse("account_sync_credits", args=[account.pk]), follow=True)
    assert b"Last credits sync: 0 new credit history entries" in again.content  # deduped on request_id


def test_without_a_huhu_account_there_are_no_buttons_and_the_routes_are_404(client):
    member = MembershipFactory(role=Role.ADMIN)
    client.force_login(member.user)
    program = ProgramFactory(team=member.team)
    VendorAccountFactory(team=member.team)  # a sandbox account only
    assert b"Import models from Huhu" not in client.get(reverse("model_gallery", args=[program.pk])).content
    assert client.post(reverse("huhu_import_models", args=[program.pk])).status_code == 404


def test_a_client_cannot_start_an_import(client, fake):  # noqa: F811
    member = MembershipFactory(role=Role.CLIENT)
    huhu_account(fake, team=member.team)
    client.force_login(member.user)
    program = ProgramFactory(team=member.team)
    assert client.post(reverse("huhu_import_models", args=[program.pk])).status_code == 403
