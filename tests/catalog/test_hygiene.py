"""Catalog hygiene (issue 16.5): archive a SKU, delete or replace a garment image, delete models and poses, search
and select on the project grid. Each destructive action asks first; running tasks block a delete and are named."""
import io

import pytest
from django.urls import reverse
from PIL import Image

from catalog.models import SKU, FashionModel, GarmentImage, GarmentView, Pose
from generations.models import TaskStatus
from studio.models import Role
from tests import factories as f


@pytest.fixture
def member(db):
    return f.MembershipFactory(role=Role.CREATIVE)


@pytest.fixture
def browser(client, member):
    client.force_login(member.user)
    return client


@pytest.fixture
def project(member):
    return f.ProjectFactory(program__team=member.team)


def as_role(client, team, role):
    other = f.MembershipFactory(team=team, role=role)
    client.force_login(other.user)
    return client


def png_upload(name="new_front.png", color=(200, 30, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), color).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


# --- archive --------------------------------------------------------------------------------------------------------
def test_archiving_asks_first_then_takes_the_sku_off_the_grid_and_out_of_the_generate_form(browser, project):
    kept, archived = f.SKUFactory(project=project, code="KEEP-1"), f.SKUFactory(project=project, code="GONE-1")
    url = reverse("sku_archive", args=[archived.pk])

    confirm = browser.get(url)
    assert confirm.status_code == 200 and "Archive SKU GONE-1?" in confirm.content.decode()
    assert SKU.objects.get(pk=archived.pk).archived_at is None  # asking changes nothing

    browser.post(url, follow=True)  # the toast naming the SKU is shown there

    grid = browser.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert "KEEP-1" in grid and "GONE-1" not in grid
    assert "Archived SKUs (1)" in grid
    generate = browser.get(reverse("generate", args=[project.pk]) + "?scope=all").content.decode()
    assert "GONE-1" not in generate
    archived_grid = browser.get(reverse("project_detail", args=[project.pk]) + "?archived=1").content.decode()
    assert "GONE-1" in archived_grid and "KEEP-1" not in archived_grid


def test_an_archived_sku_keeps_its_outputs_and_can_be_unarchived(browser, project):
    sku = f.SKUFactory(project=project, code="BACK-1")
    output = f.TaskOutputFactory(task=f.TaskFactory(sku=sku))
    browser.post(reverse("sku_archive", args=[sku.pk]))

    assert output.__class__.objects.filter(pk=output.pk).exists()
    assert browser.get(reverse("sku_detail", args=[sku.pk])).status_code == 200  # history stays reachable

    browser.post(reverse("sku_unarchive", args=[sku.pk]))
    assert SKU.objects.get(pk=sku.pk).archived_at is None
    assert "BACK-1" in browser.get(reverse("project_detail", args=[project.pk])).content.decode()


def test_a_bulk_run_of_the_whole_project_leaves_archived_skus_out(browser, project):
    from generations.bulk_forms import BulkGenerateForm

    f.SKUFactory(project=project, code="IN-1")
    out = f.SKUFactory(project=project, code="OUT-1")
    SKU.objects.filter(pk=out.pk).update(archived_at="2026-01-01T00:00:00Z")

    form = BulkGenerateForm(team=project.program.team, project=project)
    assert [s.code for s in form.fields["skus"].queryset] == ["IN-1"]


@pytest.mark.parametrize("role", [Role.CLIENT])
def test_clients_may_not_archive_or_delete(client, project, role):
    sku = f.SKUFactory(project=project)
    image = f.GarmentImageFactory(sku=sku)
    model = f.FashionModelFactory(program=project.program)
    pose = f.PoseFactory(program=project.program)
    browser = as_role(client, project.program.team, role)

    for name, pk in (("sku_archive", sku.pk), ("garment_image_delete", image.pk), ("model_delete", model.pk),
                     ("pose_delete", pose.pk)):
        assert browser.post(reverse(name, args=[pk])).status_code == 403, name
    assert SKU.objects.get(pk=sku.pk).archived_at is None
    assert GarmentImage.objects.filter(pk=image.pk).exists()
    assert FashionModel.objects.filter(pk=model.pk).exists() and Pose.objects.filter(pk=pose.pk).exists()


# --- garment images -------------------------------------------------------------------------------------------------
def test_deleting_a_garment_image_asks_first_then_deletes_it(browser, project):
    image = f.GarmentImageFactory(sku=f.SKUFactory(project=project), original_name="tee_back.png")
    url = reverse("garment_image_delete", args=[image.pk])

    assert "Delete tee_back.png?" in browser.get(url).content.decode()
    assert GarmentImage.objects.filter(pk=image.pk).exists()

    response = browser.post(url, follow=True)
    assert not GarmentImage.objects.filter(pk=image.pk).exists()
    assert "tee_back.png deleted" in response.content.decode()


def test_a_garment_image_a_running_task_uses_is_not_deleted_and_the_task_is_named(browser, project):
    sku = f.SKUFactory(project=project, code="BUSY-1")
    image = f.GarmentImageFactory(sku=sku)
    task = f.TaskFactory(sku=sku, status=TaskStatus.GENERATION_IN_PROCESS)
    task.garment_images.add(image)

    response = browser.post(reverse("garment_image_delete", args=[image.pk]))

    assert response.status_code == 409
    assert f"Task {task.pk} (SKU BUSY-1" in response.content.decode()
    assert GarmentImage.objects.filter(pk=image.pk).exists()


