"""The generate and bulk forms at 50 and at 5,000 SKUs (issue 17): the same number of queries and a page that does
not grow, because SKUs are chosen by scope and a paginated picker, never listed one checkbox each."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import SKU
from studio.models import Role
from tests import factories as f
from tests.generations.test_review import login, make_studio


def fill(project, count: int) -> None:
    SKU.objects.bulk_create(SKU(project=project, code=f"S-{i:05d}", name="Cotton tee") for i in range(count))


@pytest.fixture
def studio(db):
    studio = make_studio()
    studio.small = studio.project
    studio.large = f.ProjectFactory(program=studio.project.program)
    fill(studio.small, 50)
    fill(studio.large, 5000)
    return studio


def measure(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), len(response.content)


@pytest.mark.parametrize("name", ["generate", "bulk_generate", "comparison_new"])
def test_the_form_costs_the_same_queries_and_bytes_at_50_and_5000_skus(client, studio, name):
    login(client, studio, Role.CREATIVE)
    measure(client, reverse(name, args=[studio.small.pk]))  # warm the session and caches

    small_queries, small_bytes = measure(client, reverse(name, args=[studio.small.pk]))
    large_queries, large_bytes = measure(client, reverse(name, args=[studio.large.pk]))

    assert small_queries == large_queries
    # Only numbers differ ("51" vs "5000" SKUs, page counts, ids): a few bytes, never a line per SKU.
    assert abs(large_bytes - small_bytes) < 200, (small_bytes, large_bytes)


def test_the_estimate_for_all_5000_skus_costs_the_same_queries_as_for_50(client, studio):
    login(client, studio, Role.CREATIVE)
    params = {"scope": "all", "account": studio.account.pk, "operation": "try_on", "num_outputs": 1}
    counts = []
    for project in (studio.small, studio.large):
        with CaptureQueriesContext(connection) as captured:
            html = client.get(reverse("generate_estimate", args=[project.pk]), params).content.decode()
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert "5000 SKUs × 1 output" in html


def test_the_sku_picker_costs_the_same_on_the_last_page(client, studio):
    login(client, studio, Role.CREATIVE)
    url = reverse("generate_skus", args=[studio.large.pk])
    first, _ = measure(client, url)
    last, _ = measure(client, url + "?spage=250")
    assert first == last


def test_the_comparison_form_finds_one_sku_among_5000_and_keeps_the_choice_across_pages(client, studio):
    login(client, studio, Role.CREATIVE)
    wanted = SKU.objects.get(project=studio.large, code="S-04321")
    url = reverse("comparison_skus", args=[studio.large.pk])

    found = client.get(url, {"sku_pick_q": "04321"}).content.decode()
    assert f'name="sku" value="{wanted.pk}"' in found and found.count('name="sku"') == 1

    # Chosen, then the person pages on: the choice rides along, checked, above the page it is not on.
    paged = client.get(url, {"sku": wanted.pk, "spage": 3}).content.decode()
    assert f'<input type="radio" name="sku" value="{wanted.pk}" checked>' in paged
    assert paged.count(" checked") == 1

    # The form opened from a SKU page (?sku=) shows that SKU chosen, though it is on page 217 of the list.
    form = client.get(reverse("comparison_new", args=[studio.large.pk]), {"sku": wanted.pk}).content.decode()
    assert f'<input type="radio" name="sku" value="{wanted.pk}" checked>' in form
    assert "<select" not in form.split('id="one-sku-picker"')[1].split("</fieldset>")[0]


def test_the_comparison_sku_picker_refuses_another_projects_sku(client, studio):
    login(client, studio, Role.CREATIVE)
    elsewhere = SKU.objects.filter(project=studio.small).first()
    html = client.get(reverse("comparison_skus", args=[studio.large.pk]), {"sku": elsewhere.pk}).content.decode()
    assert f'value="{elsewhere.pk}"' not in html


@pytest.mark.parametrize("url_name, form_id, target", [("generate_skus", "generate-form", "sku-picker"),
                                                       ("comparison_skus", "comparison-form", "one-sku-picker")])
def test_each_sku_pickers_pager_asks_its_own_url_with_its_own_form(client, studio, url_name, form_id, target):
    login(client, studio, Role.CREATIVE)
    url = reverse(url_name, args=[studio.large.pk])
    html = client.get(url, {"spage": 2}).content.decode()
    assert f'hx-get="{url}?spage=1"' in html and f'hx-get="{url}?spage=3"' in html
    assert f'hx-include="#{form_id}"' in html and f'hx-target="#{target}"' in html
