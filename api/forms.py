"""Forms of the team admin pages: API keys and webhook endpoints."""
from django import forms
from django.utils import timezone

from generations.vendors.base import FetchRefused
from generations.vendors.http import check_vendor_url
from studio.events import EVENT_TYPES
from studio.models import Role

from .models import KeyScope, WebhookEndpoint


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="Who uses it: “PIM sync”, “Shop export”.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CREATIVE,
                             help_text="The key may do what a member with this role may do.")
    scope = forms.ChoiceField(choices=KeyScope.choices, initial=KeyScope.READ,
                              help_text="Read-only keys can only read, whatever their role.")
    expires_at = forms.DateTimeField(required=False, label="Expires",
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                     help_text="Empty: never.")

    def clean_expires_at(self):
        value = self.cleaned_data.get("expires_at")
        if value and value <= timezone.now():
            raise forms.ValidationError("Choose a time in the future.")
        return value


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(choices=[(e, e) for e in EVENT_TYPES], widget=forms.CheckboxSelectMultiple,
                                       help_text="The events this endpoint receives.")

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events"]

    def clean_url(self):
        """The same guard as every outgoing call (generations/vendors/http.py): https to a public address, unless
        the host is allow-listed in STUDIO_VENDOR_ALLOW_HOSTS. Checked here so a bad URL is never stored."""
        url = (self.cleaned_data.get("url") or "").strip()
        try:
            check_vendor_url(url)
        except FetchRefused as exc:
            message = str(exc.args[0]).replace("vendor ", "").replace("the vendor URL", "the URL")
            raise forms.ValidationError(f"Not allowed: {message}. Use an https URL on the public internet.") \
                from None
        return url