def test_replacing_a_garment_image_keeps_its_view_and_type(browser, project):
    sku = f.SKUFactory(project=project)
    old = f.GarmentImageFactory(sku=sku, view=GarmentView.BACK, original_name="old_back.png", caption="navy tee")

    response = browser.post(reverse("garment_image_replace", args=[old.pk]), {"image": png_upload()}, follow=True)

    assert response.status_code == 200
    new = sku.garment_images.get()
    assert new.pk != old.pk and new.original_name == "new_front.png"
    assert (new.view, new.caption) == (GarmentView.BACK, "navy tee")
    assert "old_back.png replaced by new_front.png" in response.content.decode()


def test_a_replacement_that_is_not_an_image_is_refused_and_the_old_one_stays(browser, project):
    old = f.GarmentImageFactory(sku=f.SKUFactory(project=project))
    junk = io.BytesIO(b"not an image at all")
    junk.name = "notes.png"

    response = browser.post(reverse("garment_image_replace", args=[old.pk]), {"image": junk})

    assert response.status_code == 400
    assert "notes.png" in response.content.decode()
    assert GarmentImage.objects.filter(pk=old.pk).exists()


# --- models and poses -----------------------------------------------------------------------------------------------
def test_a_model_used_by_a_running_task_is_not_deleted_and_the_task_is_named(browser, project):
    model = f.FashionModelFactory(program=project.program, name="Ana")
    image = f.ModelImageFactory(fashion_model=model)
    task = f.TaskFactory(sku=f.SKUFactory(project=project, code="RUN-1"), model_image=image,
                         status=TaskStatus.TASK_SUBMITTED)

    response = browser.post(reverse("model_delete", args=[model.pk]))

    assert response.status_code == 409
    assert f"Task {task.pk} (SKU RUN-1" in response.content.decode()
    assert FashionModel.objects.filter(pk=model.pk).exists()


def test_a_model_whose_tasks_finished_is_deleted_and_the_tasks_stay(browser, project):
    model = f.FashionModelFactory(program=project.program, name="Bea")
    task = f.TaskFactory(sku=f.SKUFactory(project=project), model_image=f.ModelImageFactory(fashion_model=model),
                         status=TaskStatus.GENERATION_COMPLETED)
    url = reverse("model_delete", args=[model.pk])

    assert "Delete Bea?" in browser.get(url).content.decode()
    response = browser.post(url, follow=True)

    assert not FashionModel.objects.filter(pk=model.pk).exists()
    assert task.__class__.objects.filter(pk=task.pk).exists()
    assert "Bea and their images deleted" in response.content.decode()


def test_a_custom_pose_is_deleted_after_confirming_and_a_busy_one_is_refused(browser, project):
    idle = f.PoseFactory(program=project.program, name="Idle pose")
    busy = f.PoseFactory(program=project.program, name="Busy pose")
    task = f.TaskFactory(sku=f.SKUFactory(project=project), pose=busy, status=TaskStatus.GENERATION_STARTED)

    browser.post(reverse("pose_delete", args=[idle.pk]))
    refused = browser.post(reverse("pose_delete", args=[busy.pk]))

    assert not Pose.objects.filter(pk=idle.pk).exists()
    assert refused.status_code == 409 and f"Task {task.pk}" in refused.content.decode()
    assert Pose.objects.filter(pk=busy.pk).exists()


def test_a_preset_pose_of_the_shared_library_cannot_be_deleted(browser):
    preset = f.PoseFactory(program=None, is_preset=True)

    assert browser.post(reverse("pose_delete", args=[preset.pk])).status_code == 403
    assert Pose.objects.filter(pk=preset.pk).exists()


def test_a_team_a_program_is_shared_with_cannot_delete_its_models(client, member):
    from catalog.models import ProgramShare

    program = f.ProgramFactory()
    ProgramShare.objects.create(program=program, team=member.team)
    model = f.FashionModelFactory(program=program)
    client.force_login(member.user)

    assert client.post(reverse("model_delete", args=[model.pk])).status_code == 403
    assert FashionModel.objects.filter(pk=model.pk).exists()


# --- search and select-all -----------------------------------------------------------------------------------------
def test_the_grid_searches_code_name_and_category_and_offers_all_matching_to_generate(browser, project):
    f.SKUFactory(project=project, code="DRESS-01", name="Linen dress")
    f.SKUFactory(project=project, code="TEE-01", name="Cotton tee", category="t-shirt")
    f.SKUFactory(project=project, code="TEE-02", name="Cotton tee", category="t-shirt")

    html = browser.get(reverse("project_detail", args=[project.pk]) + "?q=tee").content.decode()

    assert "TEE-01" in html and "TEE-02" in html and "DRESS-01" not in html
    assert "data-select-all" in html
    assert "Generate for all 2 matching" in html
    assert reverse("generate", args=[project.pk]) + "?scope=filter&amp;sku_q=tee" in html
