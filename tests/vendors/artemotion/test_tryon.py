"""ArtEmotion try-on through the engine against the fake: submit, poll, collect, credits, accessories, images."""
import base64
import io
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from generations.models import AccountState, CreditEntry, CreditKind, TaskStatus
from generations.vendors.artemotion import adapter as artemotion
from generations.vendors.artemotion.adapter import ArtEmotionAdapter, garment_type_for, parse_job, sync_models
from tests.factories import SKUFactory

from tests.vendors.artemotion.test_support import (KEY, PUBLIC_URL, account, fake, override_route, queued, step,  # noqa: F401
                                      submitted_body, tryon_task)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued")]
FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def decoded(data_url: str) -> bytes:
    header, _, payload = data_url.partition(",")
    assert header.endswith(";base64")
    return base64.b64decode(payload)


def test_a_try_on_sends_both_images_as_data_urls_with_the_garment_type_and_model(fake, account):
    task = tryon_task(account)

    assert step(task) == "submit"

    body = submitted_body(fake)
    assert body["person_image_url"].startswith("data:image/png;base64,")
    assert body["garment_image_url"].startswith("data:image/png;base64,")
    with task.model_image.image.open("rb") as fh:
        assert decoded(body["person_image_url"]) == fh.read()
    assert body["garment_type"] == "top"
    assert body["model_id"] == "image-apps-v2/virtual-try-on"
    assert task.status == TaskStatus.TASK_SUBMITTED and task.step == "poll"
    assert task.vendor_task_id in fake.jobs


def test_every_submission_registers_our_https_webhook_and_the_accounts_secret(fake, account):
    task = tryon_task(account)
    step(task)

    body = submitted_body(fake)
    account.refresh_from_db()
    task.refresh_from_db()
    # The attempt key rides along, so a delivery names its task even when the try-on's answer was lost.
    assert body["webhook_url"] == (f"{PUBLIC_URL}/webhooks/artemotion/{account.webhook_token}/"
                                   f"?attempt={task.attempt_key}")
    assert body["webhook_secret"] == account.reveal_webhook_secret()
    assert body["webhook_secret"].startswith("whsec_")


def test_a_studio_without_a_public_https_address_registers_no_webhook(fake, account, settings):
    settings.STUDIO_PUBLIC_URL = "http://127.0.0.1:8000"
    step(tryon_task(account))

    assert "webhook_url" not in submitted_body(fake) and "webhook_secret" not in submitted_body(fake)


def test_the_credits_used_are_charged_to_the_ledger(fake, account):
    task = tryon_task(account)
    step(task)

    charge = CreditEntry.objects.get(task=task, kind=CreditKind.CHARGE)
    assert charge.credits == Decimal(15) and charge.external_id == task.vendor_task_id
    task.refresh_from_db()
    assert task.charged_credits == Decimal(15)
    assert fake.keys[KEY] == 1000 - 15


def test_the_flux_model_costs_twenty_credits_and_is_estimated_so(fake, account):
    adapter = ArtEmotionAdapter(account)
    assert adapter.estimate("try_on", {"model_id": artemotion.FLUX}, 1) == Decimal(20)
    task = tryon_task(account, options={"model_id": artemotion.FLUX})

    step(task)

    assert submitted_body(fake)["model_id"] == artemotion.FLUX
    assert CreditEntry.objects.get(task=task, kind=CreditKind.CHARGE).credits == Decimal(20)


def test_credits_left_in_an_answer_becomes_the_account_balance(fake, account):
    # Documented for vision submits; a try-on answer that carries it is used the same way.
    def with_balance(req, response):
        if response.status == 202:
            response.json_body["credits_left"] = fake.keys[KEY]
        return response

    override_route(fake, "tryon", with_balance)
    step(tryon_task(account))

    account.refresh_from_db()
    assert account.credit_balance == Decimal(985) and account.balance_checked_at


def test_the_model_option_explains_which_model_suits_which_garment():
    spec = ArtEmotionAdapter.capabilities.spec("try_on")
    option = next(o for o in spec.options if o.name == "model_id")
    assert {value for value, _ in option.choices} == {"image-apps-v2/virtual-try-on",
                                                       "flux-2-lora-gallery/virtual-tryon"}
    assert "glasses, hats and sneakers" in option.help and "tops and bottoms" in option.help
    with pytest.raises(Exception, match="Model must be one of"):
        ArtEmotionAdapter.capabilities.clean("try_on", {"model_id": "bad-model"}, 1)


