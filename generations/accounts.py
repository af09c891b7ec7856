"""Vendor accounts as a team admin manages them: keys written, never read back; connection tests; balances.

A key is write-only from every page: the form field never renders a value, an empty field keeps the stored key,
and errors never echo what was typed. Replacing the key of a disabled account (a 401/403 disabled it) re-enables
it; a connection test refreshes the balance and the concurrency limit the vendor reports (Huhu /metering/plan).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.utils import timezone

from . import lifecycle
from .models import AccountState, Vendor, VendorAccount
from .vendors import registry
from .vendors.base import AuthError, ConfigurationError, FetchRefused, InsufficientCredits, VendorError
from .vendors.http import check_vendor_url


def base_url_presets(vendor: str) -> list[tuple[str, str]]:
    """(label, URL) pairs a vendor's documents name: production first (Huhu also documents a gamma URL)."""
    try:
        cls = registry.adapter_class(vendor)
    except ConfigurationError:
        return []
    presets = list(getattr(cls, "base_url_presets", ()) or ())
    if not presets and cls.default_base_url:
        presets = [("Production", cls.default_base_url)]
    return presets


class VendorAccountForm(forms.ModelForm):
    api_key = forms.CharField(label="API key", required=False, strip=True,
                              widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
                              help_text="Write-only. Leave empty to keep the stored key.")
    webhook_secret = forms.CharField(label="Webhook secret", required=False, strip=True,
                                     widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
                                     help_text="Write-only. Leave empty to keep the stored secret.")

    class Meta:
        model = VendorAccount
        fields = ["vendor", "name", "base_url", "concurrency_limit", "submissions_per_minute", "settings"]
        widgets = {"settings": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"base_url": "Empty uses the vendor's production URL. Point it at a staging endpoint or a "
                                  "vendor's gamma URL to test: https, on a public address."}

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team
        available = set(registry.available_vendors())
        self.fields["vendor"].choices = [(v, label) for v, label in Vendor.choices if v in available]
        self.fields["base_url"].widget.attrs["list"] = "base-url-presets"  # pick production, gamma, or type any URL
        if self.instance.pk:
            self.fields["vendor"].disabled = True  # an account's vendor never changes; make a new account
        elif "sandbox" not in available:
            self.fields["vendor"].initial = None
        self.vendor_settings = vendor_settings(self.instance.vendor if self.instance.pk else self.data.get("vendor"))
        for setting in self.vendor_settings:
            field = (forms.ChoiceField(choices=setting.choices) if setting.choices else forms.CharField(max_length=300))
            field.label, field.required = setting.label, False
            field.initial = setting.read(self.instance.settings or {})
            field.help_text = f"{setting.help} Default: {setting.default}.".strip()
            self.fields[setting.field_name] = field

    def clean_base_url(self):
        """The same rule the client enforces on every call (vendors/http.py check_vendor_url): https to a public
        address, unless the host is in STUDIO_VENDOR_ALLOW_HOSTS. Said here so a bad URL never gets stored."""
        url = (self.cleaned_data.get("base_url") or "").strip()
        if url:
            try:
                check_vendor_url(url)
            except FetchRefused as exc:
                raise forms.ValidationError(f"Not allowed: {exc}. Use the vendor's https URL.") from None
        return url

    def clean(self):
        cleaned = super().clean()
        vendor = cleaned.get("vendor") or self.instance.vendor
        if vendor and vendor != Vendor.SANDBOX and not (cleaned.get("api_key") or self.instance.has_api_key):
            self.add_error("api_key", "This vendor needs an API key.")
        return cleaned

    def merged_settings(self, settings: dict) -> dict:
        for setting in self.vendor_settings:
            if setting.field_name in self.cleaned_data:
                settings = _merge(settings, setting, self.cleaned_data[setting.field_name] or "")
        return settings

    def save(self, commit=True):
        account = super().save(commit=False)
        account.team = self.team
        new_key = self.cleaned_data.get("api_key")
        if new_key:
            account.set_api_key(new_key)
        if self.cleaned_data.get("webhook_secret"):
            account.set_webhook_secret(self.cleaned_data["webhook_secret"])
        account.settings = self.merged_settings(account.settings or {})
        if commit:
            account.save()
            if new_key and account.state == AccountState.DISABLED:
                lifecycle.set_account_state(account, AccountState.ACTIVE, "")
        return account


def vendor_settings(vendor: str | None):
    try:
        return tuple(registry.adapter_class(vendor).account_settings) if vendor else ()
    except ConfigurationError:
        return ()


def _merge(settings: dict, setting, value: str) -> dict:
    """Write one field into the settings JSON; a value equal to the default is stored as absent (the default
    then follows the code, e.g. a corrected document reading)."""
    settings = dict(settings)
    target = dict(settings.get(setting.group) or {}) if setting.group else settings
    if value in ("", setting.default):
        target.pop(setting.key, None)
    else:
        target[setting.key] = value
    if setting.group:
        if target:
            settings[setting.group] = target
        else:
            settings.pop(setting.group, None)
    return settings


@dataclass
class ConnectionResult:
    ok: bool
    message: str
    credits: Decimal | None = None
    concurrency: int | None = None


def test_connection(account: VendorAccount) -> ConnectionResult:
    """Ask the vendor for the balance; record it, and move the account's state to what the answer means."""
    try:
        balance = registry.adapter_for(account).check_balance()
    except AuthError as exc:
        lifecycle.set_account_state(account, AccountState.DISABLED, f"The vendor rejected the key: {exc}")
        return ConnectionResult(False, f"The vendor rejected the key ({exc}). The account is disabled until the "
                                       "key is replaced.")
    except InsufficientCredits as exc:
        lifecycle.set_account_state(account, AccountState.PAUSED, f"Out of credits: {exc}")
        return ConnectionResult(False, "The key works but the account is out of credits; submissions are paused.")
    except (VendorError, ConfigurationError) as exc:
        return ConnectionResult(False, f"Could not reach the vendor: {exc}")
    updates = {"balance_checked_at": timezone.now(), "credit_balance": balance.credits}
    if balance.concurrency:
        updates["concurrency_limit"] = balance.concurrency
    VendorAccount.objects.filter(pk=account.pk).update(**updates)
    for name, value in updates.items():
        setattr(account, name, value)
    if account.state == AccountState.PAUSED and (balance.credits is None or balance.credits > 0):
        lifecycle.set_account_state(account, AccountState.ACTIVE, "")
    credits = "unknown" if balance.credits is None else f"{balance.credits:,}"
    return ConnectionResult(True, f"Connected. Balance: {credits} credits.", balance.credits, balance.concurrency)
