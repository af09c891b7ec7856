"""Export of approved images: a streamed zip with a folder per SKU, `<SKU>_<view>_<n>.<ext>`, and a manifest."""
import csv
import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from generations import export
from generations.models import Decision, ReviewEvent, ReviewStage, TaskStatus as S
from studio.models import Role
from tests.factories import (GarmentImageFactory, MembershipFactory, ModelImageFactory, PoseFactory, ProjectFactory,
                             SKUFactory, TaskFactory, TaskOutputFactory)

pytestmark = pytest.mark.django_db


def approved_output(sku, *, client=False, view="front", manager=None, client_user=None):
    garment = GarmentImageFactory(sku=sku, view=view, original_name=f"{sku.code}-{view}.png")
    task = TaskFactory(sku=sku, status=S.CLIENT_APPROVED if client else S.REVIEW_APPROVED,
                       model_image=ModelImageFactory(fashion_model__program=sku.project.program),
                       pose=PoseFactory(program=sku.project.program), prompt="studio shot", charged_credits=2)
    task.garment_images.add(garment)
    output = TaskOutputFactory(task=task, review_status=S.CLIENT_APPROVED if client else S.REVIEW_APPROVED)
    ReviewEvent.objects.create(task=task, output=output, actor=manager, stage=ReviewStage.REVIEW,
                               decision=Decision.APPROVED)
    if client:
        ReviewEvent.objects.create(task=task, output=output, actor=client_user, stage=ReviewStage.CLIENT,
                                   decision=Decision.APPROVED)
    return output


@pytest.fixture
def project_with_outputs():
    manager = MembershipFactory(role=Role.MANAGER)
    client = MembershipFactory(role=Role.CLIENT, team=manager.team)
    project = ProjectFactory(program__team=manager.team)
    tee, jeans = SKUFactory(project=project, code="TEE 01/red"), SKUFactory(project=project, code="JEANS-02")
    outputs = [approved_output(tee, manager=manager.user), approved_output(tee, manager=manager.user),
               approved_output(tee, view="back", client=True, manager=manager.user, client_user=client.user),
               approved_output(jeans, manager=manager.user)]
    rejected = TaskOutputFactory(task__sku=jeans, review_status=S.REVIEW_REJECTED)
    pending = TaskOutputFactory(task__sku=jeans, review_status=S.REVIEW_SUBMITTED)
    return project, manager, client, outputs, (rejected, pending)


def unzip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_zip_has_a_folder_per_sku_named_files_and_only_approved_images(client, project_with_outputs):
    project, manager, _, outputs, _ = project_with_outputs
    client.force_login(manager.user)
    response = client.get(f"/projects/{project.pk}/export.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = unzip(response)
    assert sorted(archive.namelist()) == [
        "JEANS-02/JEANS-02_front_1.png", "TEE-01-red/TEE-01-red_back_1.png", "TEE-01-red/TEE-01-red_front_1.png",
        "TEE-01-red/TEE-01-red_front_2.png", "manifest.csv"]
    with outputs[0].file.open("rb") as fh:
        assert archive.read("TEE-01-red/TEE-01-red_front_1.png") == fh.read()


def test_the_manifest_maps_every_file_to_its_sku_approvals_and_storage(client, project_with_outputs):
    project, manager, client_member, outputs, _ = project_with_outputs
    client.force_login(manager.user)
    rows = list(csv.DictReader(io.StringIO(unzip(client.get(f"/projects/{project.pk}/export.zip"))
                                          .read("manifest.csv").decode())))
    back = next(r for r in rows if r["view"] == "back")
    assert back["sku"] == "TEE 01/red" and back["garment_images"] == "TEE 01/red-back.png"
    assert back["review_approved_by"] == manager.user.username
    assert back["client_approved_by"] == client_member.user.username and back["client_approved_at"]
    assert back["storage_path"] == outputs[2].file.name and back["task_credits_charged"] == "2.00"
    assert back["pose"] and back["model"] and back["prompt"] == "studio shot"


def test_the_csv_manifest_downloads_on_its_own(client, project_with_outputs):
    project, manager, *_ = project_with_outputs
    client.force_login(manager.user)
    response = client.get(f"/projects/{project.pk}/manifest.csv")
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0].split(",") == export.MANIFEST_COLUMNS and len(text.splitlines()) == 5


def test_clients_can_export_and_choose_only_client_approved_images(client, project_with_outputs):
    project, _, client_member, *_ = project_with_outputs
    client.force_login(client_member.user)
    archive = unzip(client.get(f"/projects/{project.pk}/export.zip?stage=client"))
    assert sorted(archive.namelist()) == ["TEE-01-red/TEE-01-red_back_1.png", "manifest.csv"]


def test_a_creative_may_not_export(client, project_with_outputs):
    project, manager, *_ = project_with_outputs
    creative = MembershipFactory(role=Role.CREATIVE, team=manager.team)
    client.force_login(creative.user)
    assert client.get(f"/projects/{project.pk}/export.zip").status_code == 403


def test_the_export_costs_the_same_queries_for_few_and_many_outputs(project_with_outputs):
    project, manager, *_ = project_with_outputs
    with CaptureQueriesContext(connection) as few:
        export.manifest_csv(export.iter_rows(export.exportable_outputs(project), project))
    sku = SKUFactory(project=project)
    for _ in range(30):
        approved_output(sku, manager=manager.user)
    with CaptureQueriesContext(connection) as many:
        export.manifest_csv(export.iter_rows(export.exportable_outputs(project), project))
    assert len(few) == len(many)
