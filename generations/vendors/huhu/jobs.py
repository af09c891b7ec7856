"""Media/vendor-queue jobs for Huhu catalog syncs started from the pages. Thin: load rows by key, call
generations.vendors.huhu.sync, record the outcome on the account for the account page to show.

They download images and walk paginated lists, so they never run inside a request.

Faces, model images and poses (generations/vendors/huhu/model_views.py) run on a HuhuImageRequest row instead: submit once,
then poll with a countdown re-queue (never a sleep in the worker), copy the candidates into our storage, and later
save the chosen ones to a model. The row says where it stands, so a redelivered or re-run job carries on from there.
"""
import logging
import random
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from catalog.models import FashionModel, Program

from generations import lifecycle
from generations.vendors.huhu import sync as huhu_sync
from generations.models import AccountState, HuhuImageKind, HuhuImageRequest, HuhuRequestStatus, HuhuSaveStatus, VendorAccount
from generations.vendors.base import (AuthError, GenerationFailed, InsufficientCredits, OutputExpired, RateLimited,
                           VendorError)

log = logging.getLogger(__name__)
LAST_SYNC = "last_sync"  # VendorAccount.settings key: {kind: {"ok", "message", "at"}}


def _record(account: VendorAccount, kind: str, ok: bool, message: str) -> None:
    account.refresh_from_db(fields=["settings"])
    syncs = dict(account.settings.get(LAST_SYNC) or {})
    syncs[kind] = {"ok": ok, "message": message[:300], "at": timezone.now().isoformat()}
    VendorAccount.objects.filter(pk=account.pk).update(settings={**account.settings, LAST_SYNC: syncs})


def _run(account_id: int, kind: str, work) -> None:
    account = VendorAccount.objects.filter(pk=account_id, vendor="huhu").first()
    if account is None:
        return
    try:
        message = work(account)
    except AuthError as exc:
        lifecycle.set_account_state(account, AccountState.DISABLED, f"The vendor rejected the key: {exc}")
        _record(account, kind, False, f"Huhu rejected the key ({exc}).")
    except VendorError as exc:
        log.warning("huhu %s for account %s failed: %s", kind, account_id, exc)
        _record(account, kind, False, f"Huhu answered with an error: {exc}")
    else:
        _record(account, kind, True, message)


@shared_task(name="media.huhu_import_models", acks_late=True, time_limit=1800)
def import_models(account_id: int, program_id: int, filters: dict) -> None:
    def work(account):
        program = Program.objects.for_team(account.team).get(pk=program_id)
        models = huhu_sync.import_models(account, program, **filters)
        return f"{len(models)} model{'s' if len(models) != 1 else ''} imported into {program.name}."

    _run(account_id, "models", work)


@shared_task(name="media.huhu_sync_poses", acks_late=True, time_limit=1800)
def sync_poses(account_id: int) -> None:
    _run(account_id, "poses", lambda account: f"{len(huhu_sync.sync_pose_library(account))} preset poses synced.")


@shared_task(name="vendor.huhu_read_classification", acks_late=True, time_limit=600)
def read_classification(account_id: int, sku_pk: int) -> None:
    """GET /sku detail: Huhu's classification of the SKU's garment images, beside ours on the SKU page."""
    from catalog.models import SKU

    def work(account):
        sku = SKU.objects.for_team(account.team).get(pk=sku_pk)
        rows = huhu_sync.read_classification(account, sku)
        differ = sum(1 for row in rows if row.differs)
        return f"Huhu's classification of {sku.code}: {len(rows)} image(s), {differ} classified differently."

    _run(account_id, "classification", work)


@shared_task(name="vendor.huhu_sync_credits", acks_late=True, time_limit=1800)
def sync_credits(account_id: int) -> None:
    _run(account_id, "credits",
         lambda account: f"{huhu_sync.sync_credit_history(account)} new credit history entries.")


# --- Faces, model images and poses (001 §5.14-5.16, §5.20) -----------------------------------------------------
POLL_SECONDS = 5.0  # 001 §5.16: "Call every 5-10 seconds"
GIVE_UP_AFTER = timedelta(minutes=5)  # 001 §10: "Stop polling after 5 minutes — the generation likely failed"
MAX_RETRIES = 5  # transient errors (429, 5xx, timeouts) in a row, then the request fails
SUBMIT_GRACE = timedelta(minutes=2)  # longer than any one submission can take (HTTP timeouts are 5 s + 30 s)
_requests = HuhuImageRequest.objects
S = HuhuRequestStatus


def _rows():
    return _requests.select_related("account", "program", "reference_image__fashion_model__program")