def test_a_job_walks_queued_processing_completed_and_its_image_is_stored(fake, account):
    fake.queue_seconds = 5
    task = tryon_task(account)
    step(task)

    step(task)
    assert task.vendor_state["poll"]["status"] == "queued"
    assert task.vendor_state["poll"]["queue_position"] == 1
    fake.advance(6)
    step(task)
    assert task.vendor_state["poll"]["status"] == "processing"
    assert task.status == TaskStatus.GENERATION_IN_PROCESS
    fake.advance(11)
    step(task)

    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.step == "done"
    output = task.outputs.get()
    assert output.vendor_result_id == f"{task.vendor_task_id}:0"
    with output.file.open("rb") as fh:
        assert fh.read()[:8] == b"\x89PNG\r\n\x1a\n"
    assert task.vendor_state["poll"]["elapsed_ms"] == 15000


def test_a_failed_job_fails_the_task_with_the_vendors_logs(fake, account):
    fake.next_outcome = "failed"
    task = tryon_task(account)
    step(task)
    fake.finish(task.vendor_task_id)

    step(task)

    assert task.status == TaskStatus.GENERATION_FAILED
    assert "no person detected" in task.error_message


def test_results_are_stored_within_their_24_hours_and_an_expired_one_is_never_paid_again(fake, account):
    task = tryon_task(account)
    step(task)
    fake.finish(task.vendor_task_id)
    fake.advance(25 * 3600)  # the worker was away for a day: the result URL has expired

    step(task)

    # The engine asked ArtEmotion once more for the result (same URL, still expired), then stopped the task.
    assert task.step in ("done", "hold") and "expired" in task.error_message
    assert fake.submissions_for(KEY) == 1 and task.outputs.count() == 0


def test_the_poll_url_from_the_answer_is_used_as_given(fake, account):
    task = tryon_task(account)
    step(task)
    step(task)

    polls = [r for r in fake.requests if r.method == "GET" and "/jobs/" in r.path]
    assert polls[-1].path == f"/api/v1/jobs/{task.vendor_task_id}"
    assert polls[-1].arg("model_id") == "image-apps-v2/virtual-try-on"
    assert polls[-1].header("authorization") == f"Bearer {KEY}"


def test_a_poll_url_on_another_host_never_receives_our_key(account):
    target = artemotion.poll_target(account.base_url, "job 1", {
        "poll_url": "https://evil.example/jobs/1?model_id=x", "model_id": artemotion.FLUX})
    assert target == f"{account.base_url}/jobs/job%201?model_id=flux-2-lora-gallery%2Fvirtual-tryon"


def test_the_documented_job_answers_parse_into_poll_results():
    assert parse_job(fixture("job_queued.json"), "a1").state == "pending"
    assert parse_job(fixture("job_queued_no_position.json"), "a1").raw["queue_position"] is None
    assert parse_job(fixture("job_processing.json"), "a1").state == "running"
    done = parse_job(fixture("job_completed.json"), "a1")
    assert done.state == "completed" and done.outputs[0].url.endswith("a1b2c3d4e5f6.png")
    assert done.raw["elapsed_ms"] == 18400
    failed = parse_job(fixture("job_failed.json"), "a1")
    assert failed.state == "failed" and failed.error == "Try-on failed: no person detected; backend exited 1"


@pytest.mark.parametrize("garment_type, sub_type, category, expected", [
    ("Top", "", "t-shirt", "top"),
    ("Bottom", "", "jeans", "bottom"),
    ("Full body", "", "minidress", "clothing"),
    ("Shoes", "", "boots", "sneakers"),
    ("Accessory", "glasses", "", "glasses"),
    ("Accessory", "sunglasses", "", "glasses"),
    ("Accessory", "", "eyewear", "glasses"),
    ("Accessory", "hat", "", "hat"),
    ("Accessory", "cap", "", "hat"),
    ("Accessory", "", "beanie", "hat"),
    ("Accessory", "bag", "handbag", "clothing"),
])
def test_our_garment_types_map_to_artemotions(garment_type, sub_type, category, expected):
    sku = SKUFactory.build(garment_type=garment_type, accessory_sub_type=sub_type, category=category)
    assert garment_type_for(sku) == expected


@pytest.mark.parametrize("garment_type, sub_type, category, expected", [
    ("Accessory", "glasses", "sunglasses", "glasses"),
    ("Accessory", "hat", "cap", "hat"),
    ("Shoes", "", "sneakers", "sneakers"),
])
def test_accessories_go_through_try_on_end_to_end(fake, account, garment_type, sub_type, category, expected):
    task = tryon_task(account, garment_type=garment_type, accessory_sub_type=sub_type, category=category)
    step(task)
    fake.finish(task.vendor_task_id)
    step(task)

    assert submitted_body(fake)["garment_type"] == expected
    assert task.status == TaskStatus.REVIEW_SUBMITTED and task.outputs.count() == 1


def noise_png(width: int, height: int) -> bytes:
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=0)
    return out.getvalue()


