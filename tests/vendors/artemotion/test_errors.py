"""Every documented ArtEmotion error code ("Error Codes", "Error Responses") lands on the right branch of the
error tree, and through the engine on the right outcome. Error bodies come from the fake (built from the document)
or, for backend failures the fake cannot cause by itself, are injected with the document's exact body."""
import json
from decimal import Decimal
from pathlib import Path

import pytest

from generations.models import AccountState, CreditEntry, CreditKind, TaskStatus
from generations.vendors.artemotion.adapter import ArtEmotionAdapter
from generations.vendors.base import (AuthError, GenerationFailed, InsufficientCredits, RateLimited, Unavailable,
                                      ValidationFailed)

from tests.vendors.artemotion.test_support import KEY, account, fake, queued, step, tryon_task  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued")]
ERRORS = json.loads((Path(__file__).parent / "fixtures" / "errors.json").read_text())


def inject(fake, code: str, path: str) -> None:
    status, body = ERRORS[code]
    fake.inject(status=status, payload=body, path=path)


def seconds_until_next_run(task) -> float:
    from django.utils import timezone

    return (task.next_run_at - timezone.now()).total_seconds()


def call_tryon(account, body):
    adapter = ArtEmotionAdapter(account)
    try:
        return adapter.call("POST", "/tryon", json=body)
    finally:
        adapter.close()


PNG = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5E"
       "rkJggg==")


def test_an_unknown_model_is_a_validation_failure_with_the_vendors_message(fake, account):
    with pytest.raises(ValidationFailed, match='Unknown model_id "bad-model"') as caught:
        call_tryon(account, {"person_image_url": PNG, "garment_image_url": PNG, "model_id": "bad-model"})
    assert caught.value.vendor_code == "INVALID_MODEL"


def test_a_missing_field_is_a_validation_failure_with_the_vendors_message(fake, account):
    adapter = ArtEmotionAdapter(account)
    with pytest.raises(ValidationFailed, match='requires a "prompt" field') as caught:
        adapter.call("POST", "/vision", json={"model_id": "llava-next", "image_url": PNG})
    assert caught.value.vendor_code == "MISSING_FIELD"


def test_an_image_the_vendor_cannot_use_is_a_validation_failure(fake, account):
    with pytest.raises(ValidationFailed, match="Private URLs not allowed") as caught:
        call_tryon(account, {"person_image_url": "https://10.0.0.5/p.jpg", "garment_image_url": PNG})
    assert caught.value.vendor_code == "IMAGE_ERROR"


def test_a_malformed_request_is_a_validation_failure(fake, account):
    with pytest.raises(ValidationFailed, match="person_image_url") as caught:
        call_tryon(account, {"garment_image_url": PNG})
    assert caught.value.vendor_code == "INVALID_REQUEST"


def test_a_rejected_key_is_an_auth_error_and_disables_the_account(fake, account):
    account.set_api_key("ae_live_revoked")
    account.save()
    task = tryon_task(account)

    step(task)

    account.refresh_from_db()
    assert account.state == AccountState.DISABLED and "rejected the API key" in account.state_message
    with pytest.raises(AuthError):
        call_tryon(account, {"person_image_url": PNG, "garment_image_url": PNG})


def test_insufficient_credits_pauses_the_account_keeps_the_task_and_records_the_balance(fake, account):
    fake.keys[KEY] = 3
    task = tryon_task(account)

    step(task)

    account.refresh_from_db()
    assert account.state == AccountState.PAUSED and "Required: 15, available: 3" in account.state_message
    assert account.credit_balance == Decimal(3)
    # 3 credits buy no try-on: the sweeper is not told there is money, so it does not resume into the same 402.
    assert ArtEmotionAdapter(account).check_balance().credits is None
    assert task.status == TaskStatus.TASK_CREATED and task.step == "submit" and not task.needs_attention
    with pytest.raises(InsufficientCredits):
        call_tryon(account, {"person_image_url": PNG, "garment_image_url": PNG})


def test_a_rate_limited_submission_waits_at_least_the_documented_60_seconds(fake, account):
    inject(fake, "RATE_LIMIT_EXCEEDED", path="/tryon")
    task = tryon_task(account)

    step(task)

    assert task.step == "submit" and task.status == TaskStatus.TASK_CREATED
    assert seconds_until_next_run(task) >= 59


