"""The account side of Huhu: base URLs, the Bearer key, the capability table, balances, and the unpaid groundwork
(program and project linked or created once, images uploaded once, SKUs brought into being from a zip)."""
import json
from decimal import Decimal

import pytest

from generations.models import VendorReference
from generations.vendors.huhu import adapter as huhu
from generations.vendors.base import ConfigurationError, Unavailable
from generations.vendors.huhu.adapter import HuhuAdapter
from tests.factories import ProgramFactory, VendorAccountFactory
from tests.fakes.base import count
from tests.vendors.huhu.test_support import (account, adapter, fake, huhu_account, queued,  # noqa
                                                         start_fake, try_on_task)

pytestmark = pytest.mark.django_db


def test_production_and_gamma_urls_are_offered_and_production_is_the_default():
    assert huhu.PRODUCTION_URL == "https://api.huhu.ai/public/v1"
    assert huhu.GAMMA_URL == "https://api-gamma.huhu.ai/public/v1"
    assert [url for _, url in HuhuAdapter.base_url_presets] == [huhu.PRODUCTION_URL, huhu.GAMMA_URL]
    account = VendorAccountFactory(vendor="huhu", base_url="")
    assert HuhuAdapter(account).base_url == huhu.PRODUCTION_URL
    from generations.accounts import base_url_presets

    assert base_url_presets("huhu") == [("Production", huhu.PRODUCTION_URL), ("Gamma / Dev", huhu.GAMMA_URL)]


def test_every_call_carries_the_key_as_a_bearer_token(fake, account, adapter):
    adapter.check_balance()
    assert fake.requests[-1].header("authorization") == f"Bearer {fake.api_key}"


def test_an_account_without_a_key_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="no API key"):
        HuhuAdapter(VendorAccountFactory(vendor="huhu")).check_balance()


def test_the_balance_reports_credits_and_concurrent_requests(fake, adapter):
    fake.set_credits(37)
    balance = adapter.check_balance()
    assert balance.credits == Decimal(37) and balance.concurrency == 10 and balance.raw["plan_status"] == "free"


def test_the_capability_table_lists_what_huhu_documents():
    caps = HuhuAdapter.capabilities.operations
    assert set(caps) == {"try_on", "upscale", "video", "face", "model_image", "pose"}
    assert (caps["try_on"].outputs_max, caps["face"].outputs_max, caps["model_image"].outputs_max) == (4, 4, 8)
    assert caps["upscale"].outputs_max == 4 and caps["video"].output_kind == "video"
    assert [c for c, _ in caps["video"].options[0].choices] == ["5", "10"]
    assert [c for c, _ in caps["face"].options[0].choices] == ["variety", "fidelity"]


def test_an_existing_huhu_program_with_the_same_name_is_linked_not_created(fake, account, adapter):
    program = ProgramFactory(team=account.team, name="Spring 2026")
    fake._new_program(fake.team_id, "Spring 2026")
    program_id = adapter.program_id(program)
    assert count(fake, "POST", r"/program$") == 0 and fake.programs[program_id]["program_name"] == "Spring 2026"


def test_a_new_program_is_created_once_with_its_name_in_body_and_query(fake, account, adapter):
    program = ProgramFactory(team=account.team, name="Summer")
    first, second = adapter.program_id(program), adapter.program_id(program)
    assert first == second and count(fake, "POST", r"/program$") == 1
    request = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/program")][0]
    assert json.loads(request.body) == {"program_name": "Summer"} and request.arg("program_name") == "Summer"


def test_a_pinned_program_is_used_as_is(fake):
    account = huhu_account(fake, settings={"program_id": fake.team().default_program})
    adapter = HuhuAdapter(account)
    assert adapter.program_id(ProgramFactory(team=account.team)) == fake.team().default_program
    assert fake.requests == []


