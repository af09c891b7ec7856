"""Lists cost the same number of queries whatever their length (DESIGN.md §5): no query per row."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import PoseCategory
from studio.models import Role
from tests import factories as f


@pytest.fixture
def member(db):
    return f.MembershipFactory(role=Role.CREATIVE)


@pytest.fixture
def browser(client, member):
    client.force_login(member.user)
    return client


def queries_for(client, url: str, **headers) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def fill_project(project, account, count: int) -> None:
    """SKUs that each have a garment image, a task and an output: everything the grid counts and shows."""
    for _ in range(count):
        sku = f.SKUFactory(project=project)
        f.GarmentImageFactory(sku=sku)
        f.TaskOutputFactory(task=f.TaskFactory(sku=sku, team=account.team, account=account))


def test_the_project_page_costs_the_same_with_10_and_200_skus(browser, member):
    account = f.VendorAccountFactory(team=member.team)
    small = f.ProjectFactory(program__team=member.team)
    large = f.ProjectFactory(program=small.program)
    fill_project(small, account, 10)
    fill_project(large, account, 200)

    small_count, small_html = queries_for(browser, reverse("project_detail", args=[small.pk]))
    large_count, large_html = queries_for(browser, reverse("project_detail", args=[large.pk]))

    assert small_count == large_count
    assert small_html.count('class="card sku-card"') == 10
    assert large_html.count('class="card sku-card"') == 50  # one page
    assert "Page 1 of 4 · 200 in all" in large_html


def test_the_project_grid_fragment_costs_the_same_on_every_page(browser, member):
    account = f.VendorAccountFactory(team=member.team)
    project = f.ProjectFactory(program__team=member.team)
    fill_project(project, account, 120)
    url = reverse("project_detail", args=[project.pk])

    first, _ = queries_for(browser, url, HX_Request="true")
    last, html = queries_for(browser, url + "?page=3", HX_Request="true")

    assert first == last
    assert html.count('class="card sku-card"') == 20


def fill_gallery(program, count: int) -> None:
    for i in range(count):
        model = f.FashionModelFactory(program=program, ethnicity=f"Ethnicity {i % 7}", hair_color=f"Hair {i % 5}")
        f.ModelImageFactory(fashion_model=model)


def test_the_model_gallery_costs_the_same_with_10_and_200_models(browser, member):
    small = f.ProgramFactory(team=member.team)
    large = f.ProgramFactory(team=member.team)
    fill_gallery(small, 10)
    fill_gallery(large, 200)

    small_count, small_html = queries_for(browser, reverse("model_gallery", args=[small.pk]))
    large_count, large_html = queries_for(browser, reverse("model_gallery", args=[large.pk]))

    assert small_count == large_count
    assert small_html.count('class="card person"') == 10
    assert large_html.count('class="card person"') == 50


def fill_poses(program, count: int) -> None:
    for i in range(count):
        pose = f.PoseFactory(program=program, category=PoseCategory.MEN if i % 2 else PoseCategory.WOMEN)
        pose.reference_image.save("ref.png", f.image_file(), save=False)
        pose.thumbnail.save("thumb.webp", f.image_file(), save=True)


def test_the_pose_library_costs_the_same_with_10_and_200_poses(browser, member):
    small = f.ProgramFactory(team=member.team)
    large = f.ProgramFactory(team=member.team)
    f.PoseFactory(program=None, is_preset=True, name="Preset stand")
    fill_poses(small, 10)
    fill_poses(large, 200)

    small_count, small_html = queries_for(browser, reverse("pose_library", args=[small.pk]))
    large_count, large_html = queries_for(browser, reverse("pose_library", args=[large.pk]))

    assert small_count == large_count
    assert small_html.count('class="card person"') == 11  # ten custom poses and the shared preset
    assert large_html.count('class="card person"') == 50
