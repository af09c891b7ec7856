"""The catalog pages as a user sees them: programs, projects and their SKU grid, SKU pages, inline edits."""
import pytest
from django.urls import reverse

from catalog.models import SKU, GarmentImage, GarmentType, GarmentView, Presentation, SKUStatus
from studio.models import Role
from tests import factories as f

HTMX = {"HX-Request": "true"}


@pytest.fixture
def member(db):
    return f.MembershipFactory(role=Role.CREATIVE)


@pytest.fixture
def browser(client, member):
    client.force_login(member.user)
    return client


@pytest.fixture
def project(member):
    return f.ProjectFactory(program__team=member.team, name="Spring drop")


def page(client, name, *args, **headers) -> str:
    response = client.get(reverse(name, args=args), headers=headers)
    assert response.status_code == 200
    return response.content.decode()


# --- program -------------------------------------------------------------------------------------------------------

def test_the_program_page_lists_its_projects_and_links_to_its_library(browser, project):
    f.SKUFactory.create_batch(3, project=project)

    html = page(browser, "program_detail", project.program.pk)

    assert "Spring drop" in html and "3 SKUs" in html
    for name in ("model_gallery", "pose_library", "style_list"):
        assert reverse(name, args=[project.program.pk]) in html


def test_a_project_is_created_from_the_program_page(browser, member):
    program = f.ProgramFactory(team=member.team)

    response = browser.post(reverse("project_create", args=[program.pk]), {"name": "Resort 27"}, follow=True)

    created = program.projects.get()
    assert created.name == "Resort 27"
    assert response.redirect_chain[-1][0] == reverse("project_detail", args=[created.pk])
    assert "Project Resort 27 created." in response.content.decode()


def test_a_program_shared_with_the_team_is_visible_and_marked(browser, member):
    from catalog.models import ProgramShare

    other = f.ProgramFactory(name="Partner brand")
    ProgramShare.objects.create(program=other, team=member.team)

    html = page(browser, "program_detail", other.pk)

    assert "Partner brand" in html and f"Shared by {other.team.name}" in html


# --- project -------------------------------------------------------------------------------------------------------

def test_the_sku_grid_shows_cover_status_and_counts(browser, project):
    sku = f.SKUFactory(project=project, code="TEE-001", name="Boxy tee", status=SKUStatus.GENERATED)
    first = f.GarmentImageFactory(sku=sku)
    f.GarmentImageFactory(sku=sku)
    task = f.TaskFactory(sku=sku)
    f.TaskOutputFactory.create_batch(3, task=task)
    f.SKUFactory(project=project, code="TEE-002")

    html = page(browser, "project_detail", project.pk)

    assert "TEE-001" in html and "Boxy tee" in html and "TEE-002" in html
    assert '<span class="badge status-generated">Generated</span>' in html
    assert "<dt>Images</dt><dd>2</dd>" in html and "<dt>Tasks</dt><dd>1</dd>" in html
    assert "<dt>Outputs</dt><dd>3</dd>" in html
    assert f'src="{first.image.url}" width="64" height="96" loading="lazy"' in html  # no thumbnail yet
    assert "No garment image yet" in html  # TEE-002


def test_the_cover_is_the_thumbnail_once_the_worker_made_it(browser, project):
    image = f.GarmentImageFactory(sku__project=project, image=f.image_file(width=600, height=800))
    image.thumbnail.save("t.webp", f.image_file(), save=True)

    html = page(browser, "project_detail", project.pk)

    assert f'src="{image.thumbnail.url}" width="360" height="480" loading="lazy"' in html


def test_an_empty_project_says_what_to_do(browser, project):
    assert "No SKUs in this project yet." in page(browser, "project_detail", project.pk)


def test_the_project_page_links_to_generation_with_selectable_skus(browser, project):
    sku = f.SKUFactory(project=project)

    html = page(browser, "project_detail", project.pk)

    assert f'<form id="generate-form" method="get" action="{reverse("generate", args=[project.pk])}"' in html
    assert f'<input type="checkbox" name="sku" value="{sku.pk}" form="generate-form">' in html
    assert f'hx-get="{reverse("project_batches", args=[project.pk])}" hx-trigger="load"' in html


def test_the_grid_is_paginated_and_an_htmx_page_request_gets_only_the_grid(browser, project):
    for i in range(55):
        f.SKUFactory(project=project, code=f"SKU-{i:03d}")

    first = page(browser, "project_detail", project.pk)
    second = browser.get(reverse("project_detail", args=[project.pk]) + "?page=2", headers=HTMX).content.decode()

    assert "SKU-049" in first and "SKU-050" not in first
    assert "Page 1 of 2 · 55 in all" in first
    assert second.lstrip().startswith('<div id="sku-grid">')
    assert "SKU-050" in second and "SKU-054" in second and "<html" not in second


def test_a_boosted_navigation_gets_the_whole_page(browser, project):
    html = page(browser, "project_detail", project.pk, HX_Request="true", HX_Boosted="true")

    assert "<html" in html


def test_a_sku_is_created_and_opens_its_page(browser, project):
    response = browser.post(reverse("sku_create", args=[project.pk]),
                            {"code": "JKT-9", "name": "Denim jacket", "category": "jacket", "garment_type": "Top"})

    sku = SKU.objects.get(code="JKT-9")
    assert (sku.project, sku.name, sku.garment_type) == (project, "Denim jacket", GarmentType.TOP)
    assert response.url == reverse("sku_detail", args=[sku.pk])


def test_a_duplicate_sku_code_is_refused_with_a_message(browser, project):
    f.SKUFactory(project=project, code="JKT-9")

    response = browser.post(reverse("sku_create", args=[project.pk]),
                            {"code": "jkt-9", "name": "", "category": "", "garment_type": "Top"})

    assert response.status_code == 200
    assert "jkt-9 already exists in this project." in response.content.decode()
    assert project.skus.count() == 1