def test_prepare_links_project_uploads_images_and_creates_the_sku_from_a_zip(fake, account, adapter):
    task = try_on_task(account)
    adapter.prepare(task)
    kinds = set(VendorReference.objects.values_list("kind", flat=True))
    assert {"huhu_program", "huhu_project", "huhu_model_image", "huhu_sku", "huhu_task"} <= kinds
    (sku,) = fake.skus.values()
    assert sku["sku_name"] == task.sku.code and sku["garment_images"][0]["view"] == "front"
    adapter.prepare(task)  # idempotent: nothing new on Huhu's side
    assert len(fake.skus) == 1 and len(fake.tasks) == 1 and count(fake, "POST", r"/project$") == 1


def test_a_sku_still_being_processed_makes_prepare_retry_later_without_a_second_zip(settings):
    server = start_fake(settings, sku_processing_delay=60)
    try:
        account = huhu_account(server, settings={"sku_wait_seconds": 0, "sku_poll_seconds": 0})
        adapter = HuhuAdapter(account)
        task = try_on_task(account)
        with pytest.raises(Unavailable, match="still processing"):
            adapter.prepare(task)
        server.advance(60)
        adapter.prepare(task)
        zips = [r for r in server.requests if r.path.endswith("/project/upload") and b"sku_zip" in r.body]
        assert len(zips) == 1 and len(server.skus) == 1
    finally:
        server.stop()


def test_a_sku_already_on_huhu_is_adopted_by_name_after_a_crash(fake, account, adapter):
    task = try_on_task(account)
    adapter.prepare(task)
    # The crash came after Huhu had the zip and the tasks, before their ids were kept: the claim on the upload and
    # the mark before POST /task were committed first, so they are still there and tell prepare to look.
    VendorReference.objects.filter(kind__in=["huhu_sku", "huhu_task"]).delete()
    adapter.prepare(task)
    zips = [r for r in fake.requests if r.path.endswith("/project/upload") and b"sku_zip" in r.body]
    assert len(zips) == 1 and len(fake.skus) == 1
    assert len(fake.tasks) == 1  # the unclaimed "Task created" task was adopted, not created again


@pytest.fixture
def waits(fake, monkeypatch):
    """The adapter's waits, recorded and passed on the fake's clock (so its pace rule sees them)."""
    from generations.vendors.huhu import catalog as huhu_catalog

    seen = []

    def pause(seconds):
        seen.append(seconds)
        fake.advance(seconds)

    monkeypatch.setattr(huhu_catalog, "pause", pause)
    return seen


def backoffs(waits) -> list[float]:  # the client's own pace waits (never under 5 s between repeats) left out
    return [w for w in waits if w in (5.0, 10.0, 20.0)]


def test_a_5xx_completing_the_zip_upload_is_retried_after_5_and_10_seconds(fake, account, adapter, waits):
    """001 §10: "429/500: Exponential backoff starting at 5s, max 3 retries"."""
    fake.inject(status=500, payload={"detail": "Internal server error"}, path=r"/complete_multipart_upload$", times=2)
    task = try_on_task(account)
    adapter.prepare(task)
    assert count(fake, "POST", r"/complete_multipart_upload$") == 3 and backoffs(waits) == [5.0, 10.0]
    assert len(fake.skus) == 1 and fake.pace_violations == []


def test_a_zip_upload_huhu_never_completes_fails_the_try_on_with_a_clear_message(fake, account, waits, queued):
    from generations.models import TaskStatus
    from tests.vendors.huhu.test_support import step

    fake.inject(status=503, payload={"detail": "Service unavailable"}, path=r"/complete_multipart_upload$", times=4)
    task = try_on_task(account)
    step(task)
    assert count(fake, "POST", r"/complete_multipart_upload$") == 4 and backoffs(waits) == [5.0, 10.0, 20.0]
    assert task.status == TaskStatus.GENERATION_FAILED and "could not finish the garment upload" in task.error_message
    assert not VendorReference.objects.filter(kind="huhu_sku_zip").exists()  # nobody waits on a dead claim
    assert sum(fake.paid.values()) == 0 and fake.pace_violations == []
