"""Collections at scale: budgets, pilots, pause / resume / cancel, retry only the failed, vendor comparisons."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from generations import batches, lifecycle
from generations.launch import LaunchError, new_form_token
from generations.models import BatchState, CreditEntry, CreditKind, Task, TaskStatus as S
from studio.models import Role
from tests.factories import (GarmentImageFactory, TaskOutputFactory, MembershipFactory, ModelImageFactory, ProjectFactory, SKUFactory,
                             VendorAccountFactory)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    member = MembershipFactory(role=Role.MANAGER)
    project = ProjectFactory(program__team=member.team)
    skus = [SKUFactory(project=project, code=f"SKU-{i:02d}") for i in range(5)]
    for sku in skus:
        GarmentImageFactory(sku=sku)
    account = VendorAccountFactory(team=member.team)
    model_image = ModelImageFactory(fashion_model__program=project.program)
    return member, project, skus, account, model_image


def bulk(setup, **kwargs):
    member, project, skus, account, model_image = setup
    params = dict(user=member.user, team=member.team, skus=skus, account=account, operation="try_on",
                  model_image=model_image, num_outputs=2, form_token=new_form_token())
    params.update(kwargs)
    return batches.launch_bulk(**params)


def test_a_pilot_runs_the_first_skus_and_the_rest_run_later_with_the_same_settings(setup):
    member, project, skus, account, model_image = setup
    pilot = bulk(setup, pilot_size=2, prompt="white studio")
    assert pilot.is_pilot and sorted(t.sku.code for t in pilot.tasks.all()) == ["SKU-00", "SKU-01"]
    rest = batches.launch_rest(pilot, user=member.user, team=member.team, form_token=new_form_token())
    assert sorted(t.sku.code for t in rest.tasks.all()) == ["SKU-02", "SKU-03", "SKU-04"]
    assert {(t.prompt, t.num_outputs, t.model_image_id) for t in rest.tasks.all()} == {("white studio", 2,
                                                                                        model_image.pk)}
    assert rest.pilot_of == pilot
    again = batches.launch_rest(pilot, user=member.user, team=member.team, form_token=new_form_token())
    assert again == rest and Task.objects.count() == 5  # the rest runs once


def test_a_batch_over_the_project_budget_is_refused_before_anything_is_created(setup):
    member, project, skus, account, model_image = setup
    project.budget_credits = Decimal("12")
    project.save()
    bulk(setup, skus=skus[:2])  # 2 SKUs × 2 outputs × 1 credit = 4
    bulk(setup, skus=skus[2:])  # 3 × 2 = 6: 10 of 12
    assert batches.committed_credits(project) == 10
    with pytest.raises(LaunchError, match="about 6 credits, but the project has 2 of its 12-credit budget left"):
        bulk(setup, skus=skus[2:])
    assert Task.objects.count() == 5


def test_failed_uncharged_tasks_release_their_share_of_the_budget(setup):
    member, project, skus, account, model_image = setup
    batch = bulk(setup, skus=skus[:1])
    task = batch.tasks.get()
    lifecycle.transition_task(task, S.GENERATION_FAILED, error_message="vendor refused")
    assert batches.committed_credits(project) == 0


def test_pause_holds_unsubmitted_tasks_and_resume_requeues_them(setup, django_capture_on_commit_callbacks,
                                                                  monkeypatch):
    queued = []
    monkeypatch.setattr("generations.engine.queue.queue_advance", lambda pk, countdown=0: queued.append(pk) or True)
    batch = bulk(setup)
    assert batches.pause(batch) and batch.state == BatchState.PAUSED
    assert not batches.pause(batch)  # already paused
    Task.objects.filter(batch=batch).update(next_run_at=timezone.now() + timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert batches.resume(batch)
    assert sorted(queued) == sorted(batch.tasks.values_list("pk", flat=True))
    assert all(t.next_run_at <= timezone.now() for t in batch.tasks.all())


def test_cancel_stops_what_was_not_submitted_and_keeps_what_was(setup):
    batch = bulk(setup)
    submitted, finished, *waiting = list(batch.tasks.order_by("sku__code"))
    Task.objects.filter(pk=submitted.pk).update(attempt_key="a1")  # a worker is paying for this one right now
    lifecycle.transition_task(finished, S.TASK_SUBMITTED)
    lifecycle.transition_task(finished, S.GENERATION_COMPLETED)
    assert batches.cancel(batch) == len(waiting)
    assert batch.state == BatchState.CANCELLED
    statuses = dict(batch.tasks.values_list("pk", "status"))
    assert statuses[submitted.pk] == S.TASK_CREATED and statuses[finished.pk] == S.GENERATION_COMPLETED
    assert all(statuses[t.pk] == S.GENERATION_FAILED for t in waiting)
    progress = batches.progress(batch)
    assert (progress.total, progress.done, progress.cancelled, progress.failed) == (5, 1, 3, 0)


def test_retry_only_the_failed_ones_not_the_cancelled(setup, monkeypatch):
    batch = bulk(setup)
    failed, cancelled_one, *_ = list(batch.tasks.order_by("sku__code"))
    lifecycle.transition_task(failed, S.GENERATION_FAILED, error_message="500 from vendor")
    Task.objects.filter(pk=cancelled_one.pk).update(step=batches.CANCELLED_STEP)
    cancelled_one.refresh_from_db()
    lifecycle.transition_task(cancelled_one, S.GENERATION_FAILED)
    regenerated = []
    monkeypatch.setattr("generations.engine.housekeeping.regenerate",
                        lambda task, user, prompt="": regenerated.append(task.pk))
    assert batches.retry_failed(batch, user=None) == 1
    assert regenerated == [failed.pk]


def test_spend_by_vendor_shows_estimated_against_charged(setup):
    member, project, skus, account, model_image = setup
    batch = bulk(setup, skus=skus[:2])
    task = batch.tasks.first()
    CreditEntry.objects.create(team=member.team, account=account, task=task, kind=CreditKind.CHARGE, credits=3,
                               external_id="vendor-1")  # what the engine writes when the vendor charges
    [row] = batches.spend_by_vendor(project)
    assert (row.account, row.estimated, row.charged, row.tasks) == (account.name, Decimal("4"), Decimal("3"), 2)


def test_a_comparison_runs_one_sku_on_several_accounts_and_counts_wins(setup):
    member, project, skus, account, model_image = setup
    other = VendorAccountFactory(team=member.team, name="Second sandbox")
    token = new_form_token()
    comparison = batches.launch_comparison(user=member.user, team=member.team, sku=skus[0],
                                           accounts=[account, other], model_image=model_image, form_token=token)
    assert batches.launch_comparison(user=member.user, team=member.team, sku=skus[0], accounts=[account, other],
                                     model_image=model_image, form_token=token) == comparison  # double click
    tasks = list(batches.comparison_tasks(comparison))
    assert {t.account_id for t in tasks} == {account.pk, other.pk}
    now = timezone.now()
    for task, seconds in zip(tasks, (30, 90)):
        Task.objects.filter(pk=task.pk).update(submitted_at=now, finished_at=now + timedelta(seconds=seconds),
                                               charged_credits=2)
    TaskOutputFactory(task=tasks[1])  # only a column with outputs can win
    batches.mark_winner(comparison, tasks[1], member.user)
    board = {row.account: row for row in batches.scoreboard(project)}
    assert board[tasks[1].account.name].wins == 1 and board[tasks[0].account.name].wins == 0
    assert board[tasks[0].account.name].mean_seconds == 30 and board[tasks[1].account.name].credits == 2


def test_a_comparison_needs_two_accounts_and_a_winner_from_it(setup):
    member, project, skus, account, model_image = setup
    with pytest.raises(LaunchError, match="at least two"):
        batches.launch_comparison(user=member.user, team=member.team, sku=skus[0], accounts=[account, account],
                                  model_image=model_image, form_token=new_form_token())
