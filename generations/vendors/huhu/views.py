"""Buttons that start Huhu catalog syncs (a worker job each): import models into the gallery, sync the preset pose
library, sync the credit history into the ledger; and the SKU page's Huhu panel: Huhu's garment classification beside
ours (read with GET /sku detail, 001 §5.10), where they differ a person chooses."""
import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from catalog.models import SKU, GarmentImage, Program
from catalog.views.common import require
from studio import roles
from studio.ids import parse_id
from studio.tenancy import member_required

from generations.vendors.huhu import jobs as huhu_jobs
from generations.vendors.huhu import sync as huhu_sync
from generations.vendors.base import ValidationFailed
from generations.vendors.pages import sku_page
from generations.models import AccountState, Vendor, VendorAccount

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


# --- The SKU page: Huhu's classification of the garment images (001 §5.10) -----------------------------------------
def _sku_panel(request, sku: SKU):
    accounts = list(huhu_accounts(request.team))
    if not accounts:
        return HttpResponse("")  # no Huhu account: no panel
    rows = [{"account": account, "images": huhu_sync.classifications(account, sku),
             "last": ((account.settings or {}).get("last_sync") or {}).get("classification")} for account in accounts]
    return render(request, "vendors/huhu/sku_panel.html", {"sku": sku, "rows": rows})


@sku_page("GET")
def sku_huhu(request: HttpRequest, sku: SKU):
    return _sku_panel(request, sku)


@sku_page("POST")
def sku_huhu_read(request: HttpRequest, sku: SKU):
    _queue(request, huhu_jobs.read_classification, _account(request).pk, sku.pk,
           started="Reading Huhu's classification of the garment images… reload the page in a moment.")
    return redirect("sku_detail", sku.pk)


@sku_page("POST")
def sku_huhu_choose(request: HttpRequest, sku: SKU):
    """Where Huhu's classification and ours differ: keep ours, or take Huhu's."""
    account = _account(request)
    garment = get_object_or_404(GarmentImage.objects.filter(sku=sku), pk=request.POST.get("garment") or 0)
    try:
        huhu_sync.decide_classification(account, garment, request.POST.get("choice", ""))
    except ValidationFailed as exc:
        messages.error(request, str(exc))
    if request.headers.get("HX-Request"):
        return _sku_panel(request, sku)
    return redirect("sku_detail", sku.pk)