@shared_task(name="vendor.huhu_generate_model_images", acks_late=True, time_limit=settings.CELERY_TASK_TIME_LIMIT)
def generate_model_images(request_pk: int, retries: int = 0) -> None:
    row = _rows().filter(pk=request_pk).first()
    if row is None or not row.running:
        return  # deleted, or a redelivery after it finished
    try:
        done = _advance(row)
    except AuthError as exc:
        lifecycle.set_account_state(row.account, AccountState.DISABLED, f"The vendor rejected the key: {exc}")
        _fail(row, f"Huhu rejected the account's API key ({exc}); the account {row.account.name} is disabled until an "
                   "admin saves a working key.")
    except InsufficientCredits as exc:
        # As the engine does (runs.py): pause the account; the sweeper reactivates it once its balance is back.
        if row.account.state == AccountState.ACTIVE:
            lifecycle.set_account_state(row.account, AccountState.PAUSED, f"Huhu account is out of credits ({exc}).")
            VendorAccount.objects.filter(pk=row.account.pk).update(balance_checked_at=None)
        _fail(row, f"The Huhu account {row.account.name} is out of credits ({exc}). Nothing was charged; add credits "
                   "on Huhu, then start again.")
    except GenerationFailed as exc:
        _fail(row, f"{exc}. Nothing was made; try again, perhaps with another prompt.")
    except VendorError as exc:
        if exc.permanent and not isinstance(exc, OutputExpired):  # an expired link: the next poll signs new ones
            _fail(row, f"Huhu refused the request: {exc}")
        elif retries + 1 >= MAX_RETRIES:
            _fail(row, f"Huhu kept failing ({exc}); gave up after {MAX_RETRIES} tries. Request id: "
                       f"{row.request_id or 'none'}.")
        else:
            wait = exc.retry_after if isinstance(exc, RateLimited) and exc.retry_after else 5.0 * 2 ** retries
            # Jitter only upwards: GET /model/image again sooner than 5 s breaks 001 §5.16 "Call every 5-10 seconds".
            _again(row, retries + 1, wait * random.uniform(1.0, 1.25))
    else:
        if not done:
            _again(row, 0, POLL_SECONDS)


def _advance(row: HuhuImageRequest) -> bool:
    """Submit if Huhu has no request yet, then poll once. False while Huhu is still working (poll again)."""
    if not row.request_id and not _submit(row):
        return True
    results = huhu_sync.poll_images(row.account, row.program, row.request_id)
    if results is None:
        if timezone.now() - (row.submitted_at or row.created_at) > GIVE_UP_AFTER:
            _fail(row, f"Huhu had not finished after {GIVE_UP_AFTER.seconds // 60} minutes, so the studio stopped "
                       f"waiting (request id {row.request_id}).")
            return True
        _requests.filter(pk=row.pk).update(updated_at=timezone.now())  # a heartbeat for the page
        return False
    stored = [huhu_sync.store_candidate(result) for result in results]
    count = len(stored)
    if not _requests.filter(pk=row.pk, status=S.RUNNING).update(
            status=S.COMPLETED, results=stored, finished_at=timezone.now(), updated_at=timezone.now(),
            message=f"{count} image{'s' if count != 1 else ''} ready. Choose the ones to keep."):
        _delete_files(stored)  # another run finished it first: keep its copies, drop ours
    return True


def _submit(row: HuhuImageRequest) -> bool:
    """The one paid call. The claim (queued → running) lets exactly one run send it; request_id is recorded the moment
    Huhu answers. A running row that stays without a request_id is a run that died inside the call: Huhu may have
    accepted and charged it, so it is never sent again. Returns False when this run did not submit."""
    reference = huhu_sync.gallery_image_id(row.account, row.reference_image) if row.reference_image else ""
    if not _requests.filter(pk=row.pk, status=S.QUEUED).update(status=S.RUNNING, reference_id=reference,
                                                                updated_at=timezone.now()):
        if timezone.now() - row.updated_at < SUBMIT_GRACE:
            _again(row, 0, SUBMIT_GRACE.total_seconds())  # another run may be inside the call: look again later
        else:
            _fail(row, "An earlier attempt stopped while sending this request to Huhu, so Huhu may have accepted "
                       "(and charged) it. It was not sent again; check the account's credit history before starting "
                       "another.")
        return False
    try:
        request_id = _start(row, reference)
    except RateLimited:
        # Refused outright, so nothing was charged: the retry may send it again.
        _requests.filter(pk=row.pk, request_id="").update(status=S.QUEUED)
        raise
    except VendorError as exc:
        if exc.permanent:
            raise
        _fail(row, f"Huhu did not answer the request ({exc}), so it may or may not have started (and charged) it. "
                   "It was not sent again; check the account's credit history before starting another.")
        return False
    row.request_id, row.submitted_at = request_id, timezone.now()
    _requests.filter(pk=row.pk).update(request_id=request_id, submitted_at=row.submitted_at,
                                       updated_at=row.submitted_at)
    return True


