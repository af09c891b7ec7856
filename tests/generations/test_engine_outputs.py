"""Outputs are copied into our storage; an expired vendor URL is refreshed by asking again, never by paying again."""
import pytest

from generations.models import TaskStatus
from generations.vendors.base import PollResult, RemoteOutput

from .test_engine_support import scripted, scripted_task, step  # noqa: F401
from .test_http_guard import fake  # noqa: F401

pytestmark = pytest.mark.django_db


def at(url, result_id="r1"):
    return PollResult(state="completed", outputs=[RemoteOutput(result_id=result_id, url=url)])


def test_an_expired_output_url_is_refreshed_by_polling_again(scripted, fake):
    task = scripted_task()
    step(task)
    scripted.poll_results = [at(f"{fake}/expired"), at(f"{fake}/png")]

    step(task)

    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.count() == 1
    assert len(scripted.submits) == 1


def test_an_output_url_that_stays_expired_is_flagged_not_rerun(scripted, fake):
    task = scripted_task()
    step(task)
    scripted.poll_results = [at(f"{fake}/expired"), at(f"{fake}/expired")]

    step(task)

    assert task.needs_attention and task.step == "hold" and "expired" in task.error_message
    assert len(scripted.submits) == 1 and not task.outputs.exists()


def test_outputs_given_as_urls_survive_a_crash_between_poll_and_collect(scripted, fake):
    task = scripted_task()
    step(task)
    task.__class__.objects.filter(pk=task.pk).update(step="collect", vendor_state={
        "outputs": [{"result_id": "r1", "url": f"{fake}/png", "kind": "image", "inline": False}]})

    step(task)

    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.get().vendor_result_id == "r1"