def test_a_sku_is_renamed_inline(browser, project):
    sku = f.SKUFactory(project=project, code="OLD-1", name="Old name")
    url = reverse("sku_rename", args=[sku.pk])

    form = browser.get(url, headers=HTMX).content.decode()
    saved = browser.post(url, {"code": "NEW-1", "name": "New name"}, headers=HTMX).content.decode()

    assert form.lstrip().startswith(f'<form id="sku-title-{sku.pk}"') and 'value="OLD-1"' in form
    assert saved.lstrip().startswith(f'<div class="sku-title" id="sku-title-{sku.pk}">')
    assert "NEW-1" in saved and "New name" in saved
    sku.refresh_from_db()
    assert (sku.code, sku.name) == ("NEW-1", "New name")


def test_renaming_to_a_taken_code_shows_the_form_again(browser, project):
    f.SKUFactory(project=project, code="TAKEN")
    sku = f.SKUFactory(project=project, code="MINE")

    html = browser.post(reverse("sku_rename", args=[sku.pk]), {"code": "TAKEN", "name": "x"},
                        headers=HTMX).content.decode()

    assert "TAKEN already exists in this project." in html
    sku.refresh_from_db()
    assert sku.code == "MINE"


def test_rename_without_javascript_is_a_page_and_goes_back_to_the_project(browser, project):
    sku = f.SKUFactory(project=project)
    url = reverse("sku_rename", args=[sku.pk])

    assert "<html" in page(browser, "sku_rename", sku.pk)
    response = browser.post(url, {"code": "PLAIN", "name": ""})

    assert response.url == reverse("project_detail", args=[project.pk])


# --- SKU -----------------------------------------------------------------------------------------------------------

def test_the_sku_page_shows_images_upload_zone_tasks_and_generate_link(browser, project):
    sku = f.SKUFactory(project=project, code="DRS-1")
    f.GarmentImageFactory(sku=sku, original_name="dress_front.png")

    html = page(browser, "sku_detail", sku.pk)

    assert "dress_front.png" in html
    assert 'data-dropzone' in html and 'name="files"' in html and "multiple" in html
    assert f'hx-get="{reverse("sku_tasks", args=[sku.pk])}" hx-trigger="load"' in html
    assert f'href="{reverse("generate", args=[project.pk])}?sku={sku.pk}"' in html


def test_a_garment_image_is_edited_in_place(browser, project):
    image = f.GarmentImageFactory(sku__project=project)
    prefix = f"g{image.pk}"

    html = browser.post(reverse("garment_image_update", args=[image.pk]),
                        {f"{prefix}-garment_type": "Bottom", f"{prefix}-view": "back",
                         f"{prefix}-presentation": "on_model"}, headers=HTMX).content.decode()

    image.refresh_from_db()
    assert (image.garment_type, image.view, image.presentation) == (
        GarmentType.BOTTOM, GarmentView.BACK, Presentation.ON_MODEL)
    assert html.lstrip().startswith(f'<article class="card garment" id="garment-{image.pk}">')
    assert "Saved" in html and '<option value="back" selected>' in html


def test_an_invalid_garment_edit_changes_nothing_and_says_why(browser, project):
    image = f.GarmentImageFactory(sku__project=project)
    prefix = f"g{image.pk}"

    html = browser.post(reverse("garment_image_update", args=[image.pk]),
                        {f"{prefix}-garment_type": "Cape", f"{prefix}-view": "back",
                         f"{prefix}-presentation": "on_model"}, headers=HTMX).content.decode()

    assert "Select a valid choice" in html and "Saved" not in html
    assert GarmentImage.objects.get(pk=image.pk).view == GarmentView.FRONT


def test_a_client_sees_the_sku_but_no_upload_or_edit_controls(client, project):
    member = f.MembershipFactory(team=project.program.team, role=Role.CLIENT)
    client.force_login(member.user)
    sku = f.SKUFactory(project=project, code="VIEW-ONLY")
    f.GarmentImageFactory(sku=sku)

    html = page(client, "sku_detail", sku.pk)
    grid = page(client, "project_detail", project.pk)

    assert "VIEW-ONLY" in html
    assert "data-dropzone" not in html and "garment-fields" not in html
    assert "New SKU" not in grid and "Rename" not in grid and "generate-form" not in grid


def test_a_garment_edit_without_javascript_returns_to_the_sku_page_with_a_message(browser, project):
    image = f.GarmentImageFactory(sku__project=project, original_name="coat.png")
    prefix = f"g{image.pk}"

    response = browser.post(reverse("garment_image_update", args=[image.pk]),
                            {f"{prefix}-garment_type": "Top", f"{prefix}-view": "side",
                             f"{prefix}-presentation": "on_mannequin"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("sku_detail", args=[image.sku_id])
    assert "coat.png saved." in response.content.decode()
    assert GarmentImage.objects.get(pk=image.pk).presentation == Presentation.ON_MANNEQUIN


def test_the_review_links_follow_the_role(client, project):
    manager = f.MembershipFactory(team=project.program.team, role=Role.MANAGER)
    customer = f.MembershipFactory(team=project.program.team, role=Role.CLIENT)
    review, approve = reverse("review_board", args=[project.pk]), reverse("client_board", args=[project.pk])

    client.force_login(manager.user)
    as_manager = page(client, "project_detail", project.pk)
    client.force_login(customer.user)
    as_client = page(client, "project_detail", project.pk)

    assert review in as_manager and approve not in as_manager
    assert approve in as_client and review not in as_client
