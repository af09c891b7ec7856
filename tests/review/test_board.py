"""The review board a person works through (issue 16.2) on seek pagination (issue 17): filters and groups,
a count per group, pagination that keeps the filters, and a page cost that does not grow with depth or size."""
import itertools
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from generations import keyset
from generations.models import Operation, Task, TaskOutput, TaskStatus, Vendor
from studio.models import Role
from tests import factories as f

S = TaskStatus
_FILLS = itertools.count()


def fill(project, account, outputs: int, *, per_task: int = 4, status=S.REVIEW_SUBMITTED, task_status=None,
         skus: int | None = None, batch=None, operation=Operation.TRY_ON):
    """`outputs` outputs over tasks of `per_task`, spread over `skus` SKUs, with bulk inserts (5,000 in seconds)."""
    team = project.program.team
    sku_count = skus or max(1, outputs // (per_task * 2))
    prefix = f"P{project.pk}-{next(_FILLS)}"
    made = [f.SKUFactory.build(project=project, code=f"{prefix}-S{i:05d}") for i in range(sku_count)]
    from catalog.models import SKU

    SKU.objects.bulk_create(made)
    made = list(SKU.objects.filter(project=project, code__startswith=f"{prefix}-").order_by("pk"))
    tasks = [Task(team=team, sku=made[i % len(made)], account=account, batch=batch, operation=operation,
                  status=task_status or status, num_outputs=per_task)
             for i in range((outputs + per_task - 1) // per_task)]
    Task.objects.bulk_create(tasks)
    tasks = list(Task.objects.filter(sku__in=made).order_by("pk"))
    rows = [TaskOutput(task=tasks[i // per_task], file=f"outputs/fake-{project.pk}-{i}.png", review_status=status,
                       width=80, height=120) for i in range(outputs)]
    TaskOutput.objects.bulk_create(rows, batch_size=1000)
    return tasks


@pytest.fixture
def studio(db):
    member = f.MembershipFactory(role=Role.MANAGER)
    project = f.ProjectFactory(program__team=member.team)
    return member, project


def _get(client, url, params=None, **headers):
    response = client.get(url, params or {}, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def _tiles(html):
    return [int(pk) for pk in re.findall(r'class="review-tile[^"]*" data-output="(\d+)"', html)]


def _next_link(html):
    found = re.search(r'href="([^"]+)"[^>]*data-next-page', html)
    return unescape(found.group(1)) if found else None


def test_following_next_visits_every_waiting_output_once_and_keeps_the_filters(client, studio):
    member, project = studio
    huhu = f.VendorAccountFactory(team=member.team, vendor=Vendor.HUHU)
    sandbox = f.VendorAccountFactory(team=member.team, vendor=Vendor.SANDBOX)
    fill(project, huhu, 130)
    fill(f.ProjectFactory(program=project.program), sandbox, 8)  # another project: never on this board
    wanted = set(TaskOutput.objects.filter(task__sku__project=project).values_list("pk", flat=True))
    client.force_login(member.user)
    url = reverse("review_board", args=[project.pk]) + "?vendor=huhu&group=sku"
    seen = []
    while url:
        html = _get(client, url)
        seen += _tiles(html)
        url = _next_link(html)
        if url:
            assert "vendor=huhu" in url and "group=sku" in url  # the filters ride along
    assert len(seen) == len(set(seen)) == 130
    assert set(seen) == wanted


def test_filters_narrow_the_board_and_group_headings_count_their_outputs(client, studio):
    member, project = studio
    huhu = f.VendorAccountFactory(team=member.team, vendor=Vendor.HUHU)
    sandbox = f.VendorAccountFactory(team=member.team, vendor=Vendor.SANDBOX)
    batch = f.BatchFactory(project=project, label="Spring drop")
    fill(project, huhu, 12, per_task=4, skus=1, batch=batch)
    fill(f.ProjectFactory(program=project.program), huhu, 4)
    fill(project, sandbox, 6, per_task=2, skus=1, operation=Operation.UPSCALE)
    client.force_login(member.user)
    url = reverse("review_board", args=[project.pk])

    html = _get(client, url, {"group": "vendor"})
    counts = dict(re.findall(r'<h3 class="group-heading" data-group="[^"]*">([^<]+?) <span class="badge count">(\d+)',
                             html))
    assert counts == {Vendor.HUHU.label: "12", Vendor.SANDBOX.label: "6"}
    assert len(_tiles(_get(client, url, {"vendor": "sandbox"}))) == 6
    assert len(_tiles(_get(client, url, {"operation": Operation.UPSCALE}))) == 6
    assert len(_tiles(_get(client, url, {"batch": batch.pk}))) == 12
    html = _get(client, url, {"group": "batch"})
    assert re.search(r"Spring drop <span class=\"badge count\">12</span>", html)
    assert len(_tiles(_get(client, url, {"status": "rejected"}))) == 0
    assert "No outputs match these filters." in _get(client, url, {"status": "rejected"})
    assert 'href="/projects/%d/"' % project.pk in html  # the breadcrumb back to the project


def test_previous_and_first_go_back_to_the_same_pages(client, studio):
    member, project = studio
    fill(project, f.VendorAccountFactory(team=member.team), 120)
    client.force_login(member.user)
    url = reverse("review_board", args=[project.pk]) + "?group=sku"
    page1 = _get(client, url)
    page2 = _get(client, _next_link(page1))
    page3 = _get(client, _next_link(page2))
    back = re.search(r'href="([^"]+)"[^>]*data-prev-page', page3).group(1)
    assert _tiles(_get(client, unescape(back))) == _tiles(page2)
    first = re.search(r'href="([^"]+)"[^>]*data-first-page', page3).group(1)
    assert _tiles(_get(client, unescape(first))) == _tiles(page1)
    assert "data-prev-page" not in page1


def test_a_mangled_cursor_shows_the_first_page_instead_of_an_error(client, studio):
    member, project = studio
    fill(project, f.VendorAccountFactory(team=member.team), 10)
    client.force_login(member.user)
    url = reverse("review_board", args=[project.pk])
    first = _tiles(_get(client, url))
    for junk in ("%%%", keyset.encode(["a"]), keyset.encode([{"x": 1}, 2]), "W10"):
        assert _tiles(_get(client, url, {"after": junk})) == first


def test_counts_are_capped_where_exactness_is_not_needed(studio):
    member, project = studio
    fill(project, f.VendorAccountFactory(team=member.team), 30)
    outputs = TaskOutput.objects.filter(task__sku__project=project)
    assert keyset.capped_count(outputs, cap=25) == (25, True)
    assert keyset.capped_count(outputs, cap=30) == (30, False)


def _queries(client, url, params=None):
    client.get(url, params or {})  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as captured:
        html = _get(client, url, params)
    return len(captured), html


@pytest.mark.parametrize("board", ["review_board", "client_board"])
def test_a_board_costs_the_same_queries_with_50_outputs_as_with_5000_on_any_page(client, board, db):
    counts = {}
    for size in (50, 5000):
        member = f.MembershipFactory(role=Role.MANAGER if board == "review_board" else Role.CLIENT)
        project = f.ProjectFactory(program__team=member.team)
        status = S.REVIEW_SUBMITTED if board == "review_board" else S.REVIEW_APPROVED
        fill(project, f.VendorAccountFactory(team=member.team), size, status=status)
        client.force_login(member.user)
        url = reverse(board, args=[project.pk])
        first, html = _queries(client, url)
        counts[(size, "first")] = first
        if size == 5000:  # a deep page: follow "next" forty times and measure the last one
            link = _next_link(html)
            for _ in range(40):
                link = _next_link(_get(client, link))
            deep, _html = _queries(client, link)
            counts[(size, "deep")] = deep
    assert counts[(50, "first")] == counts[(5000, "first")] == counts[(5000, "deep")], counts


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN ANALYZE of PostgreSQL's sort")
def test_a_deep_page_of_5000_outputs_sorts_in_memory_on_postgresql(studio):
    """OFFSET pages sorted every preceding row and spilled to disk at page 50 (issue 17); a seek page reads the
    next rows after its cursor with a LIMIT, so PostgreSQL keeps only a page's worth in a top-N sort."""
    from generations import board, review
    from django.test import RequestFactory

    member, project = studio
    fill(project, f.VendorAccountFactory(team=member.team), 5000)
    outputs_after = None
    chosen = board.Board.from_request(RequestFactory().get("/"), statuses=board.REVIEW_STATUSES,
                                      default_status="waiting")
    outputs = chosen.apply(review.board_outputs(project))
    for _ in range(50):  # walk to page 50
        page = keyset.seek(outputs, ("group_key", "pk"), 48, after=outputs_after)
        outputs_after = page.next_cursor
    values = keyset.decode(outputs_after, 2)
    deep = outputs.filter(keyset._beyond(("group_key", "pk"), values, "gt")).order_by("group_key", "pk")[:49]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner's statistics, as autovacuum keeps them in production
    plan = deep.explain(analyze=True)
    assert "external merge" not in plan and "Disk" not in plan, plan
