"""Every error code of the Huhu documents (000 "Error Codes", 001 §6) through the engine: 401 disables the account,
403 (another team's resource) fails the task naming it, 402 pauses the account and keeps the queue, 422 fails the
task with Huhu's message, 429 waits (Retry-After, else 5 s per 001 §10), 500 is retried with the same attempt, and
nothing is ever paid twice."""
from datetime import timedelta

import pytest
from django.utils import timezone

from generations.engine import runs
from generations.models import AccountState, TaskStatus, VendorAccount
from tests.vendors.huhu.test_support import (account, fake, generate_calls, huhu_account,  # noqa: F401
                                                         queued, run_until_settled, step, try_on_task)

pytestmark = pytest.mark.django_db


def seconds_until(task) -> float:
    return (task.next_run_at - timezone.now()).total_seconds()


def test_a_revoked_key_disables_the_account_and_pays_nothing(fake, account, queued):
    fake.revoke(fake.api_key)
    task = try_on_task(account)
    step(task)
    account.refresh_from_db()
    assert account.state == AccountState.DISABLED and "revoked" in account.state_message
    assert task.step == "submit" and task.status == TaskStatus.TASK_CREATED and generate_calls(fake) == 0


def test_an_unknown_key_disables_the_account(fake, queued):
    account = huhu_account(fake, key="sk-" + "0" * 48)
    step(try_on_task(account))
    account.refresh_from_db()
    assert account.state == AccountState.DISABLED and "Invalid API key" in account.state_message


def test_another_teams_program_fails_the_task_naming_it_and_leaves_the_account_active(fake, queued):
    """000: "Requests to resources outside your team return 403. Revoked or invalid keys return 401." A 403 is
    about the resource, not the key: only that task fails, and it says which program."""
    other_program = fake.team(fake.add_team()).default_program
    account = huhu_account(fake, settings={"program_id": other_program})
    task = try_on_task(account)
    step(task)
    account.refresh_from_db()
    assert account.state == AccountState.ACTIVE and account.state_message == ""
    assert task.status == TaskStatus.GENERATION_FAILED and task.step == "done"
    assert f"program {other_program} is outside this key's team" in task.error_message
    assert generate_calls(fake) == 0


def test_a_403_stops_a_sync_with_the_resource_named_and_the_account_stays_active(fake, queued):
    from generations.vendors.huhu import jobs as huhu_jobs

    other_program = fake.team(fake.add_team()).default_program
    account = huhu_account(fake, settings={"program_id": other_program})
    huhu_jobs.sync_credits.run(account.pk)
    account.refresh_from_db()
    last = account.settings["last_sync"]["credits"]
    assert account.state == AccountState.ACTIVE and not last["ok"]
    assert f"program {other_program} is outside this key's team" in last["message"]


def test_running_out_of_credits_pauses_the_account_keeps_the_task_and_resumes_when_credits_return(fake, account,
                                                                                              queued):
    fake.set_credits(0)
    # The studio's last look at the balance (under a minute ago) still showed credits: Huhu's 402 is the news.
    VendorAccount.objects.filter(pk=account.pk).update(balance_checked_at=timezone.now(), credit_balance=50)
    task = try_on_task(account)
    step(task)
    account.refresh_from_db()
    assert account.state == AccountState.PAUSED and task.step == "submit" and not task.needs_attention
    assert sum(fake.paid.values()) == 0
    fake.set_credits(10)
    assert runs.resume_paused_accounts() == 1
    task = run_until_settled(task)
    assert task.status == TaskStatus.REVIEW_SUBMITTED and sum(fake.paid.values()) == 1


def test_a_validation_error_fails_the_task_with_huhus_message(fake, account, queued):
    fake.inject(status=422, payload={"detail": "Task task-1 has no model_image; set it with PUT /task first"},
                path=r"/task/generate$")
    task = try_on_task(account)
    step(task)
    assert task.status == TaskStatus.GENERATION_FAILED and "has no model_image" in task.error_message
    assert task.step == "done"


def test_a_429_waits_at_least_its_retry_after(fake, account, queued):
    fake.inject(status=429, payload={"detail": "Concurrent requests limit exceeded"}, headers={"Retry-After": "17"},
                path=r"/task/generate$")
    task = try_on_task(account)
    step(task)
    assert task.step == "submit" and 16 <= seconds_until(task) <= 18 and not task.attempt_started_at
    assert sum(fake.paid.values()) == 0
    task = run_until_settled(task)
    assert task.status == TaskStatus.REVIEW_SUBMITTED and sum(fake.paid.values()) == 1


def test_a_429_without_retry_after_waits_the_documented_five_seconds(fake, account, queued):
    fake.inject(status=429, payload={"detail": "Concurrent requests limit exceeded"}, path=r"/task/generate$")
    task = try_on_task(account)
    step(task)
    assert 4 <= seconds_until(task) <= 6


def test_huhus_own_concurrency_limit_answers_429_and_the_task_waits(settings, queued):
    from tests.vendors.huhu.test_support import start_fake

    server = start_fake(settings, latency=90, concurrent_requests=1)
    try:
        account = huhu_account(server)
        # Huhu lowered the limit after our last balance check (which would have taught us concurrent_requests=1).
        VendorAccount.objects.filter(pk=account.pk).update(balance_checked_at=timezone.now())
        first, second = try_on_task(account), try_on_task(account)
        step(first)
        step(second)
        assert second.step == "submit" and server.rejected_429 == 1 and generate_calls(server) == 2
        assert sum(server.paid.values()) == 1
    finally:
        server.stop()


