"""Contract tests for generations through the API: estimate and launch (the form's checks), idempotency, batch
controls, tasks, outputs with signed downloads, review and client decisions, the ledger, exports."""
from decimal import Decimal

import pytest
from django.core import signing
from rest_framework.test import APIClient

from api.models import IdempotentRequest
from generations.models import Batch, BatchState, CreditEntry, Task, TaskOutput, TaskStatus
from studio.models import Role
from tests import factories as f

S = TaskStatus


@pytest.fixture
def skus(project):
    made = [f.SKUFactory(project=project, code=f"TEE-{n}") for n in range(3)]
    for sku in made:
        f.GarmentImageFactory(sku=sku)
    return made


def launch_body(skus, account, **extra):
    return {"project": skus[0].project_id, "skus": [s.pk for s in skus], "account": account.pk,
            "operation": "try_on", "num_outputs": 2, "prompt": "studio light", **extra}


def test_the_estimate_is_what_the_launch_then_records(api, skus, account):
    estimate = api.post("/api/v1/generations/estimate/", launch_body(skus, account), format="json")
    assert estimate.status_code == 200
    launched = api.post("/api/v1/generations/", launch_body(skus, account), format="json")
    assert launched.status_code == 201
    batch = Batch.objects.get(pk=launched.json()["id"])
    assert batch.tasks.count() == 3 == len(launched.json()["tasks"])
    recorded = sum(CreditEntry.objects.filter(task__batch=batch, kind="estimate").values_list("credits", flat=True))
    assert Decimal(str(estimate.json()["estimated_credits"])) == recorded


def test_the_launch_refuses_what_the_form_refuses_naming_the_field(api, skus, account):
    too_many = api.post("/api/v1/generations/", launch_body(skus, account, num_outputs=9), format="json")
    assert too_many.status_code == 400 and "num_outputs" in too_many.json()["error"]["fields"]
    bare = f.SKUFactory(project=skus[0].project, code="BARE")
    no_image = api.post("/api/v1/generations/", launch_body([bare], account), format="json")
    assert no_image.status_code == 400
    assert "Upload a garment image first: BARE." in no_image.json()["error"]["fields"]["skus"]
    unsupported = api.post("/api/v1/generations/", launch_body(skus, account, operation="video"), format="json")
    assert unsupported.status_code == 400 and "operation" in unsupported.json()["error"]["fields"]
    assert not Task.objects.exists()


def test_a_launch_over_the_project_budget_is_refused_with_nothing_started(api, skus, account):
    skus[0].project.budget_credits = Decimal("1")
    skus[0].project.save()
    response = api.post("/api/v1/generations/", launch_body(skus, account), format="json")
    assert response.status_code == 422 and "budget" in response.json()["error"]["message"]
    assert not Task.objects.exists()