def test_an_image_over_10_mb_is_downscaled_before_sending_and_the_user_is_told(fake, account):
    big = noise_png(1900, 1900)
    assert len(big) > 10 * 1024 * 1024
    task = tryon_task(account, garment=ContentFile(big, name="big.png"))

    step(task)

    sent = submitted_body(fake)["garment_image_url"]
    assert len(sent) <= 10 * 1024 * 1024
    with Image.open(io.BytesIO(decoded(sent))) as img:
        assert img.format == "JPEG" and img.width < 1900
    assert task.status == TaskStatus.TASK_SUBMITTED
    assert len(task.vendor_state["notes"]) == 1
    assert "garment image" in task.vendor_state["notes"][0] and "downscaled" in task.vendor_state["notes"][0]


@pytest.fixture
def dns(monkeypatch):
    """Host names as a resolver would answer them (nothing leaves the machine): a public CDN, a private storage
    host, and the fake on loopback."""
    import socket

    table = {"cdn.studio.example.com": "93.184.216.34", "minio.internal": "10.20.0.7",
             "files.corp.example": "192.168.4.9"}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in table:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (table[host], port))]
        if host.endswith(".invalid"):
            raise socket.gaierror("Name or service not known")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


def test_storage_that_gives_public_https_links_sends_the_link_instead_of_the_bytes(fake, account, settings, dns):
    settings.MEDIA_URL = "https://cdn.studio.example.com/media/"
    step(tryon_task(account))

    body = submitted_body(fake)
    assert body["person_image_url"].startswith("https://cdn.studio.example.com/media/models/")
    assert body["garment_image_url"].startswith("https://cdn.studio.example.com/media/garments/")


def test_a_task_without_a_model_photo_fails_with_a_clear_message(fake, account):
    task = tryon_task(account)
    task.model_image = None
    task.save()

    step(task)

    assert task.status == TaskStatus.GENERATION_FAILED and "model photo" in task.error_message
    assert fake.submissions_for(KEY) == 0


def test_the_model_catalog_sync_keeps_the_vendors_costs(fake, account):
    catalog = sync_models(account)

    assert catalog == {"image-apps-v2/virtual-try-on": Decimal(15), "flux-2-lora-gallery/virtual-tryon": Decimal(20)}
    models_call = next(r for r in fake.requests if r.path == "/api/v1/models")
    assert models_call.method == "GET"
    account.refresh_from_db()
    assert account.settings["models"]["flux-2-lora-gallery/virtual-tryon"] == "20"
    assert account.state == AccountState.ACTIVE


def test_the_model_catalog_sync_reads_a_bare_list_too(fake, account):
    """The document shows GET /models as a table, not its JSON: a plain list with id/cost is read as well."""
    from tests.fakes.base import json_response

    override_route(fake, "list_models", lambda req, response: json_response([
        {"id": "image-apps-v2/virtual-try-on", "cost": 16}, {"id": "new-model/virtual-try-on", "cost": 12}]))

    catalog = sync_models(account)

    assert catalog == {"image-apps-v2/virtual-try-on": Decimal(16), "new-model/virtual-try-on": Decimal(12)}
    account.refresh_from_db()
    assert ArtEmotionAdapter(account).estimate("try_on", {"model_id": artemotion.IMAGE_APPS}, 1) == Decimal(16)


@pytest.mark.parametrize("host", ["minio.internal", "files.corp.example", "storage.invalid"])
def test_storage_on_a_private_or_unresolvable_host_name_sends_the_bytes_inline(fake, account, settings, dns, host):
    # ArtEmotion answers IMAGE_ERROR for "Image URL unreachable, private IP": a name is resolved, not just read.
    settings.MEDIA_URL = f"https://{host}/media/"
    task = tryon_task(account)
    step(task)
    body = submitted_body(fake)
    assert body["person_image_url"].startswith("data:image/") and body["garment_image_url"].startswith("data:image/")
    task.refresh_from_db()
    assert task.step == "poll"


@pytest.mark.parametrize("sub_type,garment_type", [("sunglasses", "glasses"), ("bucket hat", "hat"),
                                                   ("sneakers", "sneakers")])
def test_flux_chosen_for_an_accessory_is_said_to_be_against_the_documents_advice(fake, account, sub_type,
                                                                                 garment_type):
    from generations.vendors.artemotion import adapter as artemotion

    task = tryon_task(account, garment_type="Accessory", accessory_sub_type=sub_type, category="accessories",
                      options={"model_id": artemotion.FLUX})
    step(task)
    task.refresh_from_db()
    assert submitted_body(fake)["garment_type"] == garment_type
    assert any("Image Apps model for best results" in note for note in task.user_notes)


def test_the_image_apps_model_is_preselected(fake, account):
    from generations.vendors.artemotion import adapter as artemotion

    assert artemotion.MODEL_OPTION.default == artemotion.IMAGE_APPS
    task = tryon_task(account, garment_type="Accessory", accessory_sub_type="sunglasses", category="accessories")
    step(task)
    task.refresh_from_db()
    assert submitted_body(fake)["model_id"] == artemotion.IMAGE_APPS and not task.user_notes
