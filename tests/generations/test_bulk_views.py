"""Bulk generate in the browser (Uwear 002: a pilot first, then the rest with the same settings; retry only the
failed): the estimate against the balance and the budget, the confirm step, refusal over budget, the batch panel's
controls, the budget editor and spend table, roles, CSRF and query counts."""
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from generations import batches, lifecycle
from generations.launch import new_form_token
from generations.models import Batch, BatchState, CreditEntry, CreditKind, Task, TaskStatus as S
from studio.models import Role
from tests import factories as f
from tests.generations.test_review import login, make_studio

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def queued(monkeypatch):
    """No broker: record what would be published once a transaction commits."""
    published = []
    monkeypatch.setattr("generations.engine.queue.queue_advance", lambda pk, countdown=0: published.append(pk) or True)
    return published


@pytest.fixture
def studio():
    studio = make_studio()
    studio.skus = [studio.sku] + [f.SKUFactory(project=studio.project) for _ in range(4)]
    for sku in studio.skus:
        f.GarmentImageFactory(sku=sku)
    studio.model_image = f.ModelImageFactory(fashion_model__program=studio.project.program)
    return studio


def _token(html: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


def _bulk_data(studio, token, **extra):
    return {"form_token": token, "whole_project": "on", "account": studio.account.pk, "operation": "try_on",
            "num_outputs": 2, "model_image": studio.model_image.pk, "prompt": "white studio", **extra}


def _bulk_url(studio):
    return reverse("bulk_generate", args=[studio.project.pk])


def _launch(studio, *, skus=None, pilot_size=0, num_outputs=1):
    member = studio.user(Role.CREATIVE)
    return batches.launch_bulk(user=member, team=studio.team, skus=skus or studio.skus[:3], account=studio.account,
                               operation="try_on", model_image=studio.model_image, num_outputs=num_outputs,
                               pilot_size=pilot_size, form_token=new_form_token())


def _panel(client, batch, **kwargs) -> str:
    response = client.get(reverse("batch_panel", args=[batch.pk]), headers=HTMX, **kwargs)
    assert response.status_code in (200, 286)
    return response.content.decode()


def _post(client, name, batch, data=None):
    return client.post(reverse(name, args=[batch.pk]), data or {}, headers=HTMX)


# --- bulk generate -------------------------------------------------------------------------------------------------
def test_a_pilot_launched_from_the_form_runs_the_first_skus_and_run_the_rest_launches_the_others(client, studio):
    studio.project.budget_credits = Decimal("100")
    studio.project.save()
    login(client, studio, Role.CREATIVE)
    token = _token(client.get(_bulk_url(studio)).content.decode())

    review = client.post(_bulk_url(studio), _bulk_data(studio, token, pilot_size=2))
    html = review.content.decode()
    assert review.status_code == 200 and "Confirm and launch the pilot" in html
    assert "≈ 10 credits</strong> for the whole batch" in html  # 5 SKUs × 2 outputs × 1 credit
    assert "Pilot now: <strong>2 SKUs</strong> ≈ 4 credits" in html and "The rest, 3 SKUs ≈ 6 credits" in html
    assert "100 of 100 credits left" in html and "<dd>unknown</dd>" in html  # the sandbox reports no balance
    assert not Task.objects.exists()  # nothing starts before the confirmation

    launched = client.post(_bulk_url(studio), {**_bulk_data(studio, token, pilot_size=2), "confirm": "1"}, follow=True)
    assert "Pilot launched on 2 SKUs" in launched.content.decode()
    pilot = Batch.objects.get()
    codes = sorted(s.code for s in studio.skus)
    assert pilot.is_pilot and sorted(pilot.tasks.values_list("sku__code", flat=True)) == codes[:2]

    panel = _panel(client, pilot)
    assert "Pilot" in panel and "Run the rest (3 SKUs)" in panel
    response = _post(client, "batch_run_rest", pilot, {"form_token": _token(panel)})
    assert "batches-changed" in response.headers["HX-Trigger"]
    rest = Batch.objects.get(pilot_of=pilot)
    assert "The rest runs as <strong>" in response.content.decode() and "Run the rest" not in response.content.decode()
    assert sorted(rest.tasks.values_list("sku__code", flat=True)) == codes[2:]
    assert {(t.prompt, t.num_outputs, t.model_image_id) for t in rest.tasks.all()} == {
        ("white studio", 2, studio.model_image.pk)}


def test_run_the_rest_twice_with_the_same_form_starts_the_rest_once(client, studio):
    pilot = _launch(studio, skus=studio.skus, pilot_size=1)
    login(client, studio, Role.CREATIVE)
    token = _token(_panel(client, pilot))
    _post(client, "batch_run_rest", pilot, {"form_token": token})
    _post(client, "batch_run_rest", pilot, {"form_token": token})
    assert Batch.objects.filter(pilot_of=pilot).count() == 1 and Task.objects.count() == 5


def test_a_launch_over_the_project_budget_shows_the_message_and_creates_nothing(client, studio):
    studio.project.budget_credits = Decimal("3")
    studio.project.save()
    login(client, studio, Role.CREATIVE)
    token = _token(client.get(_bulk_url(studio)).content.decode())
    data = _bulk_data(studio, token, num_outputs=1)
    warned = client.post(_bulk_url(studio), data).content.decode()
    assert "more than the project budget has left: the launch will be refused" in warned

    refused = client.post(_bulk_url(studio), {**data, "confirm": "1"})
    html = refused.content.decode()
    assert refused.status_code == 200
    assert "This would cost about 5 credits, but the project has 3 of its 3-credit budget left." in html
    assert "Nothing was started." in html
    assert not Batch.objects.exists() and not Task.objects.exists()


def test_a_pilot_that_fits_the_budget_says_the_rest_would_not(client, studio):
    studio.project.budget_credits = Decimal("4")
    studio.project.save()
    login(client, studio, Role.CREATIVE)
    params = {**_bulk_data(studio, "t", num_outputs=1, pilot_size=2)}
    html = client.get(reverse("bulk_estimate", args=[studio.project.pk]), params, headers=HTMX).content.decode()
    assert "The pilot fits the budget; the rest would not" in html


def test_the_estimate_counts_committed_credits_and_the_known_account_balance(client, studio):
    studio.account.credit_balance = Decimal("7")
    studio.account.save()
    studio.project.budget_credits = Decimal("20")
    studio.project.save()
    _launch(studio, skus=studio.skus[:2], num_outputs=2)  # 4 credits committed
    login(client, studio, Role.CREATIVE)
    params = _bulk_data(studio, "t", num_outputs=2)
    html = client.get(reverse("bulk_estimate", args=[studio.project.pk]), params, headers=HTMX).content.decode()
    assert "≈ 10 credits" in html and "<dd>7 credits</dd>" in html and "16 of 20 credits left" in html
    assert "may cost more than the account's last known balance" in html


def test_chosen_skus_and_a_pilot_as_large_as_the_batch_is_refused(client, studio):
    login(client, studio, Role.CREATIVE)
    data = _bulk_data(studio, new_form_token(), pilot_size=2, confirm="1")
    del data["whole_project"]
    data["skus"] = [studio.skus[0].pk, studio.skus[1].pk]
    html = client.post(_bulk_url(studio), data).content.decode()
    assert "A pilot must be smaller than the batch (2 SKUs)." in html and not Task.objects.exists()


def test_a_client_cannot_open_or_launch_a_bulk_generation(client, studio):
    login(client, studio, Role.CLIENT)
    assert client.get(_bulk_url(studio)).status_code == 403
    assert client.post(_bulk_url(studio), _bulk_data(studio, new_form_token(), confirm="1")).status_code == 403
    assert not Task.objects.exists()


# --- batch panel -----------------------------------------------------------------------------------------------------
def test_pause_and_resume_change_the_batch_and_the_buttons(client, studio, django_capture_on_commit_callbacks,
                                                           queued):
    batch = _launch(studio)
    login(client, studio, Role.CREATIVE)
    panel = _panel(client, batch)
    assert 'data-action="pause"' in panel and "3 waiting" in panel and 'data-action="resume"' not in panel

    paused = _post(client, "batch_pause", batch).content.decode()
    batch.refresh_from_db()
    assert batch.state == BatchState.PAUSED
    assert 'data-state="paused"' in paused and "3 waiting" in paused and "Paused" in paused
    assert 'data-action="resume"' in paused and 'data-action="pause"' not in paused
    assert 'hx-trigger="every 2s"' not in paused  # nothing moves while paused: the panel stops polling

    with django_capture_on_commit_callbacks(execute=True):
        resumed = _post(client, "batch_resume", batch).content.decode()
    batch.refresh_from_db()
    assert batch.state == BatchState.RUNNING and 'data-action="pause"' in resumed
    assert sorted(queued) == sorted(batch.tasks.values_list("pk", flat=True))


def test_cancel_keeps_what_finished_and_the_panel_counts_the_cancelled(client, studio):
    batch = _launch(studio)
    finished = batch.tasks.order_by("sku__code").first()
    lifecycle.transition_task(finished, S.TASK_SUBMITTED)
    lifecycle.transition_task(finished, S.GENERATION_COMPLETED)
    login(client, studio, Role.CREATIVE)
    response = _post(client, "batch_cancel", batch)
    html = response.content.decode()
    assert response.status_code == 286  # nothing left to poll for
    assert "1 done · 0 failed · 2 cancelled · 3 total" in html
    assert "2 tasks will not be submitted; finished work is kept." in html  # the toast
    assert not any(f'data-action="{a}"' in html for a in ("pause", "resume", "cancel", "retry"))
    finished.refresh_from_db()
    assert finished.status == S.GENERATION_COMPLETED


def test_retry_only_the_failed_ones_runs_the_failed_task_again(client, studio):
    batch = _launch(studio)
    failed, *others = list(batch.tasks.order_by("sku__code"))
    lifecycle.transition_task(failed, S.GENERATION_FAILED, error_message="500 from the vendor")
    login(client, studio, Role.CREATIVE)
    assert "Retry only the failed ones (1)" in _panel(client, batch)
    html = _post(client, "batch_retry_failed", batch).content.decode()
    failed.refresh_from_db()
    assert failed.status == S.TASK_SUBMITTED and failed.round == 2
    assert "Retrying 1 failed task" in html and "Retry only the failed ones" not in html
    assert "0 failed" in html and "1 at the vendor · 2 waiting" in html


def test_without_htmx_a_control_redirects_to_the_project_page(client, studio):
    batch = _launch(studio)
    login(client, studio, Role.CREATIVE)
    response = client.post(reverse("batch_pause", args=[batch.pk]))
    assert response.status_code == 302 and response.url == reverse("project_detail", args=[studio.project.pk])


def test_a_client_sees_no_batch_panel_and_cannot_use_the_controls(client, studio):
    """Batches are the studio's machinery: a client gets neither the panel nor its controls (issue 16.4)."""
    batch = _launch(studio)
    login(client, studio, Role.CLIENT)
    assert client.get(reverse("batch_panel", args=[batch.pk])).status_code == 403
    assert _post(client, "batch_pause", batch).status_code == 403
    assert _post(client, "batch_cancel", batch).status_code == 403
    batch.refresh_from_db()
    assert batch.state == BatchState.RUNNING


def test_another_teams_batch_is_a_404_for_every_control(client, studio):
    batch = _launch(studio)
    outsider = f.MembershipFactory(role=Role.ADMIN).user
    client.force_login(outsider)
    for name in ("batch_panel", "batch_pause", "batch_resume", "batch_cancel", "batch_retry_failed",
                 "batch_run_rest"):
        method = client.get if name == "batch_panel" else client.post
        assert method(reverse(name, args=[batch.pk])).status_code == 404, name
    batch.refresh_from_db()
    assert batch.state == BatchState.RUNNING


def test_each_batch_in_the_project_list_opens_its_panel(client, studio):
    batch = _launch(studio, skus=studio.skus, pilot_size=2)
    login(client, studio, Role.CREATIVE)
    html = client.get(reverse("project_batches", args=[studio.project.pk]), headers=HTMX).content.decode()
    slot = re.search(rf'<div id="batch-panel-slot-{batch.pk}" class="batch-panel-slot" hx-preserve>(.*?)</div>',
                     html, re.S).group(1)
    assert f'hx-get="{reverse("batch_panel", args=[batch.pk])}"' in slot and "Pilot: run the rest" in slot


def test_the_batch_panel_costs_the_same_with_2_tasks_as_with_20(client):
    counts = []
    for size in (2, 20):
        studio = make_studio()
        pilot = Batch.objects.create(project=studio.project, form_token=new_form_token(), is_pilot=True,
                                     config={"rest_sku_ids": [1, 2]})
        for _ in range(size):
            f.TaskFactory(sku=f.SKUFactory(project=studio.project), team=studio.team, account=studio.account,
                          batch=pilot, status=S.GENERATION_FAILED)
        login(client, studio, Role.CREATIVE)
        _panel(client, pilot)
        with CaptureQueriesContext(connection) as captured:
            html = _panel(client, pilot)
        assert f"{size} failed" in html
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


# --- budget and spend ------------------------------------------------------------------------------------------------
def _charge(task, credits, vendor_id="vendor-1"):
    """What the engine does when a vendor takes a task and charges it."""
    Task.objects.filter(pk=task.pk).update(vendor_task_id=vendor_id)
    task.vendor_task_id = vendor_id
    lifecycle.transition_task(task, S.TASK_SUBMITTED)
    CreditEntry.objects.create(team=task.team, account=task.account, task=task, kind=CreditKind.CHARGE,
                               credits=credits, external_id=vendor_id)
    Task.objects.filter(pk=task.pk).update(charged_credits=credits)


def test_a_manager_sets_the_budget_and_the_fragment_shows_what_is_left(client, studio):
    batch = _launch(studio, skus=studio.skus[:2], num_outputs=2)
    _charge(batch.tasks.order_by("pk").first(), 3)
    login(client, studio, Role.MANAGER)
    response = client.post(reverse("project_budget", args=[studio.project.pk]), {"budget_credits": "12"},
                           headers=HTMX)
    html = response.content.decode()
    studio.project.refresh_from_db()
    assert studio.project.budget_credits == Decimal("12")
    assert "<strong>7</strong> of 12 credits left" in html  # charged 3 for one task, estimated 2 for the other
    assert "Budget set to 12 credits." in html
    row = re.search(rf"<tr><td>{studio.account.name}</td>.*?</tr>", html, re.S).group(0)
    assert re.findall(r'<td class="num">([^<]+)</td>', row) == ["2", "4", "3"]  # tasks, estimated, charged


def test_a_creative_sees_the_spend_but_cannot_change_the_budget(client, studio):
    login(client, studio, Role.CREATIVE)
    html = client.get(reverse("project_spend", args=[studio.project.pk]), headers=HTMX).content.decode()
    assert "Budget and spend" in html and "No budget cap" in html and 'name="budget_credits"' not in html
    response = client.post(reverse("project_budget", args=[studio.project.pk]), {"budget_credits": "1"})
    assert response.status_code == 403
    studio.project.refresh_from_db()
    assert studio.project.budget_credits is None


def test_a_negative_budget_is_refused_with_a_message(client, studio):
    login(client, studio, Role.ADMIN)
    html = client.post(reverse("project_budget", args=[studio.project.pk]), {"budget_credits": "-5"},
                       headers=HTMX).content.decode()
    assert "greater than or equal to 0" in html
    studio.project.refresh_from_db()
    assert studio.project.budget_credits is None


def test_the_project_page_loads_the_spend_fragment_and_links_the_bulk_pages(client, studio):
    login(client, studio, Role.CREATIVE)
    html = client.get(reverse("project_detail", args=[studio.project.pk])).content.decode()
    assert f'hx-get="{reverse("project_spend", args=[studio.project.pk])}" hx-trigger="load' in html
    assert 'hx-trigger="batches-changed from:body"' in html  # a batch control reloads the batch list
    assert reverse("bulk_generate", args=[studio.project.pk]) in html
    assert reverse("project_comparisons", args=[studio.project.pk]) in html


# --- CSRF ------------------------------------------------------------------------------------------------------------
def test_posts_without_the_csrf_token_are_refused(studio):
    batch = _launch(studio)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(studio.user(Role.ADMIN))
    posts = [("bulk_generate", studio.project.pk, _bulk_data(studio, new_form_token(), confirm="1")),
             ("project_budget", studio.project.pk, {"budget_credits": "1"}),
             *((name, batch.pk, {}) for name in ("batch_pause", "batch_resume", "batch_cancel",
                                                 "batch_retry_failed", "batch_run_rest"))]
    for name, pk, data in posts:
        assert strict.post(reverse(name, args=[pk]), data).status_code == 403, name
    batch.refresh_from_db()
    studio.project.refresh_from_db()
    assert batch.state == BatchState.RUNNING and studio.project.budget_credits is None
    assert Batch.objects.count() == 1

