"""The program the studio uses goes on every Huhu call that takes program_id (issue 13, point 1).

001 §3: a key has an *optional* default program, "Missing program_id (no default set) → 400"; every endpoint that
takes program_id "uses key default if omitted" (§5.10 GET /sku, §5.16 GET /model/image, §5.21 GET /task, §5.2 credit
history …). The studio links or creates its own program, which is not the key's default, so a call without it is
resolved in the wrong program (the fake answers 404 "Project not found in program") or refused (400)."""
import json

import pytest

from generations.vendors.huhu import sync as huhu_sync
from generations.models import CreditEntry, CreditKind, TaskStatus, VendorReference
from tests.factories import ProgramFactory, SKUFactory
from tests.vendors.huhu.test_support import (huhu_account, huhu_task_ids, other_task, queued,  # noqa
                                                         run_until_settled, start_fake, try_on_task)

pytestmark = pytest.mark.django_db

# Endpoints whose documented parameters have no program_id (000 "Programs", "GET /pose/library"; 001 §5.3, §5.4,
# §5.17). GET /metering/plan takes one only "for shared programs" (001 §5.1).
NO_PROGRAM_ID = {("GET", "/program"), ("POST", "/program"), ("GET", "/pose/library"), ("GET", "/metering/plan")}


@pytest.fixture
def no_default(settings):
    server = start_fake(settings, latency=0, default_program=False)
    yield server
    server.stop()


def calls_without_program_id(fake) -> list[str]:
    missing = []
    for r in fake.requests:
        path = r.path.split("/v1", 1)[-1]
        if (r.method, path) in NO_PROGRAM_ID or not r.path.startswith("/public/v1"):
            continue
        body = json.loads(r.body) if r.body else {}
        if not (r.arg("program_id") or (isinstance(body, dict) and body.get("program_id"))):
            missing.append(f"{r.method} {path}")
    return missing


def test_a_front_and_back_try_on_and_a_single_view_one_finish_with_a_key_that_has_no_default_program(
        no_default, queued):
    # Stepped faster than real time: the shared GET /task answer (spaced 5 s apart) is switched off here; the pace
    # has its own tests (test_huhu_pace.py).
    account = huhu_account(no_default, settings={"poll_min_gap_seconds": 0})
    both = try_on_task(account, back=True)
    single = try_on_task(account, sku=SKUFactory(project=both.sku.project))
    for task in (both, single):
        run_until_settled(task)
    for task in (both, single):
        task.refresh_from_db()
        assert (task.status, task.needs_attention) == (TaskStatus.REVIEW_SUBMITTED, False), task.error_message
        assert all(no_default.paid[huhu_id] == 1 for huhu_id in huhu_task_ids(task))
    assert both.outputs.count() == 2 and single.outputs.count() == 1
    assert len(no_default.paid) == 3 and calls_without_program_id(no_default) == []


def test_a_try_on_in_the_studios_own_program_sends_it_on_every_call(settings, queued):
    fake = start_fake(settings, latency=0)
    try:
        account = huhu_account(fake)
        task = run_until_settled(try_on_task(account, back=True, num_outputs=2))
        assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.count() == 4
        (ref,) = VendorReference.objects.filter(kind="huhu_program")
        assert ref.vendor_id != fake.team().default_program  # the studio's own program, not the key's default
        assert calls_without_program_id(fake) == [] and sorted(fake.paid.values()) == [1, 1]
    finally:
        fake.stop()


@pytest.mark.parametrize("operation", ["upscale", "face"])
def test_requests_polled_by_request_id_finish_with_a_key_that_has_no_default_program(no_default, queued, operation):
    account = huhu_account(no_default)
    task = run_until_settled(other_task(account, operation, prompt="Headshot front facing portrait"))
    assert task.status == TaskStatus.REVIEW_SUBMITTED, task.error_message
    assert calls_without_program_id(no_default) == []


def test_face_generation_from_the_gallery_polls_in_the_program_it_was_made_in(no_default):
    program = ProgramFactory()
    account = huhu_account(no_default, team=program.team)
    request_id = huhu_sync.generate_faces(account, program, "Headshot front facing portrait", num_images=2)
    assert len(huhu_sync.poll_images(account, program, request_id)) == 2
    assert calls_without_program_id(no_default) == []


def test_the_credit_history_sync_reads_the_studios_programs_not_the_keys_default(settings, queued):
    fake = start_fake(settings, latency=0)
    try:
        account = huhu_account(fake)
        run_until_settled(try_on_task(account))
        team = fake.team()
        fake._charge(team, team.default_program, 2, "StudioModelSaas", "someone-elses-ui-charge")
        assert huhu_sync.sync_credit_history(account) == 1  # the studio's one charge, in the studio's program
        (entry,) = CreditEntry.objects.filter(kind=CreditKind.SYNC)
        assert entry.external_id != "someone-elses-ui-charge" and entry.credits == 2
    finally:
        fake.stop()
