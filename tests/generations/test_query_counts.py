"""Lists that grow cost the same number of queries at 10 rows as at 200."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from generations import review
from generations.models import TaskStatus
from studio.models import Role
from tests import factories as f
from tests.generations.test_review import login, make_studio, make_task

S = TaskStatus


def _queries(client, url, **kwargs) -> int:
    client.get(url, **kwargs)  # warm the session and the content-type caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **kwargs)
    assert response.status_code in (200, 286)
    return len(captured)


def _outputs_waiting(studio, count: int):
    per_task = 4
    for start in range(0, count, per_task):
        make_task(studio, outputs=min(per_task, count - start), sku=f.SKUFactory(project=studio.project))


@pytest.mark.django_db
def test_the_review_board_costs_the_same_with_10_outputs_as_with_200(client):
    small, large = make_studio(), make_studio()
    _outputs_waiting(small, 10)
    _outputs_waiting(large, 200)
    counts = []
    for studio in (small, large):
        login(client, studio, Role.MANAGER)
        counts.append(_queries(client, reverse("review_board", args=[studio.project.pk])))
    assert counts[0] == counts[1], counts


@pytest.mark.django_db
def test_the_review_board_fragment_costs_the_same_with_10_outputs_as_with_200(client):
    small, large = make_studio(), make_studio()
    _outputs_waiting(small, 10)
    _outputs_waiting(large, 200)
    counts = []
    for studio in (small, large):
        login(client, studio, Role.MANAGER)
        counts.append(_queries(client, reverse("review_board", args=[studio.project.pk]),
                               headers={"HX-Request": "true"}))
    assert counts[0] == counts[1], counts


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CREATIVE, Role.CLIENT])
def test_the_sku_task_cards_cost_the_same_with_3_tasks_as_with_30(client, role):
    counts = []
    for tasks in (3, 30):
        studio = make_studio()
        for _ in range(tasks):
            task = make_task(studio, outputs=2)
            approved = task.outputs.first()
            review.approve(approved, studio.user(Role.MANAGER), comment="ok")
        login(client, studio, role)
        counts.append(_queries(client, reverse("sku_tasks", args=[studio.sku.pk])))
    assert counts[0] == counts[1], counts


@pytest.mark.django_db
def test_the_client_board_costs_the_same_with_10_outputs_as_with_60(client):
    counts = []
    for outputs in (10, 60):
        studio = make_studio()
        for _ in range(outputs):
            make_task(studio, outputs=1, status=S.REVIEW_APPROVED, output_status=S.REVIEW_APPROVED,
                      sku=f.SKUFactory(project=studio.project))
        login(client, studio, Role.CLIENT)
        counts.append(_queries(client, reverse("client_board", args=[studio.project.pk])))
    assert counts[0] == counts[1], counts


@pytest.mark.django_db
def test_batch_progress_costs_the_same_with_2_batches_as_with_20(client):
    counts = []
    for batches in (2, 20):
        studio = make_studio()
        for _ in range(batches):
            batch = f.BatchFactory(project=studio.project)
            make_task(studio, outputs=0, status=S.GENERATION_IN_PROCESS, batch=batch)
        login(client, studio, Role.CREATIVE)
        counts.append(_queries(client, reverse("project_batches", args=[studio.project.pk])))
    assert counts[0] == counts[1], counts
