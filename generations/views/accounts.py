"""Vendor account pages (team admins): list, add, edit with a write-only key, test the connection."""
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from studio import audit, roles
from studio.tenancy import member_required

from .. import default_account
from ..accounts import VendorAccountForm, base_url_presets, test_connection
from ..models import Vendor, VendorAccount


def _team_account(request, pk) -> VendorAccount:
    return get_object_or_404(VendorAccount.objects.for_team(request.team), pk=pk)


@require_http_methods(["GET"])
@member_required(roles.MANAGE_ACCOUNTS)
def account_list(request: HttpRequest):
    accounts = VendorAccount.objects.for_team(request.team).order_by("name")
    return render(request, "generations/accounts.html", {"accounts": accounts})


@require_POST
@member_required(roles.MANAGE_ACCOUNTS)
def account_make_default(request: HttpRequest, pk: int):
    """The team's default account: the one the generate forms preselect (when active and its test did not fail)."""
    account = _team_account(request, pk)
    default_account.make_default(account)
    note = ""
    if account.state != "active" or account.last_test_ok is False:
        note = " It is not preselected while it is unavailable or its last connection test failed."
    messages.success(request, f"{account.name} is the team's default account.{note}")
    return redirect("account_list")


@require_http_methods(["GET", "POST"])
@member_required(roles.MANAGE_ACCOUNTS)
def account_create(request: HttpRequest):
    return _edit(request, VendorAccount(team=request.team, vendor=request.GET.get("vendor") or Vendor.SANDBOX))


@require_http_methods(["GET", "POST"])
@member_required(roles.MANAGE_ACCOUNTS)
def account_edit(request: HttpRequest, pk: int):
    return _edit(request, _team_account(request, pk))


def _edit(request, account: VendorAccount):
    before = {"base_url": account.base_url, "had_key": account.pk is not None and account.has_api_key}
    form = VendorAccountForm(request.POST or None, instance=account, team=request.team)
    if request.method == "POST" and form.is_valid():
        account = form.save()
        _audit_changes(request, account, form, before)
        messages.success(request, f"Saved {account.name}.")
        return redirect("account_edit", account.pk)
    presets = {vendor: base_url_presets(vendor) for vendor, _ in form.fields["vendor"].choices}
    ledger = account.credit_entries.order_by("-created_at", "-pk")[:25] if account.pk else []
    context = {"form": form, "account": account, "presets": presets, "ledger": ledger,
               "last_syncs": (account.settings or {}).get("last_sync") or {}}
    return render(request, "generations/account_form.html", context)


def _audit_changes(request, account: VendorAccount, form, before: dict) -> None:
    target = f"{account.name} (account {account.pk})"
    A = audit.AuditAction
    if form.cleaned_data.get("api_key"):
        audit.record_request(request, A.VENDOR_KEY_ROTATED if before["had_key"] else A.VENDOR_KEY_SET, target)
    if form.cleaned_data.get("webhook_secret"):
        audit.record_request(request, A.WEBHOOK_SECRET_SET, target)
    if account.base_url != before["base_url"]:
        audit.record_request(request, A.BASE_URL_CHANGED, target, before=before["base_url"], after=account.base_url)


@require_POST
@member_required(roles.MANAGE_ACCOUNTS)
def account_test(request: HttpRequest, pk: int):
    account = _team_account(request, pk)
    result = test_connection(account)
    default_account.record_test(account, result.ok, result.message)
    (messages.success if result.ok else messages.error)(request, result.message)
    return redirect("account_edit", account.pk)
