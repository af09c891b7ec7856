"""The 4-hour window (seed 002: "Generated assets are available for 4 hours. Download and persist any URLs you
need."): outputs are copied into our storage by the engine's collect step, a late worker still gets them while the
window is open, an expired link is replaced by a fresh one from GET /generation/{id}, and a job whose assets are
gone is held for a person — never paid for again."""
import pytest

from generations.models import Task, TaskStatus
from generations.vendors.uwear.adapter import UwearAdapter

from tests.vendors.uwear.test_support import account, fake, step, try_on_task  # noqa: F401

pytestmark = pytest.mark.django_db
HOUR = 3600


def submitted(account, fake, **kwargs) -> Task:
    task = try_on_task(account, **kwargs)
    step(task)
    assert task.step == "poll" and fake.paid_generations == 1
    return task


def test_outputs_are_in_our_storage_as_soon_as_the_job_is_done(account, fake):
    task = submitted(account, fake, num_outputs=2)
    fake.finish_all()
    step(task)
    assert task.status == TaskStatus.REVIEW_SUBMITTED
    for output in task.outputs.all():
        with output.file.open("rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    assert all(o.vendor_result_id for o in task.outputs.all())


def test_a_worker_busy_for_almost_four_hours_still_collects_every_output(account, fake):
    task = submitted(account, fake, num_outputs=3)
    fake.finish_all()
    fake.advance(3 * HOUR + 55 * 60)
    step(task)
    assert task.outputs.count() == 3 and task.status == TaskStatus.REVIEW_SUBMITTED
    assert fake.paid_generations == 1


def test_an_expired_link_is_replaced_by_a_fresh_one_from_the_generation_route(account, fake):
    fake.url_ttl = 600  # links shorter-lived than the assets, like presigned S3 URLs
    task = submitted(account, fake)
    fake.finish_all()
    # The poll saw Done and recorded the links; the worker died before collect.
    result = UwearAdapter(account).poll(task)
    Task.objects.filter(pk=task.pk).update(step="collect", vendor_state={**task.vendor_state, "outputs": [
        {"result_id": o.result_id, "url": o.url, "kind": o.kind, "inline": False, "raw": o.raw}
        for o in result.outputs]})
    fake.advance(HOUR)
    step(task)
    assert task.vendor_state["refreshed_urls"] is True  # the recorded link failed; the fresh one worked
    assert task.outputs.count() == 1 and task.status == TaskStatus.REVIEW_SUBMITTED
    assert fake.paid_generations == 1


def test_a_job_whose_assets_expired_is_held_and_never_run_again(account, fake):
    task = submitted(account, fake)
    fake.finish_all()
    fake.advance(4 * HOUR + 60)
    step(task)
    assert task.needs_attention
    assert "assets live 4 hours" in task.error_message and "HTTP 404" not in task.error_message  # Uwear's reason
    assert "Nothing was resubmitted" in task.error_message
    assert task.outputs.count() == 0
    assert fake.paid_generations == 1
    step(task)  # the sweeper or a redelivery touching it again changes nothing
    assert fake.paid_generations == 1


def test_expired_results_report_unavailable_on_the_result_routes(account, fake):
    task = submitted(account, fake)
    fake.finish_all()
    fake.advance(4 * HOUR + 1)
    adapter = UwearAdapter(account)
    listing = adapter.client.get("/generation-results", params={"generation_ids": [task.vendor_task_id]})
    assert [r["available"] for r in listing["data"]] == [False]
