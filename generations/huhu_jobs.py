"""Media/vendor-queue jobs for Huhu catalog syncs started from the pages. Thin: load rows by key, call
generations.huhu_sync, record the outcome on the account for the account page to show.

They download images and walk paginated lists, so they never run inside a request.
"""
import logging

from celery import shared_task
from django.utils import timezone

from catalog.models import Program

from . import huhu_sync, lifecycle
from .models import AccountState, VendorAccount
from .vendors.base import AuthError, VendorError

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


@shared_task(name="vendor.huhu_sync_credits", acks_late=True, time_limit=1800)
def sync_credits(account_id: int) -> None:
    _run(account_id, "credits",
         lambda account: f"{huhu_sync.sync_credit_history(account)} new credit history entries.")
