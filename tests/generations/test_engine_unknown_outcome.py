"""A paid call whose answer was lost after the request went out (DESIGN.md §4 "Unknown outcomes"): the engine looks
the job up where the vendor keeps a listing, and otherwise holds the task for a person, who settles it. Nothing is
ever paid twice by the engine itself, and the ledger shows what we know."""
from decimal import Decimal

import pytest

from generations.engine import runs
from generations.engine.housekeeping import NotHeld, adopt_lost_submission, resolve_unknown
from generations.models import CreditEntry, CreditKind, Decision, ReviewEvent, ReviewStage, Task, TaskStatus
from generations.vendors.base import AuthError, OutcomeUnknown, Submission
from tests.factories import UserFactory

from .test_engine_support import queued, scripted, scripted_task, seconds_until_next_run, step  # noqa: F401

pytestmark = pytest.mark.django_db


def lost_task(scripted, vendor="scripted_norec", **kwargs):
    task = scripted_task(vendor=vendor, estimated_credits=Decimal("6"), **kwargs)
    scripted.submit_results = [OutcomeUnknown("the vendor did not answer in time (ReadTimeout)")]
    step(task)
    return task


def test_a_lost_answer_on_a_vendor_without_a_listing_is_held_as_outcome_unknown(scripted):
    task = lost_task(scripted)

    assert len(scripted.submits) == 1
    assert task.step == "hold" and task.needs_attention and task.outcome_unknown
    assert "Outcome unknown" in task.error_message and "ReadTimeout" in task.error_message
    assert "POST /scripted/jobs" in task.error_message
    held = task.vendor_state["outcome_unknown"]
    assert held["sent_at"] and held["request"] == "POST /scripted/jobs"
    possible = CreditEntry.objects.get(task=task)
    assert possible.kind == CreditKind.POSSIBLE and possible.credits == Decimal("6")
    assert possible.get_kind_display() == "Possibly charged"
    assert runs.advance(task.pk) is None and len(scripted.submits) == 1  # nothing runs it again by itself


def test_a_lost_answer_on_a_vendor_with_a_listing_is_looked_up_over_the_settle_window(scripted, settings):
    settings.STUDIO_SETTLE_SECONDS = 60
    task = lost_task(scripted, vendor="scripted")

    assert task.step == "submit" and task.attempt_started_at and not task.needs_attention
    assert 10 <= seconds_until_next_run(task) <= 16  # a listing can lag: the first look comes after a spacing
    assert task.vendor_state["lost"]["error"].startswith("the vendor did not answer")

    scripted.found = None
    step(task)  # not listed yet: look again later, never pay again inside the window
    assert scripted.find_calls == 1 and len(scripted.submits) == 1 and task.step == "submit"

    scripted.found = Submission("job-listed-late")
    step(task)
    assert len(scripted.submits) == 1 and task.vendor_task_id == "job-listed-late" and task.step == "poll"


def test_the_settle_window_is_per_vendor_account(scripted, settings):
    settings.STUDIO_SETTLE_SECONDS = None
    task = scripted_task(vendor="scripted")
    task.account.settings = {"settle_seconds": 8}
    task.account.save()
    scripted.submit_results = [OutcomeUnknown("dropped")]
    step(task)
    assert 1.0 <= seconds_until_next_run(task) <= 2.5


def test_an_outcome_unknown_before_the_paid_request_left_is_a_plain_retry(scripted):
    task = scripted_task(vendor="scripted_norec")

    def groundwork_fails(task):
        raise OutcomeUnknown("clothing item POST timed out")

    scripted.submit_results = []
    original = type(runs.registry.adapter_for(task.account)).submit

    def submit(self, task):  # an unpaid POST inside submit() lost its answer before the paid one was sent
        groundwork_fails(task)
        return original(self, task)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(runs.registry.adapter_for(task.account)), "submit", submit)
        step(task)
    assert task.step == "submit" and not task.needs_attention and task.attempt_started_at is None
    assert scripted.submits == []


