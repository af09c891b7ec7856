"""What every endpoint shares: throttling per key with 429 + Retry-After, one error shape, cursor pagination that is
stable under inserts, the OpenAPI schema and its reference page, and the same query count at 50 and 5,000 rows."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import SKU
from generations.models import Task, TaskOutput
from studio.models import Role
from tests import factories as f


def test_each_key_is_throttled_on_its_own_with_429_and_retry_after(api_for, settings):
    settings.STUDIO_API_RATE = "3/min"
    busy, quiet = api_for(), api_for()
    answers = [busy.get("/api/v1/skus/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = busy.get("/api/v1/skus/")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["error"]["code"] == "throttled"
    assert quiet.get("/api/v1/skus/").status_code == 200  # another key has its own budget


def test_an_unknown_object_and_a_bad_filter_answer_in_the_one_error_shape(api):
    missing = api.get("/api/v1/skus/999999/")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"status": 404, "code": "not_found", "message": "Not found."}}
    bad = api.get("/api/v1/skus/?project=abc")
    assert bad.status_code == 400 and bad.json()["error"]["fields"] == {"project": ["project must be an id."]}


def test_pages_are_cursors_stable_when_rows_are_added_meanwhile(api, project):
    SKU.objects.bulk_create(SKU(project=project, code=f"P-{n:03d}") for n in range(7))
    first = api.get("/api/v1/skus/?page_size=3").json()
    assert len(first["results"]) == 3 and "cursor=" in first["next"] and first["previous"] is None
    SKU.objects.bulk_create(SKU(project=project, code=f"NEW-{n}") for n in range(5))  # the PIM keeps pushing
    seen = [s["code"] for s in first["results"]]
    url = first["next"]
    while url:
        page = api.get(url).json()
        seen += [s["code"] for s in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(f"P-{n:03d}" for n in range(7))  # every old row once, no repeats, no gaps


def test_the_schema_and_its_reference_page_are_served(client, api, team_admin):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/skus/", "/api/v1/generations/", "/api/v1/outputs/{id}/review/"} <= set(paths)
    client.force_login(team_admin.user)
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200 and b"swagger" in page.content.lower()


def test_a_signed_in_member_can_use_the_browsable_api(client, team_admin, project):
    client.force_login(team_admin.user)
    f.SKUFactory(project=project, code="BROWSE-1")
    page = client.get("/api/v1/skus/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and b"BROWSE-1" in page.content


def _queries(api, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.fixture
def filled(team, project):
    """Two projects: 50 SKUs with a task and an output each, and 5,000 SKUs with tasks and outputs."""
    account = f.VendorAccountFactory(team=team)
    small = project
    large = f.ProjectFactory(program=project.program)

    def fill(target, count, prefix):
        skus = SKU.objects.bulk_create(SKU(project=target, code=f"{prefix}-{n:05d}") for n in range(count))
        tasks = Task.objects.bulk_create(Task(team=team, sku=s, account=account, status="Review approved")
                                         for s in skus)
        TaskOutput.objects.bulk_create(TaskOutput(task=t, file=f"outputs/{t.pk}.png", review_status="Review approved")
                                       for t in tasks)

    fill(small, 50, "S")
    fill(large, 5000, "L")
    return small, large


@pytest.mark.parametrize("path", ["skus", "tasks", "outputs"])
def test_list_endpoints_cost_the_same_queries_at_50_and_5000_rows(api, filled, path):
    small, large = filled
    api.get("/api/v1/programs/")  # the key's first use (last-used time, audit line) is not part of any list
    key = "project" if path == "skus" else ""
    if path == "skus":
        small_url, large_url = f"/api/v1/skus/?project={small.pk}", f"/api/v1/skus/?project={large.pk}"
    else:
        small_url = large_url = f"/api/v1/{path}/"
    counts = {_queries(api, small_url + ("&" if key else "?") + "page_size=200"),
              _queries(api, large_url + ("&" if key else "?") + "page_size=200")}
    deep = api.get(large_url).json()
    for _ in range(3):
        deep = api.get(deep["next"]).json()
    counts.add(_queries(api, deep["next"]))
    assert len(counts) == 1, counts


@pytest.mark.parametrize("role", [Role.CLIENT, Role.CREATIVE])
def test_the_output_list_costs_the_same_for_every_role(api_for, filled, role):
    client = api_for(role)
    client.get("/api/v1/programs/")  # the key's first use
    assert _queries(client, "/api/v1/outputs/?page_size=10") == _queries(client, "/api/v1/outputs/?page_size=200")
