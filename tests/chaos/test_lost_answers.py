"""The most ordinary fault there is: a paid call whose answer never arrives (RELIABILITY.md "paid call sent, answer
lost"). For each vendor, 50 seeded runs, 30 % of paid calls losing their answer in one of the ways it happens:
- "lost": the vendor does the job and charges, and the answer never comes (the client's read timeout fires);
- "late": the client gives up first, and the vendor creates the job a moment later (a listing shows it later still);
- "truncate": the vendor does it and the connection closes mid-body;
- "drop": the connection closes before the vendor did anything.
The fakes count every payment. Every task must end completed and paid exactly once, or held as "outcome unknown"
with nothing paid twice. Vendors with a listing (Huhu, Uwear) must never hold: they find the job, or find that it
never happened, within the settle window. The real engine runs here step by step against real HTTP fakes."""
import random
import time
import uuid

import pytest

from generations.models import Task, TaskStatus
from tests.generations.test_engine_support import step

RUNS, LOSS_RATE = 50, 0.3
KINDS = ("lost", "late", "truncate", "drop")
READ_TIMEOUT, VENDOR_DELAY = 0.4, 0.7  # the client gives up at 0.4 s; a lost answer "arrives" at 0.7 s


@pytest.fixture(autouse=True)
def fast_failures(settings):
    settings.STUDIO_HTTP_READ_TIMEOUT = READ_TIMEOUT
    settings.STUDIO_SETTLE_SECONDS = 2.5  # > VENDOR_DELAY + the Uwear listing lag below
    settings.STUDIO_MAX_ATTEMPTS = 20


def drive(task: Task, fake, timeout: float = 30.0) -> Task:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        step(task)
        if task.step in ("done", "hold"):
            return task
        fake.advance(10)  # the vendor's own run time passes between engine steps
        if task.step == "submit" and task.attempt_started_at:
            time.sleep(0.25)  # a settle window runs on the wall clock: look again a little later
    raise AssertionError(f"task {task.pk} still in {task.step} after {timeout}s: {task.error_message} "
                         f"{task.attempt_started_at} {task.vendor_state} lease={task.lease_until} "
                         f"next={task.next_run_at} attempts={task.attempts} account={task.account.state}")


def run_seeds(fake, make_task, payments, paid_route, *, listing: bool):
    outcomes = {"completed": 0, "held": 0, "faults": 0}
    for seed in range(RUNS):
        rng = random.Random(seed)
        task = make_task()
        fault = rng.choice(KINDS) if rng.random() < LOSS_RATE else None
        if fault:
            outcomes["faults"] += 1
            fake.inject(fault, path=paid_route, seconds=VENDOR_DELAY)
        before = payments()
        drive(task, fake)
        if fault:
            time.sleep(VENDOR_DELAY + 0.3)  # a "late" job lands after the client gave up: count it with its run
        paid = payments() - before
        fake.faults.clear()
        if task.status == TaskStatus.REVIEW_SUBMITTED:
            assert paid == 1, f"seed {seed} ({fault}): completed but paid {paid} times"
            outcomes["completed"] += 1
        else:
            assert not listing, f"seed {seed} ({fault}): a vendor with a listing held the task: {task.error_message}"
            assert task.step == "hold" and task.outcome_unknown, f"seed {seed} ({fault}): {task.error_message}"
            assert paid <= 1, f"seed {seed} ({fault}): held but paid {paid} times"
            outcomes["held"] += 1
    assert outcomes["faults"] >= 10  # the seeds do inject faults (30 % of 50)
    return outcomes


@pytest.mark.chaos
@pytest.mark.django_db
def test_uwear_lost_answers_are_found_in_the_listing_and_never_paid_twice(settings):
    from tests.vendors.uwear.fake import FakeUwear
    from tests.vendors.uwear.test_support import KEY, PUBLIC_URL, try_on_task, uwear_account

    with FakeUwear({KEY: 100_000}, queued_seconds=0.0, running_seconds=1.0) as fake:
        fake.listing_lag = 0.5  # a generation created late also shows late in GET /generations
        fake.webhooks = "drop"
        settings.STUDIO_FETCH_ALLOW_HOSTS = ["127.0.0.1"]
        settings.STUDIO_PUBLIC_URL = PUBLIC_URL
        account = uwear_account(fake)
        outcomes = run_seeds(fake, lambda: try_on_task(account), lambda: fake.paid_generations, r"/generation$",
                             listing=True)
    assert outcomes["completed"] == RUNS


@pytest.mark.chaos
@pytest.mark.django_db
def test_huhu_lost_answers_are_found_in_the_task_list_and_never_paid_twice(settings):
    from tests.vendors.huhu.test_support import huhu_account, start_fake, try_on_task

    fake = start_fake(settings, latency=0, credits=100_000)
    try:
        settings.STUDIO_FETCH_ALLOW_HOSTS = ["127.0.0.1"]
        account = huhu_account(fake)
        outcomes = run_seeds(fake, lambda: try_on_task(account), lambda: sum(fake.paid.values()),
                             r"/task/generate$", listing=True)
    finally:
        fake.stop()
    assert outcomes["completed"] == RUNS


@pytest.mark.chaos
@pytest.mark.django_db
def test_artemotion_lost_answers_are_held_for_a_person_and_never_paid_twice(settings):
    from tests.vendors.artemotion.fake import FakeArtEmotion
    from tests.vendors.artemotion.test_support import artemotion_account, tryon_task

    with FakeArtEmotion({}, run_seconds=1.0) as fake:
        settings.STUDIO_FETCH_ALLOW_HOSTS = ["127.0.0.1"]

        def make_task():  # ArtEmotion allows 10 try-ons a minute per key: a key (and account) per run
            key = f"ae_live_{uuid.uuid4().hex[:12]}"
            fake.keys[key] = 1000
            return tryon_task(artemotion_account(fake, key=key))

        outcomes = run_seeds(fake, make_task, lambda: len(fake.submissions), r"/tryon$", listing=False)
    assert outcomes["held"] >= 1 and outcomes["completed"] + outcomes["held"] == RUNS


@pytest.mark.chaos
@pytest.mark.django_db
def test_hautech_lost_answers_are_held_for_a_person_and_never_paid_twice(settings):
    from tests.vendors.hautech.fake import HautechFake
    from tests.vendors.hautech.test_support import API_KEY, hautech_account, hautech_task

    with HautechFake(tokens=(API_KEY,)) as fake:
        fake.run_seconds = {name: 0.0 for name in fake.run_seconds}
        settings.STUDIO_FETCH_ALLOW_HOSTS = ["127.0.0.1"]
        account = hautech_account(fake)
        outcomes = run_seeds(fake, lambda: hautech_task(account, options={"seed": 7}),
                             lambda: sum(fake.runs.values()), r"/v1/workflows/run/", listing=False)
    assert outcomes["held"] >= 1 and outcomes["completed"] + outcomes["held"] == RUNS