def test_the_same_idempotency_key_and_body_return_the_first_answer_and_pay_once(api, skus, account):
    first = api.post("/api/v1/generations/", launch_body(skus, account), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = api.post("/api/v1/generations/", launch_body(skus, account), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry["Idempotent-Replayed"] == "true"
    assert Batch.objects.count() == 1 and Task.objects.count() == 3
    assert CreditEntry.objects.filter(kind="estimate").count() == 3


def test_the_same_idempotency_key_with_another_body_is_422(api, skus, account):
    api.post("/api/v1/generations/", launch_body(skus, account), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = api.post("/api/v1/generations/", launch_body(skus[:1], account), format="json",
                     HTTP_IDEMPOTENCY_KEY="k-2")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_conflict"
    assert Task.objects.count() == 3


def test_a_lost_answer_record_still_lands_on_the_same_batch(api, skus, account):
    """The key's record is gone (say the first answer was a 5xx after the commit): the launch's form token,
    derived from the key, still finds the batch, so nothing is paid twice."""
    first = api.post("/api/v1/generations/", launch_body(skus, account), format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    IdempotentRequest.objects.all().delete()
    again = api.post("/api/v1/generations/", launch_body(skus, account), format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert again.json()["id"] == first.json()["id"] and Task.objects.count() == 3


@pytest.mark.parametrize("role, allowed", [(Role.CREATIVE, True), (Role.CLIENT, False)])
def test_launching_follows_the_key_role(api_for, skus, account, role, allowed):
    response = api_for(role).post("/api/v1/generations/", launch_body(skus, account), format="json")
    assert response.status_code == (201 if allowed else 403)


def test_a_batch_pauses_resumes_and_cancels_through_the_product_functions(api, skus, account):
    batch_id = api.post("/api/v1/generations/", launch_body(skus, account), format="json").json()["id"]
    paused = api.post(f"/api/v1/batches/{batch_id}/pause/")
    assert paused.status_code == 200 and paused.json()["state"] == BatchState.PAUSED
    assert api.post(f"/api/v1/batches/{batch_id}/resume/").json()["state"] == BatchState.RUNNING
    cancelled = api.post(f"/api/v1/batches/{batch_id}/cancel/").json()
    assert cancelled["state"] == BatchState.CANCELLED and cancelled["stopped"] == 3
    assert cancelled["progress"]["cancelled"] == 3
    assert set(Task.objects.values_list("status", flat=True)) == {S.GENERATION_FAILED}


def test_retry_failed_runs_only_the_failed_tasks_again(api, skus, account, team):
    batch = f.BatchFactory(project=skus[0].project)
    failed = f.TaskFactory(sku=skus[0], team=team, account=account, batch=batch, status=S.GENERATION_FAILED)
    f.TaskFactory(sku=skus[1], team=team, account=account, batch=batch, status=S.GENERATION_COMPLETED)
    response = api.post(f"/api/v1/batches/{batch.pk}/retry-failed/")
    assert response.status_code == 200 and response.json()["retried"] == 1
    failed.refresh_from_db()
    assert (failed.status, failed.round) == (S.TASK_SUBMITTED, 2)


@pytest.fixture
def finished(team, account, skus):
    task = f.TaskFactory(sku=skus[0], team=team, account=account, status=S.REVIEW_SUBMITTED)
    return f.TaskOutputFactory(task=task)


def test_an_output_downloads_through_a_short_lived_signed_url(api, finished, settings):
    body = api.get(f"/api/v1/outputs/{finished.pk}/").json()
    assert body["download_expires_in"] == settings.STUDIO_API_LINK_SECONDS
    anonymous = APIClient()
    response = anonymous.get(body["download_url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == finished.file.open("rb").read()
    settings.STUDIO_API_LINK_SECONDS = -1  # every link is now past its time
    assert anonymous.get(body["download_url"]).status_code == 404
    forged = body["download_url"].replace("/downloads/", "/downloads/x")
    assert anonymous.get(forged).status_code == 404


def test_a_manager_approves_and_a_client_then_approves_for_the_client(api_for, finished):
    creative = api_for(Role.CREATIVE).post(f"/api/v1/outputs/{finished.pk}/review/", {"decision": "approved"},
                                           format="json")
    assert creative.status_code == 403
    client = api_for(Role.CLIENT)
    assert client.get(f"/api/v1/outputs/{finished.pk}/").status_code == 404  # not approved yet: unseen
    approved = api_for(Role.MANAGER).post(f"/api/v1/outputs/{finished.pk}/review/", {"decision": "approved"},
                                          format="json")
    assert approved.status_code == 200 and approved.json()["review_status"] == S.REVIEW_APPROVED
    decided = client.post(f"/api/v1/outputs/{finished.pk}/client-review/", {"decision": "approved"}, format="json")
    assert decided.status_code == 200 and decided.json()["review_status"] == S.CLIENT_APPROVED


def test_a_rejection_without_a_comment_is_refused_with_the_reason(api_for, finished):
    response = api_for(Role.MANAGER).post(f"/api/v1/outputs/{finished.pk}/review/", {"decision": "rejected"},
                                          format="json")
    assert response.status_code == 422 and "needs a comment" in response.json()["error"]["message"]
    finished.refresh_from_db()
    assert finished.review_status == S.REVIEW_SUBMITTED


def test_a_client_key_lists_only_approved_outputs(api_for, finished, team, account, skus):
    approved = f.TaskOutputFactory(task=f.TaskFactory(sku=skus[1], team=team, account=account,
                                                      status=S.REVIEW_APPROVED), review_status=S.REVIEW_APPROVED)
    ids = [o["id"] for o in api_for(Role.CLIENT).get("/api/v1/outputs/").json()["results"]]
    assert ids == [approved.pk]


def test_the_credit_ledger_and_the_project_budget(api, skus, account):
    skus[0].project.budget_credits = Decimal("1000")
    skus[0].project.save()
    api.post("/api/v1/generations/", launch_body(skus, account), format="json")
    ledger = api.get("/api/v1/credits/").json()["results"]
    assert [e["kind"] for e in ledger] == ["estimate"] * 3
    budget = api.get(f"/api/v1/projects/{skus[0].project_id}/budget/").json()
    spent = sum(Decimal(e["credits"]) for e in ledger)
    assert Decimal(budget["committed_credits"]) == spent
    assert Decimal(budget["left_credits"]) == Decimal("1000") - spent


def test_an_export_job_makes_the_zip_and_offers_a_signed_link(api, finished, _no_broker,
                                                              django_capture_on_commit_callbacks):
    from generations import export_jobs
    from generations.models import ExportJob

    TaskOutput.objects.filter(pk=finished.pk).update(review_status=S.REVIEW_APPROVED)
    project = finished.task.sku.project_id
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post("/api/v1/exports/", {"project": project}, format="json")
    assert started.status_code == 202 and started.json()["download_url"] is None
    assert started.json()["status"] == "queued" and started.json()["total"] == 1
    assert ("export", started.json()["id"]) in _no_broker  # handed to the media worker once committed

    # The pages' job and worker task: the export page shows the same job the API started.
    export_jobs.run(started.json()["id"])
    done = api.get(f"/api/v1/exports/{started.json()['id']}/").json()
    assert done["status"] == "done" and done["files"] == 1 and done["size_bytes"] > 0
    import io
    import zipfile

    response = APIClient().get(done["download_url"])
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert "manifest.csv" in names and len(names) == 2
    assert ExportJob.objects.get().team == finished.task.team


def test_signed_links_carry_the_team_so_a_token_for_another_team_serves_nothing(api, finished, db):
    other = f.TeamFactory()
    token = signing.dumps({"k": "output", "id": finished.pk, "t": other.pk}, salt="api.download", compress=True)
    assert APIClient().get(f"/api/v1/downloads/{token}/").status_code == 404


def test_a_refused_launch_keeps_nothing_so_the_corrected_request_may_reuse_its_key(api, skus, account):
    wrong = api.post("/api/v1/generations/", launch_body(skus, account, num_outputs=9), format="json",
                     HTTP_IDEMPOTENCY_KEY="k-4")
    assert wrong.status_code == 400
    fixed = api.post("/api/v1/generations/", launch_body(skus, account), format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    assert fixed.status_code == 201 and Task.objects.count() == 3


def test_a_client_key_sees_no_vendor_details_on_its_tasks(api_for, team, account, skus):
    task = f.TaskFactory(sku=skus[0], team=team, account=account, status=S.REVIEW_APPROVED,
                         error_message="vendor said: key sk-123 is slow")
    f.TaskOutputFactory(task=task, review_status=S.REVIEW_APPROVED)
    body = api_for(Role.CLIENT).get(f"/api/v1/tasks/{task.pk}/").json()
    assert body["status"] == S.REVIEW_APPROVED
    assert "error_message" not in body and "account" not in body and "options" not in body
    assert api_for(Role.CLIENT).get(f"/api/v1/projects/{skus[0].project_id}/budget/").status_code == 403
