"""Where a person meets a task held as "outcome unknown": the task card (SKU page), the review board and the batch
page, with a manager's two actions; everyone else sees the message but not the actions."""
from datetime import timedelta

import pytest
from django.utils import timezone

from generations.engine import runs
from generations.models import CreditEntry, CreditKind, Decision, ReviewEvent, Task, TaskStatus
from studio.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


def held_task(team, **kwargs):
    """A sandbox task whose paid call went out and was lost, on an account that plays a vendor without a listing."""
    account = f.VendorAccountFactory(team=team, settings={"reconcile": False})
    task = f.TaskFactory(account=account, team=team, sku__project__program__team=team, estimated_credits=4,
                         **kwargs)
    sent = (timezone.now() - timedelta(seconds=5)).isoformat()
    Task.objects.filter(pk=task.pk).update(attempt_key="a" * 32, attempt_started_at=timezone.now(),
                                           vendor_state={"sent": {"at": sent, "request": "POST ledger"}})
    runs.advance(task.pk)
    task.refresh_from_db()
    assert task.outcome_unknown
    return task


def member(team, role):
    return f.MembershipFactory(team=team, role=role).user


def test_a_manager_sees_both_actions_on_the_card_and_the_review_board(client):
    task = held_task(f.TeamFactory())
    client.force_login(member(task.team, Role.MANAGER))

    card = client.get(f"/tasks/{task.pk}/card/").content.decode()
    assert "Outcome unknown" in card and "It was not charged — submit again" in card and "Mark failed" in card
    assert "may charge again" in card
    board = client.get(f"/projects/{task.sku.project_id}/review/").content.decode()
    assert 'id="unknown-outcomes"' in board and f'data-settle="{task.pk}"' in board


def test_a_creative_sees_the_message_but_may_not_settle(client):
    task = held_task(f.TeamFactory())
    client.force_login(member(task.team, Role.CREATIVE))
    card = client.get(f"/tasks/{task.pk}/card/").content.decode()
    assert "Outcome unknown" in card and "submit again</button>" not in card
    response = client.post(f"/tasks/{task.pk}/settle/", {"decision": "resubmitted", "confirm": "yes"})
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.step == "hold"


def test_submitting_again_needs_the_confirmation(client):
    task = held_task(f.TeamFactory())
    client.force_login(member(task.team, Role.MANAGER))
    response = client.post(f"/tasks/{task.pk}/settle/", {"decision": "resubmitted"}, HTTP_HX_REQUEST="true")
    assert "Nothing was submitted" in response.content.decode()
    task.refresh_from_db()
    assert task.step == "hold" and CreditEntry.objects.filter(task=task, kind=CreditKind.POSSIBLE).exists()


def test_a_manager_submits_again_and_the_history_says_who(client, django_capture_on_commit_callbacks):
    task = held_task(f.TeamFactory())
    manager = member(task.team, Role.MANAGER)
    client.force_login(manager)
    with django_capture_on_commit_callbacks():
        response = client.post(f"/tasks/{task.pk}/settle/", {"decision": "resubmitted", "confirm": "yes"},
                               HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "submitted again" in response.content.decode()
    task.refresh_from_db()
    assert task.step == "submit" and not task.needs_attention and task.attempt_key != "a" * 32
    assert ReviewEvent.objects.get(task=task).actor == manager
    assert not CreditEntry.objects.filter(task=task, kind=CreditKind.POSSIBLE).exists()
    from studio.models import AuditEvent

    event = AuditEvent.objects.get(team=task.team, action="task_resubmitted")
    assert event.actor == manager and str(task.pk) in event.target


def test_a_manager_marks_it_failed(client):
    task = held_task(f.TeamFactory())
    client.force_login(member(task.team, Role.MANAGER))
    client.post(f"/tasks/{task.pk}/settle/", {"decision": Decision.MARKED_FAILED})
    task.refresh_from_db()
    assert task.status == TaskStatus.GENERATION_FAILED and task.step == "done"
    assert ReviewEvent.objects.get(task=task).decision == Decision.MARKED_FAILED
    from studio.models import AuditEvent

    assert AuditEvent.objects.filter(team=task.team, action="task_marked_failed").count() == 1


def test_the_batch_counts_it_as_needing_attention_not_running(client):
    team = f.TeamFactory()
    batch = f.BatchFactory(project__program__team=team)
    task = held_task(team, batch=batch, sku__project=batch.project)
    client.force_login(member(team, Role.MANAGER))
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert "1 needs attention" in page and f'data-settle="{task.pk}"' in page
    panel = client.get(f"/batches/{batch.pk}/", HTTP_HX_REQUEST="true")
    assert panel.status_code == 286  # nothing runs: the panel stops polling


def test_the_ledger_shows_the_estimate_as_possibly_charged(client):
    task = held_task(f.TeamFactory())
    client.force_login(member(task.team, Role.ADMIN))
    page = client.get(f"/accounts/{task.account_id}/").content.decode()
    assert "Possibly charged" in page
