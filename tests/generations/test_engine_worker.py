"""The engine with REAL Celery worker processes: end to end on the sandbox, and SIGKILL at the worst moments.

Each test gets its own broker (Redis when CELERY_BROKER_URL says so, else a private filesystem folder) and its own
sandbox ledger directory, which is the sandbox vendor's record of every paid call — it survives the kill.
"""
import pytest

from generations.engine import runs
from generations.launch import launch_generation, new_form_token
from generations.models import Task, TaskOutput, TaskStatus
from generations.vendors.sandbox import adapter as sandbox
from tests.conftest import wait_for
from tests.factories import GarmentImageFactory, ModelImageFactory, SKUFactory, VendorAccountFactory

pytestmark = pytest.mark.services


@pytest.fixture
def studio(worker, settings, tmp_path):
    """A sandbox account with 1 s latency, and workers that share our sandbox ledger directory."""
    ledger_dir = str(tmp_path / "sandbox-ledger")
    settings.STUDIO_SANDBOX_DIR = ledger_dir
    worker.env_extra.update(STUDIO_SANDBOX_DIR=ledger_dir, STUDIO_SANDBOX_SECONDS="1")
    account = VendorAccountFactory(vendor="sandbox", settings={"latency_seconds": 1})
    return worker, account


def launch(account, count):
    skus = [SKUFactory(project__program__team=account.team) for _ in range(1)]
    skus += [SKUFactory(project=skus[0].project) for _ in range(count - 1)]
    for sku in skus:
        GarmentImageFactory(sku=sku)
    batch = launch_generation(user=None, team=account.team, skus=skus, account=account, operation="try_on",
                              model_image=ModelImageFactory(fashion_model__program=skus[0].project.program),
                              form_token=new_form_token())
    return list(batch.tasks.order_by("pk"))


def all_in_review(tasks, *, sweep=False):
    def check():
        if sweep:
            runs.sweep()  # what beat does every STUDIO_SWEEP_SECONDS
        statuses = Task.objects.filter(pk__in=[t.pk for t in tasks]).values_list("status", flat=True)
        return all(s == TaskStatus.REVIEW_SUBMITTED for s in statuses)

    return check


def submissions_per_task(account) -> dict[int, int]:
    counts: dict[int, int] = {}
    for record in sandbox.ledger(account):
        counts[record["task_id"]] = counts.get(record["task_id"], 0) + 1
    return counts


def test_three_sandbox_tasks_reach_review_with_outputs_and_thumbnails(studio):
    worker, account = studio
    worker.start(concurrency=2)

    tasks = launch(account, 3)

    wait_for(all_in_review(tasks), timeout=240, message="three sandbox tasks to reach review")
    outputs = TaskOutput.objects.filter(task__in=tasks)
    assert outputs.count() == 3
    wait_for(lambda: all(o.thumbnail for o in TaskOutput.objects.filter(task__in=tasks)), timeout=120,
             message="thumbnails from the media queue")
    for output in outputs:
        with output.file.open("rb") as fh:
            assert b"SANDBOX" in fh.read()
    assert submissions_per_task(account) == {t.pk: 1 for t in tasks}


@pytest.mark.chaos
@pytest.mark.parametrize("moment", ["STUDIO_TEST_PAUSE_BEFORE_SUBMIT", "STUDIO_TEST_PAUSE_AFTER_SUBMIT"])
def test_a_worker_killed_around_the_paid_submit_still_pays_exactly_once_per_task(studio, tmp_path, moment):
    """Before: the attempt is recorded, the call not made → the vendor has no record → submitted once.
    After: the vendor took the job, its id was never saved → found in the vendor's list, not paid again."""
    worker, account = studio
    release = tmp_path / "release"
    worker.env_extra.update({moment: str(release), "STUDIO_LEASE_SECONDS": "4", "CELERY_VISIBILITY_TIMEOUT": "10"})
    doomed = worker.start(concurrency=1)

    tasks = launch(account, 2)
    wait_for(lambda: any(tmp_path.glob("release.reached.*")), timeout=120, message="a worker at the pause point")
    worker.kill(doomed)  # SIGKILL, the whole process group
    release.touch()
    worker.start(concurrency=1)

    wait_for(all_in_review(tasks, sweep=True), timeout=240, message="both tasks to finish after the kill")
    assert submissions_per_task(account) == {t.pk: 1 for t in tasks}
    assert TaskOutput.objects.filter(task__in=tasks).count() == 2
    assert not Task.objects.filter(pk__in=[t.pk for t in tasks], needs_attention=True).exists()


@pytest.mark.chaos
def test_a_worker_killed_after_a_paid_submit_to_a_vendor_without_a_list_stops_for_a_person(studio, tmp_path):
    """The vendor took the job, its id was never saved, and it offers no listing to ask: the task stops in "needs
    attention" instead of paying a second time; the other task is unaffected."""
    worker, account = studio
    account.settings["reconcile"] = False
    account.save()
    release = tmp_path / "release"
    worker.env_extra.update({"STUDIO_TEST_PAUSE_AFTER_SUBMIT": str(release), "STUDIO_LEASE_SECONDS": "4"})
    doomed = worker.start(concurrency=1)

    tasks = launch(account, 2)
    wait_for(lambda: any(tmp_path.glob("release.reached.*")), timeout=120, message="a worker at the pause point")
    killed_id = int(next(tmp_path.glob("release.reached.*")).name.rsplit(".", 1)[1])
    worker.kill(doomed)
    release.touch()
    worker.start(concurrency=1)

    def settled():
        runs.sweep()
        rows = {t.pk: t for t in Task.objects.filter(pk__in=[t.pk for t in tasks])}
        return rows[killed_id].needs_attention and all(
            t.status == TaskStatus.REVIEW_SUBMITTED for pk, t in rows.items() if pk != killed_id)

    wait_for(settled, timeout=240, message="the killed task on hold and the other one finished")
    assert submissions_per_task(account) == {t.pk: 1 for t in tasks}
    assert "paid twice" in Task.objects.get(pk=killed_id).error_message


@pytest.mark.chaos
def test_a_task_that_kills_its_worker_every_time_is_failed_after_bounded_attempts_and_others_flow_on(studio):
    worker, account = studio
    tasks = launch(account, 3)
    poison = tasks[1]
    worker.env_extra.update(STUDIO_TEST_CRASH_TASK=str(poison.pk), STUDIO_LEASE_SECONDS="3", STUDIO_MAX_ATTEMPTS="3")
    worker.start(concurrency=1)

    def settled():
        runs.sweep()
        statuses = dict(Task.objects.filter(pk__in=[t.pk for t in tasks]).values_list("pk", "status"))
        return statuses[poison.pk] == TaskStatus.GENERATION_FAILED and all(
            status == TaskStatus.REVIEW_SUBMITTED for pk, status in statuses.items() if pk != poison.pk)

    wait_for(settled, timeout=300, interval=1, message="the poison task failed and the others finished")
    assert "attempts" in Task.objects.get(pk=poison.pk).error_message
    assert submissions_per_task(account) == {t.pk: 1 for t in tasks if t.pk != poison.pk}
