"""Status changes: one function per stateful model refuses illegal moves; SKU and Project statuses roll up."""
import threading

import pytest
from django.db import connection
from hypothesis import given, settings as hsettings, strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from catalog.models import ProjectStatus, SKUStatus
from generations import lifecycle
from generations.lifecycle import IllegalTransition, LostRace
from generations.models import AccountState, Task, TaskStatus as S
from tests.factories import ProjectFactory, SKUFactory, TaskFactory, TaskOutputFactory, VendorAccountFactory

pytestmark = pytest.mark.django_db

GENERATION_ORDER = [S.TASK_CREATED, S.TASK_SUBMITTED, S.GENERATION_STARTED, S.GENERATION_IN_PROCESS,
                    S.GENERATION_COMPLETED]


def test_a_task_walks_the_documented_lifecycle_to_client_approval():
    task = TaskFactory()
    for status in [S.TASK_SUBMITTED, S.GENERATION_STARTED, S.GENERATION_IN_PROCESS, S.GENERATION_COMPLETED,
                   S.REVIEW_SUBMITTED, S.REVIEW_APPROVED, S.CLIENT_APPROVED]:
        lifecycle.transition_task(task, status)
    task.refresh_from_db()
    assert task.status == S.CLIENT_APPROVED
    assert task.submitted_at is not None and task.finished_at is not None


@pytest.mark.parametrize("current,target", [
    (S.TASK_CREATED, S.GENERATION_COMPLETED),      # skipping submission
    (S.GENERATION_COMPLETED, S.GENERATION_IN_PROCESS),  # backwards
    (S.TASK_CREATED, S.REVIEW_APPROVED),            # approving what was never generated
    (S.REVIEW_SUBMITTED, S.CLIENT_APPROVED),        # client before review
    (S.CLIENT_APPROVED, S.TASK_SUBMITTED),          # final state
    (S.GENERATION_IN_PROCESS, S.TASK_SUBMITTED),    # resubmitting a running job
])
def test_illegal_task_moves_are_refused_and_nothing_changes(current, target):
    task = TaskFactory(status=current)
    with pytest.raises(IllegalTransition):
        lifecycle.transition_task(task, target)
    task.refresh_from_db()
    assert task.status == current


def test_a_move_from_a_stale_read_loses_the_race_instead_of_overwriting():
    task = TaskFactory(status=S.TASK_SUBMITTED)
    stale = Task.objects.get(pk=task.pk)
    lifecycle.transition_task(task, S.GENERATION_COMPLETED)
    with pytest.raises(LostRace):
        lifecycle.transition_task(stale, S.GENERATION_FAILED)
    task.refresh_from_db()
    assert task.status == S.GENERATION_COMPLETED


def test_a_late_vendor_status_never_moves_a_task_backwards():
    task = TaskFactory(status=S.GENERATION_COMPLETED)
    assert lifecycle.advance_task(task, S.GENERATION_IN_PROCESS) is False
    task.refresh_from_db()
    assert task.status == S.GENERATION_COMPLETED


def test_a_rejected_task_can_be_regenerated_but_an_approved_one_cannot():
    rejected = TaskFactory(status=S.REVIEW_REJECTED)
    lifecycle.transition_task(rejected, S.TASK_SUBMITTED)
    assert rejected.status == S.TASK_SUBMITTED
    approved = TaskFactory(status=S.CLIENT_APPROVED)
    with pytest.raises(IllegalTransition):
        lifecycle.transition_task(approved, S.TASK_SUBMITTED)


class TestStatusesOnlyMoveForward(HypothesisTestCase):
    """Property: once submitted, whatever order (and repetition) vendor statuses arrive in — by poll or
    webhook — a task never moves backwards, and a reported completion always lands."""

    @hsettings(max_examples=60, deadline=None)
    @given(st.lists(st.sampled_from(GENERATION_ORDER[1:] + [S.GENERATION_FAILED]), min_size=1, max_size=12))
    def test_random_event_orders(self, events):
        task = TaskFactory(status=S.TASK_SUBMITTED)
        rank = {s: i for i, s in enumerate(GENERATION_ORDER)}
        rank[S.GENERATION_FAILED] = len(GENERATION_ORDER)
        seen = rank[task.status]
        for event in events:
            lifecycle.advance_task(task, event)
            task.refresh_from_db()
            assert rank[task.status] >= seen
            seen = rank[task.status]
        if S.GENERATION_COMPLETED in events and S.GENERATION_FAILED not in events:
            assert task.status == S.GENERATION_COMPLETED


@pytest.mark.django_db(transaction=True)
def test_two_threads_moving_one_task_only_one_wins():
    task = TaskFactory(status=S.GENERATION_IN_PROCESS)
    results, barrier = [], threading.Barrier(2)

    def move(target):
        mine = Task.objects.get(pk=task.pk)
        barrier.wait()
        try:
            lifecycle.transition_task(mine, target)
            results.append(target)
        except (LostRace, IllegalTransition):
            results.append(None)
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=(t,)) for t in (S.GENERATION_COMPLETED, S.GENERATION_FAILED)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if r]
    assert len(winners) == 1
    task.refresh_from_db()
    assert task.status == winners[0]


# --- review outputs -------------------------------------------------------------------------------------------
def test_output_review_decisions_follow_their_own_table():
    output = TaskOutputFactory()
    lifecycle.transition_output(output, S.REVIEW_APPROVED)
    lifecycle.transition_output(output, S.CLIENT_APPROVED)
    with pytest.raises(IllegalTransition):
        lifecycle.transition_output(output, S.REVIEW_REJECTED)


