"""Vendor comparisons in the browser: one action runs a SKU on several accounts, the page shows each vendor's
outputs (from our storage), status, cost and time side by side, a reviewer marks the winner, and the project's
table and scoreboard follow; roles, CSRF and query counts."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from generations import batches
from generations.launch import new_form_token
from generations.models import Batch, Comparison, Task, TaskStatus as S
from studio.models import Role
from tests import factories as f
from tests.generations.test_review import login, make_studio

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def queued(monkeypatch):
    published = []
    monkeypatch.setattr("generations.engine.queue.queue_advance", lambda pk, countdown=0: published.append(pk) or True)
    return published


@pytest.fixture
def studio():
    studio = make_studio()
    f.GarmentImageFactory(sku=studio.sku)
    studio.second = f.VendorAccountFactory(team=studio.team, name="Second sandbox")
    studio.model_image = f.ModelImageFactory(fashion_model__program=studio.project.program)
    return studio


def _compare(studio) -> Comparison:
    return batches.launch_comparison(user=studio.user(Role.CREATIVE), team=studio.team, sku=studio.sku,
                                     accounts=[studio.account, studio.second], model_image=studio.model_image,
                                     form_token=new_form_token())


def _finish(task, *, seconds, charged=0, outputs=1):
    now = timezone.now()
    Task.objects.filter(pk=task.pk).update(status=S.REVIEW_SUBMITTED, submitted_at=now,
                                           finished_at=now + timedelta(seconds=seconds), charged_credits=charged,
                                           vendor_state={"outputs": ["https://cdn.vendor.example/result.png"]})
    return [f.TaskOutputFactory(task=task) for _ in range(outputs)]


def _tasks(comparison) -> dict:
    return {t.account.name: t for t in batches.comparison_tasks(comparison)}


def test_a_creative_compares_two_accounts_in_one_action_but_cannot_mark_the_winner(client, studio):
    login(client, studio, Role.CREATIVE)
    url = reverse("comparison_new", args=[studio.project.pk])
    token = re.search(r'name="form_token" value="([^"]+)"', client.get(url).content.decode()).group(1)
    data = {"form_token": token, "sku": studio.sku.pk, "accounts": [studio.account.pk, studio.second.pk],
            "model_image": studio.model_image.pk, "prompt": "white studio", "num_outputs": 2}
    response = client.post(url, data)
    comparison = Comparison.objects.get()
    assert response.status_code == 302 and response.url == reverse("comparison_detail", args=[comparison.pk])
    client.post(url, data)  # a double click
    assert Comparison.objects.count() == 1
    tasks = Task.objects.filter(batch__comparison=comparison)
    assert sorted(tasks.values_list("account__name", flat=True)) == sorted([studio.account.name, "Second sandbox"])
    assert {(t.sku_id, t.model_image_id, t.num_outputs) for t in tasks} == {(studio.sku.pk, studio.model_image.pk, 2)}

    html = client.get(response.url).content.decode()
    assert studio.account.name in html and "Second sandbox" in html and "Mark winner" not in html
    winner = client.post(reverse("comparison_winner", args=[comparison.pk]), {"task": tasks.first().pk})
    assert winner.status_code == 403
    comparison.refresh_from_db()
    assert comparison.winner is None


def test_a_comparison_needs_two_accounts(client, studio):
    login(client, studio, Role.CREATIVE)
    html = client.post(reverse("comparison_new", args=[studio.project.pk]), {
        "form_token": new_form_token(), "sku": studio.sku.pk, "accounts": [studio.account.pk],
        "model_image": studio.model_image.pk, "num_outputs": 1}).content.decode()
    assert "Choose at least two vendor accounts to compare." in html and not Comparison.objects.exists()


def test_a_client_cannot_start_or_see_comparisons(client, studio):
    comparison = _compare(studio)
    login(client, studio, Role.CLIENT)
    assert client.get(reverse("comparison_new", args=[studio.project.pk])).status_code == 403
    assert client.get(reverse("comparison_detail", args=[comparison.pk])).status_code == 403
    assert client.get(reverse("project_comparisons", args=[studio.project.pk])).status_code == 403


def test_the_comparison_page_shows_each_vendors_outputs_cost_and_time_side_by_side(client, studio):
    comparison = _compare(studio)
    tasks = _tasks(comparison)
    first_outputs = _finish(tasks[studio.account.name], seconds=30, charged=3, outputs=2)
    second_outputs = _finish(tasks["Second sandbox"], seconds=90)  # not charged yet: the estimate shows
    login(client, studio, Role.MANAGER)
    response = client.get(reverse("comparison_detail", args=[comparison.pk]))
    html = response.content.decode()
    columns = dict(re.findall(r'data-account="([^"]+)">(.*?)</article>', html, re.S))
    first, second = columns[studio.account.name], columns["Second sandbox"]
    for output in first_outputs:
        assert reverse("output_thumbnail", args=[output.pk]) in first
    assert reverse("output_thumbnail", args=[second_outputs[0].pk]) in second
    assert "3 credits <span class=\"muted\">(charged)</span>" in first and "30 s" in first
    assert "1 credit <span class=\"muted\">(estimated)</span>" in second and "1 min 30 s" in second
    assert "Review submitted" in first and html.count("Mark winner") == 2
    assert "cdn.vendor.example" not in html  # never a vendor URL: they expire


def test_marking_a_winner_updates_the_page_and_the_scoreboard(client, studio):
    comparison = _compare(studio)
    tasks = _tasks(comparison)
    _finish(tasks[studio.account.name], seconds=30, charged=2)
    _finish(tasks["Second sandbox"], seconds=90, charged=4)
    login(client, studio, Role.MANAGER)
    response = client.post(reverse("comparison_winner", args=[comparison.pk]),
                           {"task": tasks["Second sandbox"].pk}, headers=HTMX)
    html = response.content.decode()
    assert "Winner: <strong>Second sandbox</strong>" in html and "chosen by manager-" in html
    assert "Marked Second sandbox as the winner" in html
    comparison.refresh_from_db()
    assert comparison.winner_id == tasks["Second sandbox"].pk

    board = client.get(reverse("project_comparisons", args=[studio.project.pk])).content.decode()
    rows = dict(re.findall(r'<tr data-account="([^"]+)">(.*?)</tr>', board, re.S))
    assert '<td class="num wins">1</td>' in rows["Second sandbox"]
    assert '<td class="num wins">0</td>' in rows[studio.account.name]
    assert '<td class="num credits">4</td>' in rows["Second sandbox"] and "1 min 30 s" in rows["Second sandbox"]
    assert '<td class="num credits">2</td>' in rows[studio.account.name] and "30 s" in rows[studio.account.name]
    assert reverse("comparison_detail", args=[comparison.pk]) in board


def test_a_task_of_another_comparison_cannot_win_this_one(client, studio):
    comparison, other = _compare(studio), _compare(studio)
    login(client, studio, Role.MANAGER)
    stranger = Task.objects.filter(batch__comparison=other).first()
    html = client.post(reverse("comparison_winner", args=[comparison.pk]), {"task": stranger.pk},
                       headers=HTMX).content.decode()
    assert "That task is not part of this comparison." in html
    comparison.refresh_from_db()
    assert comparison.winner is None


def test_another_teams_comparison_is_a_404(client, studio):
    comparison = _compare(studio)
    client.force_login(f.MembershipFactory(role=Role.ADMIN).user)
    assert client.get(reverse("comparison_detail", args=[comparison.pk])).status_code == 404
    task = Task.objects.filter(batch__comparison=comparison).first()
    assert client.post(reverse("comparison_winner", args=[comparison.pk]), {"task": task.pk}).status_code == 404
    comparison.refresh_from_db()
    assert comparison.winner is None


def test_the_review_board_links_the_comparisons(client, studio):
    login(client, studio, Role.MANAGER)
    html = client.get(reverse("review_board", args=[studio.project.pk])).content.decode()
    assert reverse("project_comparisons", args=[studio.project.pk]) in html


def _comparisons(studio, count: int, accounts: int = 2):
    team_accounts = [studio.account, studio.second] + [
        f.VendorAccountFactory(team=studio.team) for _ in range(accounts - 2)]
    made = []
    for n in range(count):
        comparison = Comparison.objects.create(project=studio.project, label=f"Run {n}")
        for account in team_accounts:
            batch = Batch.objects.create(project=studio.project, form_token=new_form_token(), comparison=comparison)
            task = f.TaskFactory(sku=studio.sku, team=studio.team, account=account, batch=batch,
                                 estimated_credits=Decimal("1"), status=S.REVIEW_SUBMITTED)
            f.TaskOutputFactory(task=task)
        made.append(comparison)
    Comparison.objects.filter(pk=made[0].pk).update(winner=made[0].batches.first().tasks.first())
    return made


def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code in (200, 286)
    return len(captured)


def test_the_comparisons_table_costs_the_same_with_2_comparisons_as_with_20(client):
    counts = []
    for size in (2, 20):
        studio = make_studio()
        studio.second = f.VendorAccountFactory(team=studio.team)
        _comparisons(studio, size)
        login(client, studio, Role.MANAGER)
        counts.append(_queries(client, reverse("project_comparisons", args=[studio.project.pk])))
    assert counts[0] == counts[1], counts


def test_the_comparison_page_costs_the_same_with_2_vendors_as_with_6(client):
    counts = []
    for accounts in (2, 6):
        studio = make_studio()
        studio.second = f.VendorAccountFactory(team=studio.team)
        [comparison] = _comparisons(studio, 1, accounts=accounts)
        login(client, studio, Role.MANAGER)
        counts.append(_queries(client, reverse("comparison_detail", args=[comparison.pk])))
    assert counts[0] == counts[1], counts


def test_posts_without_the_csrf_token_are_refused(studio):
    comparison = _compare(studio)
    task = Task.objects.filter(batch__comparison=comparison).first()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(studio.user(Role.ADMIN))
    assert strict.post(reverse("comparison_winner", args=[comparison.pk]), {"task": task.pk}).status_code == 403
    assert strict.post(reverse("comparison_new", args=[studio.project.pk]), {
        "form_token": new_form_token(), "sku": studio.sku.pk, "accounts": [studio.account.pk, studio.second.pk],
        "num_outputs": 1}).status_code == 403
    comparison.refresh_from_db()
    assert comparison.winner is None and Comparison.objects.count() == 1