def test_a_longer_retry_after_header_is_honoured(fake, account):
    status, body = ERRORS["RATE_LIMIT_EXCEEDED"]
    fake.inject(status=status, payload=body, headers={"Retry-After": "90"}, path="/tryon")
    with pytest.raises(RateLimited) as caught:
        call_tryon(account, {"person_image_url": PNG, "garment_image_url": PNG})
    assert caught.value.retry_after == 90


def test_a_429_from_the_fakes_own_limit_is_rate_limited_for_60_seconds(fake, account):
    for _ in range(10):
        call_tryon(account, {"person_image_url": PNG, "garment_image_url": PNG})
    with pytest.raises(RateLimited, match="Rate limit exceeded") as caught:
        call_tryon(account, {"person_image_url": PNG, "garment_image_url": PNG})
    assert caught.value.retry_after == 60 and caught.value.vendor_code == "RATE_LIMIT_EXCEEDED"


def test_a_submission_error_fails_the_task_and_the_ledger_shows_the_refund(fake, account):
    inject(fake, "SUBMISSION_ERROR", path="/tryon")
    task = tryon_task(account)

    step(task)

    assert task.status == TaskStatus.GENERATION_FAILED
    assert "credits were refunded" in task.error_message and "upstream timeout" in task.error_message
    entries = {e.kind: e.credits for e in CreditEntry.objects.filter(task=task)}
    assert entries[CreditKind.REFUND] == Decimal(15) and entries[CreditKind.CHARGE] == Decimal(15)
    with pytest.raises(GenerationFailed):
        inject(fake, "SUBMISSION_ERROR", path="/tryon")
        call_tryon(account, {"person_image_url": PNG, "garment_image_url": PNG})


def test_a_status_error_while_polling_is_retried_and_the_job_still_finishes(fake, account):
    task = tryon_task(account)
    step(task)
    fake.finish(task.vendor_task_id)
    inject(fake, "STATUS_ERROR", path="/jobs/")

    step(task)
    assert task.step == "poll" and "inference backend unreachable" in task.error_message
    step(task)

    assert task.status == TaskStatus.REVIEW_SUBMITTED and fake.submissions_for(KEY) == 1


def test_a_status_error_is_unavailable(fake, account):
    inject(fake, "STATUS_ERROR", path="/jobs/")
    adapter = ArtEmotionAdapter(account)
    with pytest.raises(Unavailable, match="unreachable"):
        adapter.call("GET", "/jobs/x?model_id=image-apps-v2%2Fvirtual-try-on")


def test_a_validation_failure_fails_the_task_with_the_vendors_message(fake, account):
    inject(fake, "IMAGE_ERROR", path="/tryon")
    task = tryon_task(account)

    step(task)

    assert task.status == TaskStatus.GENERATION_FAILED and task.error_message.startswith("Image error: Image exceeds")


@pytest.mark.parametrize("code, expected", [
    ("UNAUTHORIZED", AuthError), ("INVALID_REQUEST", ValidationFailed), ("INVALID_MODEL", ValidationFailed),
    ("MISSING_FIELD", ValidationFailed), ("IMAGE_ERROR", ValidationFailed),
    ("INSUFFICIENT_CREDITS", InsufficientCredits), ("RATE_LIMIT_EXCEEDED", RateLimited),
    ("SUBMISSION_ERROR", GenerationFailed), ("STATUS_ERROR", Unavailable), ("METHOD_NOT_ALLOWED", ValidationFailed),
])
def test_every_documented_code_maps_onto_the_error_tree(fake, account, code, expected):
    inject(fake, code, path="/tryon")
    with pytest.raises(expected) as caught:
        call_tryon(account, {"person_image_url": PNG, "garment_image_url": PNG})
    assert caught.value.vendor_code == code
    assert ERRORS[code][1]["error"].split(":")[0] in str(caught.value)


def test_a_wrong_method_is_answered_405_by_the_fake_and_refused(fake, account):
    adapter = ArtEmotionAdapter(account)
    with pytest.raises(ValidationFailed) as caught:
        adapter.call("GET", "/tryon")
    assert caught.value.vendor_code == "METHOD_NOT_ALLOWED" and caught.value.status_code == 405