@pytest.mark.parametrize("outputs,expected", [
    ([S.REVIEW_SUBMITTED, S.REVIEW_SUBMITTED], S.REVIEW_SUBMITTED),
    ([S.REVIEW_APPROVED, S.REVIEW_SUBMITTED], S.REVIEW_IN_PROCESS),
    ([S.REVIEW_APPROVED, S.REVIEW_REJECTED], S.REVIEW_APPROVED),
    ([S.REVIEW_REJECTED, S.REVIEW_REJECTED], S.REVIEW_REJECTED),
    ([S.CLIENT_APPROVED, S.REVIEW_REJECTED], S.CLIENT_APPROVED),
    ([S.CLIENT_REJECTED, S.REVIEW_REJECTED], S.CLIENT_REJECTED),
    ([S.CLIENT_APPROVED, S.REVIEW_APPROVED], S.REVIEW_APPROVED),  # client still has one to decide
    ([], None),
])
def test_a_tasks_review_status_is_what_its_outputs_imply(outputs, expected):
    assert lifecycle.review_status_for_task(outputs) == expected


def test_syncing_after_a_decision_moves_the_task_and_rolls_up_the_sku():
    task = TaskFactory(status=S.REVIEW_SUBMITTED)
    first, second = TaskOutputFactory(task=task), TaskOutputFactory(task=task)
    lifecycle.transition_output(first, S.REVIEW_APPROVED)
    lifecycle.sync_task_review_status(task)
    assert task.status == S.REVIEW_IN_PROCESS
    lifecycle.transition_output(second, S.REVIEW_REJECTED)
    lifecycle.sync_task_review_status(task)
    assert task.status == S.REVIEW_APPROVED
    task.sku.refresh_from_db()
    assert task.sku.status == SKUStatus.REVIEWING_PENDING


# --- roll-up --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("tasks,expected", [
    ([], SKUStatus.CREATED),
    ([S.TASK_CREATED], SKUStatus.IN_PROCESS),
    ([S.GENERATION_COMPLETED, S.GENERATION_IN_PROCESS], SKUStatus.IN_PROCESS),
    ([S.GENERATION_COMPLETED, S.REVIEW_SUBMITTED], SKUStatus.GENERATED),
    ([S.REVIEW_SUBMITTED, S.CLIENT_APPROVED], SKUStatus.REVIEWING_PENDING),
    ([S.CLIENT_APPROVED, S.CLIENT_APPROVED], SKUStatus.COMPLETED),
    ([S.CLIENT_APPROVED, S.REVIEW_REJECTED], SKUStatus.COMPLETED),
    ([S.GENERATION_FAILED], SKUStatus.IN_PROCESS),
])
def test_sku_status_is_derived_from_its_tasks(tasks, expected):
    assert lifecycle.sku_status_for(tasks) == expected


def test_project_status_follows_its_skus_through_task_transitions():
    project = ProjectFactory()
    sku_a, sku_b = SKUFactory(project=project), SKUFactory(project=project)
    task_a = TaskFactory(sku=sku_a)
    task_b = TaskFactory(sku=sku_b)
    lifecycle.rollup_sku(sku_a.pk)
    project.refresh_from_db()
    assert project.status == ProjectStatus.IN_PROCESS
    for task in (task_a, task_b):
        for status in (S.TASK_SUBMITTED, S.GENERATION_COMPLETED, S.REVIEW_SUBMITTED, S.REVIEW_APPROVED,
                       S.CLIENT_APPROVED):
            lifecycle.transition_task(task, status)
    project.refresh_from_db()
    sku_a.refresh_from_db()
    assert sku_a.status == SKUStatus.COMPLETED
    assert project.status == ProjectStatus.COMPLETED


def test_a_project_being_imported_stays_creating_until_the_import_finishes():
    project = ProjectFactory(status=ProjectStatus.CREATING)
    SKUFactory(project=project)
    lifecycle.rollup_project(project.pk)
    project.refresh_from_db()
    assert project.status == ProjectStatus.CREATING
    lifecycle.finish_project_import(project)
    assert project.status == ProjectStatus.CREATED


# --- vendor accounts ------------------------------------------------------------------------------------------
def test_an_account_pauses_resumes_and_a_disabled_one_cannot_be_paused():
    account = VendorAccountFactory()
    assert lifecycle.set_account_state(account, AccountState.PAUSED, "Out of credits")
    assert lifecycle.set_account_state(account, AccountState.ACTIVE)
    lifecycle.set_account_state(account, AccountState.DISABLED, "Key revoked (401)")
    with pytest.raises(IllegalTransition):
        lifecycle.set_account_state(account, AccountState.PAUSED)
    account.refresh_from_db()
    assert account.state == AccountState.DISABLED
    assert account.state_message == "Key revoked (401)"


def test_only_the_latest_rounds_decisions_set_the_task_status():
    """Client rejected round 1, the task was regenerated, and the manager rejects all of round 2: the task is
    "Review rejected" (ready to regenerate again), not stuck on round 1's "Client rejected"."""
    task = TaskFactory(status=S.CLIENT_REJECTED)
    TaskOutputFactory(task=task, round=1, review_status=S.CLIENT_REJECTED)
    for status in (S.TASK_SUBMITTED, S.GENERATION_COMPLETED, S.REVIEW_SUBMITTED):
        lifecycle.transition_task(task, status)
    second = TaskOutputFactory(task=task, round=2)
    lifecycle.transition_output(second, S.REVIEW_REJECTED)
    lifecycle.sync_task_review_status(task)
    assert task.status == S.REVIEW_REJECTED
