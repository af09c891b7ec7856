"""Where the product announces what happened (generations/announce.py, studio/events.py): each event type of the
issue reaches a subscribed endpoint once the work commits."""
import io
import zipfile

import pytest

from api.models import OutgoingEvent, WebhookEndpoint, new_webhook_secret
from catalog import zip_ingest
from generations import lifecycle
from generations.models import AccountState, TaskStatus
from studio.events import EVENT_TYPES
from tests import factories as f

S = TaskStatus


@pytest.fixture
def subscribed(team):
    endpoint = WebhookEndpoint(team=team, url="https://hooks.example.com/all", events=list(EVENT_TYPES))
    endpoint.set_secret(new_webhook_secret())
    endpoint.save()
    return endpoint


def announced(event_type):
    return list(OutgoingEvent.objects.filter(event_type=event_type).values_list("data", flat=True))


def test_an_account_paused_for_credits_is_announced(subscribed, team, django_capture_on_commit_callbacks):
    account = f.VendorAccountFactory(team=team)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.set_account_state(account, AccountState.PAUSED, "402: out of credits")
    assert announced("account.paused") == [{"account": account.pk, "vendor": account.vendor, "name": account.name}]


def test_a_finished_import_is_announced(subscribed, project, django_capture_on_commit_callbacks):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("SKU-Z/front.png", f.image_bytes())
    buf.seek(0)
    buf.name = "z.zip"
    job = zip_ingest.start_import(project, buf)
    with django_capture_on_commit_callbacks(execute=True):
        zip_ingest.run_import(job.pk)
    [data] = announced("import.finished")
    assert (data["import"], data["status"], data["skus_created"]) == (job.pk, "done", 1)


def test_a_launch_refused_by_the_budget_is_announced(subscribed, api, project, account,
                                                     django_capture_on_commit_callbacks):
    project.budget_credits = 0
    project.save()
    sku = f.SKUFactory(project=project)
    f.GarmentImageFactory(sku=sku)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/generations/", {"project": project.pk, "skus": [sku.pk], "account": account.pk,
                                                     "operation": "try_on"}, format="json")
    assert response.status_code == 422
    assert [d["project"] for d in announced("budget.reached")] == [project.pk]


def test_review_and_client_approvals_and_ready_outputs_are_announced(subscribed, team, api,
                                                                     django_capture_on_commit_callbacks):
    task = f.TaskFactory(sku=f.SKUFactory(project__program__team=team), team=team, status=S.GENERATION_COMPLETED)
    output = f.TaskOutputFactory(task=task)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.transition_task(task, S.REVIEW_SUBMITTED)
    assert [d["output"] for d in announced("output.ready_for_review")] == [output.pk]
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/v1/outputs/{output.pk}/review/", {"decision": "approved"}, format="json")
        api.post(f"/api/v1/outputs/{output.pk}/client-review/", {"decision": "approved"}, format="json")
    assert [d["output"] for d in announced("output.approved")] == [output.pk]
    assert [d["output"] for d in announced("output.client_approved")] == [output.pk]


def test_a_task_held_for_a_person_is_announced(subscribed, team, django_capture_on_commit_callbacks):
    from generations.engine import runs

    task = f.TaskFactory(sku=f.SKUFactory(project__program__team=team), team=team,
                         account=f.VendorAccountFactory(team=team), status=S.TASK_SUBMITTED, step="poll")
    run = runs.StepRun(task, None)
    with django_capture_on_commit_callbacks(execute=True):
        run.hold("The vendor's output links expired before they could be copied.")
    [data] = announced("task.needs_attention")
    assert data["task"] == task.pk and "expired" in data["message"]


def test_a_held_output_a_manager_releases_is_announced_ready_for_review(subscribed, team,
                                                                         django_capture_on_commit_callbacks):
    from generations.vendors.artemotion import vision
    from studio.models import Role

    task = f.TaskFactory(sku=f.SKUFactory(project__program__team=team), team=team, status=S.GENERATION_COMPLETED)
    shown, held = f.TaskOutputFactory(task=task), f.TaskOutputFactory(task=task, flagged=True)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.transition_task(task, S.REVIEW_SUBMITTED)
    assert [d["output"] for d in announced("output.ready_for_review")] == [shown.pk]  # the held one waits

    manager = f.MembershipFactory(team=team, role=Role.MANAGER)
    with django_capture_on_commit_callbacks(execute=True):
        vision.release(held, manager, "checked by eye")
    assert sorted(d["output"] for d in announced("output.ready_for_review")) == sorted([shown.pk, held.pk])

    with django_capture_on_commit_callbacks(execute=True):
        vision.discard(f.TaskOutputFactory(task=task, flagged=True), manager, "not for the catalog")
    assert len(announced("output.ready_for_review")) == 2  # a discarded output is never announced