def _start(row: HuhuImageRequest, reference: str) -> str:
    if row.kind == HuhuImageKind.FACE:
        return huhu_sync.generate_faces(row.account, row.program, row.prompt, mode=row.mode or "variety",
                                        num_images=row.num_images)
    if row.kind == HuhuImageKind.POSE:
        return huhu_sync.generate_pose(row.account, row.program, row.prompt, reference)
    return huhu_sync.generate_model_images(row.account, row.program, row.prompt, reference_image=reference,
                                           num_images=row.num_images)


def _again(row: HuhuImageRequest, retries: int, wait: float) -> None:
    try:
        generate_model_images.apply_async((row.pk, retries), countdown=max(0.5, wait))
    except Exception:  # broker down: the request page offers "Check again" once the row has been quiet a while
        log.warning("could not re-queue Huhu request %s", row.pk, exc_info=True)


def _fail(row: HuhuImageRequest, message: str) -> None:
    now = timezone.now()
    _requests.filter(pk=row.pk).exclude(status=S.COMPLETED).update(status=S.FAILED, message=message[:1000],
                                                                   finished_at=now, updated_at=now)


def _delete_files(results: list[dict]) -> None:
    for result in results:
        for name in (result.get("file"), result.get("thumbnail")):
            if name:
                default_storage.delete(name)


@shared_task(name="vendor.huhu_save_model_images", acks_late=True, time_limit=settings.CELERY_TASK_TIME_LIMIT)
def save_model_images(request_pk: int, fashion_model_pk: int, model_image_ids: list[str]) -> None:
    row = _rows().filter(pk=request_pk, status=S.COMPLETED).first()
    if row is None or row.save_status != HuhuSaveStatus.SAVING:
        return  # a redelivery after the save finished
    model = FashionModel.objects.filter(pk=fashion_model_pk, program=row.program).first()
    try:
        if model is None:
            raise LookupError("That model is no longer in this program.")
        count = _save_chosen(row, model, model_image_ids)
    except AuthError as exc:
        lifecycle.set_account_state(row.account, AccountState.DISABLED, f"The vendor rejected the key: {exc}")
        _save_finished(row, HuhuSaveStatus.FAILED, f"Huhu rejected the account's API key ({exc}); nothing more was "
                                                   "saved.")
    except (VendorError, LookupError) as exc:
        _save_finished(row, HuhuSaveStatus.FAILED, f"Saving stopped: {exc}")
    else:
        _save_finished(row, HuhuSaveStatus.SAVED,
                       f"{count} image{'s' if count != 1 else ''} saved to {model.name}'s gallery.")


def _save_chosen(row: HuhuImageRequest, model: FashionModel, chosen: list[str]) -> int:
    """save_to_model posts Huhu's image_url (001 §5.15 Mode 2), and signed URLs expire (§5.16 "~24 hours", §10 "~1
    hour"). A completed request answers GET /model/image again with freshly signed URLs, so we ask first and fall
    back to the stored URL only if that poll fails; if Huhu then refuses an expired URL, the message says so."""
    try:
        fresh = {r.model_image_id: r.url for r in huhu_sync.poll_images(row.account, row.program, row.request_id)
                 or []}
    except AuthError:
        raise
    except VendorError as exc:
        log.info("no fresh URLs for Huhu request %s (%s); using the stored ones", row.pk, exc)
        fresh = {}
    done = {(s["model_image_id"], s["fashion_model_id"]) for s in row.saved}
    count = 0
    for result in row.results:
        image_id = result["model_image_id"]
        if image_id not in chosen or (image_id, model.pk) in done:
            continue  # not chosen, or saved to this model already (a re-run after a crash)
        url = fresh.get(image_id) or result["url"]
        try:
            image = huhu_sync.save_to_model(row.account, model, huhu_sync.GeneratedImage(image_id, url))
        except VendorError as exc:
            if not fresh:
                exc.args = (f"{exc.args[0]} (Huhu's signed link to the image may have expired)", *exc.args[1:])
            raise
        row.saved = [*row.saved, {"model_image_id": image_id, "fashion_model_id": model.pk, "image_id": image.pk}]
        _requests.filter(pk=row.pk).update(saved=row.saved, updated_at=timezone.now())  # kept even if a later one fails
        count += 1
    return count


def _save_finished(row: HuhuImageRequest, status: str, message: str) -> None:
    _requests.filter(pk=row.pk).update(save_status=status, save_message=message[:1000], updated_at=timezone.now())
