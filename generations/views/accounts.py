"""Vendor account pages (team admins): list, add, edit with a write-only key, test the connection."""
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from studio import roles
from studio.tenancy import member_required

from ..accounts import VendorAccountForm, base_url_presets, test_connection
from ..models import Vendor, VendorAccount


def _team_account(request, pk) -> VendorAccount:
    return get_object_or_404(VendorAccount.objects.for_team(request.team), pk=pk)


@require_http_methods(["GET"])
@member_required(roles.MANAGE_ACCOUNTS)
def account_list(request: HttpRequest):
    accounts = VendorAccount.objects.for_team(request.team).order_by("name")
    return render(request, "generations/accounts.html", {"accounts": accounts})


@require_http_methods(["GET", "POST"])
@member_required(roles.MANAGE_ACCOUNTS)
def account_create(request: HttpRequest):
    return _edit(request, VendorAccount(team=request.team, vendor=request.GET.get("vendor") or Vendor.SANDBOX))


@require_http_methods(["GET", "POST"])
@member_required(roles.MANAGE_ACCOUNTS)
def account_edit(request: HttpRequest, pk: int):
    return _edit(request, _team_account(request, pk))


def _edit(request, account: VendorAccount):
    form = VendorAccountForm(request.POST or None, instance=account, team=request.team)
    if request.method == "POST" and form.is_valid():
        account = form.save()
        messages.success(request, f"Saved {account.name}.")
        return redirect("account_edit", account.pk)
    presets = {vendor: base_url_presets(vendor) for vendor, _ in form.fields["vendor"].choices}
    ledger = account.credit_entries.order_by("-created_at", "-pk")[:25] if account.pk else []
    context = {"form": form, "account": account, "presets": presets, "ledger": ledger,
               "last_syncs": (account.settings or {}).get("last_sync") or {}}
    return render(request, "generations/account_form.html", context)


@require_POST
@member_required(roles.MANAGE_ACCOUNTS)
def account_test(request: HttpRequest, pk: int):
    account = _team_account(request, pk)
    result = test_connection(account)
    (messages.success if result.ok else messages.error)(request, result.message)
    return redirect("account_edit", account.pk)