def test_a_manager_who_finds_no_charge_submits_again_and_it_may_charge(scripted, queued):
    task = lost_task(scripted)
    manager = UserFactory()
    old_key = task.attempt_key

    resolve_unknown(task, manager, Decision.RESUBMITTED)

    task.refresh_from_db()
    assert task.step == "submit" and not task.needs_attention and task.attempt_key != old_key
    assert not CreditEntry.objects.filter(task=task, kind=CreditKind.POSSIBLE).exists()
    event = ReviewEvent.objects.get(task=task)
    assert (event.stage, event.decision, event.actor) == (ReviewStage.ATTENTION, Decision.RESUBMITTED, manager)

    step(task)
    assert len(scripted.submits) == 2 and scripted.submits[1] == task.attempt_key and task.vendor_task_id
    with pytest.raises(NotHeld):  # a second click, or a second manager, changes nothing
        resolve_unknown(task, manager, Decision.RESUBMITTED)
    assert len(scripted.submits) == 2


def test_a_manager_can_mark_a_held_task_failed_and_the_possible_charge_stays(scripted):
    task = lost_task(scripted)

    resolve_unknown(task, UserFactory(), Decision.MARKED_FAILED)

    task.refresh_from_db()
    assert task.status == TaskStatus.GENERATION_FAILED and task.step == "done" and not task.needs_attention
    assert "may have been charged" in task.error_message
    assert CreditEntry.objects.filter(task=task, kind=CreditKind.POSSIBLE).count() == 1
    assert ReviewEvent.objects.get(task=task).decision == Decision.MARKED_FAILED
    with pytest.raises(NotHeld):
        resolve_unknown(task, UserFactory(), Decision.RESUBMITTED)
    assert len(scripted.submits) == 1


def test_a_webhook_for_the_lost_job_settles_the_held_task_by_itself(scripted, queued,
                                                                   django_capture_on_commit_callbacks):
    task = lost_task(scripted)

    with django_capture_on_commit_callbacks(execute=True):
        adopted = adopt_lost_submission(task.account, task.attempt_key, "job-from-webhook")

    assert adopted.pk == task.pk
    task.refresh_from_db()
    assert task.vendor_task_id == "job-from-webhook" and task.step == "poll" and not task.needs_attention
    assert task.status == TaskStatus.TASK_SUBMITTED
    charge = CreditEntry.objects.get(task=task, kind=CreditKind.CHARGE)
    assert charge.credits == Decimal("6") and not CreditEntry.objects.filter(kind=CreditKind.POSSIBLE).exists()
    assert adopt_lost_submission(task.account, task.attempt_key, "job-from-webhook") is None  # once
    assert task.pk in [pk for pk, _ in queued]


def test_a_webhook_for_another_accounts_attempt_settles_nothing(scripted):
    task = lost_task(scripted)
    other = scripted_task(vendor="scripted_norec")
    assert adopt_lost_submission(other.account, task.attempt_key, "job-x") is None
    task.refresh_from_db()
    assert task.step == "hold" and task.vendor_task_id == ""


def test_the_accounts_own_key_never_reaches_a_stored_message_whatever_its_shape(scripted):
    task = scripted_task(vendor="scripted_norec")
    task.account.set_api_key("ZQ9xv7Lm3kPp2Rt8")
    task.account.save()
    scripted.submit_results = [AuthError("The key ZQ9xv7Lm3kPp2Rt8 is not valid; key begins zq9xv7lm3kpp",
                                         status_code=401)]
    step(task)
    task.account.refresh_from_db()
    assert task.account.state == "disabled"
    assert "ZQ9xv7Lm3kPp2Rt8".lower() not in task.account.state_message.lower()
    assert "zq9xv7lm3kpp" not in task.account.state_message.lower()
    assert "not valid" in task.account.state_message
    assert "ZQ9xv7" not in (task.error_message or "")
