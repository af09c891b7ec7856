"""Buttons that start Huhu catalog syncs (a worker job each): import models into the gallery, sync the preset pose
library, sync the credit history into the ledger."""
import logging

from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from catalog.models import Program
from catalog.views.common import require
from studio import roles
from studio.ids import parse_id
from studio.tenancy import member_required

from .. import huhu_jobs
from ..models import AccountState, Vendor, VendorAccount

log = logging.getLogger(__name__)
MODEL_FILTERS = ("model_type", "model_size", "ethnicity", "age_range", "hair_color", "skin_tone")


def huhu_accounts(team):
    return VendorAccount.objects.for_team(team).filter(vendor=Vendor.HUHU, state=AccountState.ACTIVE)


def _account(request) -> VendorAccount:
    accounts = huhu_accounts(request.team)
    chosen = request.POST.get("account")
    account = accounts.filter(pk=parse_id(chosen)).first() if chosen else accounts.first()
    if account is None:
        raise_missing()
    return account


def raise_missing():
    from django.http import Http404

    raise Http404("This team has no active Huhu account.")


def _queue(request, job, *args, started: str) -> None:
    try:
        job.delay(*args)
    except Exception:
        log.warning("could not queue %s", job.name, exc_info=True)
        messages.error(request, "The job queue is unreachable right now; nothing was started. Try again shortly.")
    else:
        messages.success(request, started)


@require_POST
@member_required()
def huhu_import_models(request: HttpRequest, pk: int):
    program = get_object_or_404(Program.objects.for_team(request.team), pk=pk)
    require(request, roles.EDIT)
    account = _account(request)
    filters = {name: request.POST.get(name, "") for name in MODEL_FILTERS if request.POST.get(name)}
    _queue(request, huhu_jobs.import_models, account.pk, program.pk, filters,
           started="Importing models from Huhu… they appear in the gallery as their images arrive.")
    return redirect("model_gallery", program.pk)


@require_POST
@member_required()
def huhu_sync_poses(request: HttpRequest, pk: int):
    program = get_object_or_404(Program.objects.for_team(request.team), pk=pk)
    require(request, roles.EDIT)
    _queue(request, huhu_jobs.sync_poses, _account(request).pk,
           started="Syncing Huhu's preset pose library… new poses appear here shortly.")
    return redirect("pose_library", program.pk)


@require_POST
@member_required(roles.MANAGE_ACCOUNTS)
def account_sync_credits(request: HttpRequest, pk: int):
    account = get_object_or_404(VendorAccount.objects.for_team(request.team), pk=pk, vendor=Vendor.HUHU)
    _queue(request, huhu_jobs.sync_credits, account.pk, started="Syncing the credit history from Huhu…")
    return redirect("account_edit", account.pk)