def test_the_balance_check_before_generating_learns_huhus_concurrency_limit(settings, queued):
    """000: call GET /metering/plan before generation requests. Once per STUDIO_BALANCE_RECHECK_SECONDS per
    account (not per task); its concurrent_requests becomes the account's limit, so no 429 is ever met."""
    from tests.vendors.huhu.test_support import count, start_fake

    server = start_fake(settings, latency=90, concurrent_requests=1)
    try:
        account = huhu_account(server)
        first, second = try_on_task(account), try_on_task(account)
        step(first)
        step(second)
        account.refresh_from_db()
        assert account.concurrency_limit == 1 and account.credit_balance is not None
        assert second.step == "submit" and second.vendor_state.get("waiting") == "slot"
        assert server.rejected_429 == 0 and generate_calls(server) == 1
        assert count(server, "GET", r"/metering/plan$") == 1
    finally:
        server.stop()


def test_a_500_is_retried_with_the_same_attempt_and_paid_once(fake, account, queued):
    fake.inject(status=500, payload={"detail": "Internal server error"}, path=r"/task/generate$")
    task = try_on_task(account)
    step(task)
    key = task.attempt_key
    # A 500 is Huhu's own answer: the job was not taken, the attempt is over and is simply tried again.
    assert task.step == "submit" and task.attempt_started_at is None and task.error_message
    task = run_until_settled(task)
    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.attempt_key == key
    assert generate_calls(fake) == 2 and sum(fake.paid.values()) == 1


def test_a_404_while_polling_holds_the_task_and_never_resubmits(settings, queued):
    from tests.vendors.huhu.test_support import start_fake

    server = start_fake(settings, latency=90)
    try:
        task = try_on_task(huhu_account(server))
        step(task)
        assert task.step == "poll"
        server.inject(status=404, payload={"detail": "Task not found"}, path=r"/task$")
        step(task)
        assert task.step == "hold" and task.needs_attention and "404" in task.error_message
        assert generate_calls(server) == 1 and sum(server.paid.values()) == 1
    finally:
        server.stop()


def test_the_account_is_not_touched_when_another_teams_key_fails(fake, queued):
    ok = huhu_account(fake)
    bad = huhu_account(fake, key="sk-" + "1" * 48)
    step(try_on_task(bad))
    run_until_settled(try_on_task(ok))
    ok.refresh_from_db()
    bad.refresh_from_db()
    assert (ok.state, bad.state) == (AccountState.ACTIVE, AccountState.DISABLED)


def test_a_task_waiting_for_credits_is_not_paid_for_while_it_waits(fake, account, queued):
    fake.set_credits(0)
    task = try_on_task(account)
    step(task)
    task.next_run_at = timezone.now() - timedelta(seconds=1)
    task.save()
    step(task)
    # The balance read before generating shows 0: Huhu is not even asked (no 402, no paused account).
    assert generate_calls(fake) == 0 and task.step == "submit" and "not enough credits" in task.error_message


def test_concurrency_counts_huhu_generation_jobs_so_front_and_back_try_ons_draw_no_429(settings, queued):
    """001 §5.1: concurrent_requests is the "max parallel generation jobs"; a try-on with a front and a back view
    makes two Huhu tasks, two jobs. With a limit of 2, one such try-on fills it: the others wait their turn here
    instead of meeting Huhu's 429 (and paying PUT /task again on every retry)."""
    from tests.vendors.huhu.test_support import count, start_fake

    server = start_fake(settings, latency=90, concurrent_requests=2)
    try:
        account = huhu_account(server)
        tasks = [try_on_task(account, back=True) for _ in range(4)]
        for task in tasks:
            step(task)
        assert server.rejected_429 == 0 and server.peak_in_flight == 2
        assert [t.step for t in tasks] == ["poll", "submit", "submit", "submit"]
        assert all(t.vendor_state.get("waiting") == "slot" for t in tasks[1:])
        assert generate_calls(server) == 1 and count(server, "PUT", r"/task$") == 2
        server.advance(90)
        step(tasks[0])  # done: its two jobs' slots go to the next try-on
        step(tasks[1])
        tasks[1].refresh_from_db()
        assert tasks[1].step == "poll" and server.rejected_429 == 0 and sum(server.paid.values()) == 4
    finally:
        server.stop()


def test_a_try_on_costing_more_than_the_credits_left_waits_saying_so_and_the_account_stays_active(fake, account,
                                                                                                 queued):
    """001 §10 "GET /metering/plan → check credits > estimated_cost". A front+back try-on costs 2 × 2 credits; with
    3 left it waits on the dashboard instead of drawing a 402 that pauses the account (and, resumed because the
    balance is above 0, draws the next 402)."""
    fake.set_credits(3)
    task = try_on_task(account, back=True)
    step(task)
    account.refresh_from_db()
    assert account.state == AccountState.ACTIVE and task.step == "submit" and not task.needs_attention
    assert task.error_message == "not enough credits: 4 needed, 3 left"
    assert generate_calls(fake) == 0 and task.attempt_started_at is None
    assert 55 <= seconds_until(task) <= 61  # it looks again, with a fresh balance
    fake.set_credits(10)
    VendorAccount.objects.filter(pk=account.pk).update(balance_checked_at=None)
    task = run_until_settled(task)
    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.error_message == "" and sum(fake.paid.values()) == 2
