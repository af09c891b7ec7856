"""The indexes of migrations 0007_scale_indexes and 0012_held_order_index serve the queries they were made for (issue 17). PostgreSQL only.

The tables get a few thousand rows (bulk_create) and fresh statistics, so the planner chooses as it would in a real
project; `make bench-pages` prints the same plans at 5,000 SKUs.
"""
import pytest
from django.db import connection

from catalog.models import SKU

from generations.vendors.artemotion import vision
from generations.models import Task, TaskOutput, TaskStatus as S
from tests import factories as f
from tests.generations.test_review import make_studio, make_task

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are PostgreSQL's")]


@pytest.fixture
def studio():
    studio = make_studio()
    batch = f.BatchFactory(project=studio.project)
    template = make_task(studio, outputs=1, batch=batch, status=S.REVIEW_SUBMITTED)
    skus = SKU.objects.bulk_create([SKU(project=studio.project, code=f"S-{i}") for i in range(1500)])
    tasks = Task.objects.bulk_create([Task(team=studio.team, sku=sku, batch=batch, account=studio.account,
                                           status=S.REVIEW_SUBMITTED) for sku in skus])
    name = template.outputs.get().file.name
    TaskOutput.objects.bulk_create([TaskOutput(task=t, file=name, review_status=S.REVIEW_SUBMITTED,
                                               flagged=t.pk == tasks[7].pk) for t in tasks for _ in range(2)])
    Task.objects.filter(pk=tasks[3].pk).update(needs_attention=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    studio.batch = batch
    return studio


def plan(queryset) -> str:
    return queryset.explain()


def test_the_moderation_count_reads_the_partial_flagged_index(studio):
    held = vision.held_outputs(studio.team).filter(task__sku__project=studio.project)
    assert "output_flagged" in plan(held)


def test_the_dashboards_recent_tasks_read_the_updated_at_index_without_sorting(studio):
    recent = Task.objects.for_team(studio.team).order_by("-updated_at")[:15]
    text = plan(recent)
    assert "task_updated_at" in text


def test_tasks_held_for_a_person_in_a_batch_read_the_partial_index(studio):
    assert "task_needs_attention" in plan(Task.objects.filter(batch=studio.batch, needs_attention=True))


@pytest.fixture
def crowded_lane(studio):
    """A lingerie season: one output in four held by the NSFW gate (750 of 3,000), with probabilities."""
    held = list(TaskOutput.objects.filter(task__sku__project=studio.project).order_by("pk")[::4])
    for n, output in enumerate(held):
        output.flagged, output.nsfw_probability = True, (n % 97) / 97
    TaskOutput.objects.bulk_update(held, ["flagged", "nsfw_probability"])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return studio


def test_the_moderation_lanes_page_walks_its_index_instead_of_sorting_every_held_output(crowded_lane):
    from generations.vendors.artemotion.moderation_views import PER_PAGE, held_in_project

    page = held_in_project(crowded_lane.team, crowded_lane.project)[:PER_PAGE]
    text = plan(page)
    assert "output_held_order" in text
    assert "Sort" not in text.replace("Incremental Sort", "")  # no sort of the 750 held outputs
    probabilities = [o.nsfw_probability for o in page]
    assert probabilities == sorted(probabilities, reverse=True)  # most suspicious first, as the index orders
