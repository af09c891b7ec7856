"""Team admin pages (roles.MANAGE_MEMBERS): API keys and webhook endpoints with their delivery logs.

A key's plaintext and an endpoint's signing secret appear once, in the answer to the POST that made them; the
page never shows them again (only the key's prefix)."""
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studio import audit, roles
from studio.tenancy import member_required

from . import keys, webhooks
from .forms import ApiKeyForm, WebhookEndpointForm
from .models import ApiKey, WebhookDelivery, WebhookEndpoint, new_webhook_secret

DELIVERIES_PER_PAGE = 50


def _keys_context(request, form=None, new_key=None, plaintext=None) -> dict:
    return {"keys": ApiKey.objects.for_team(request.team).select_related("created_by"),
            "form": form or ApiKeyForm(), "new_key": new_key, "plaintext": plaintext}


@require_http_methods(["GET", "POST"])
@member_required(roles.MANAGE_MEMBERS)
def api_keys(request: HttpRequest):
    if request.method == "GET":
        return render(request, "api/keys.html", _keys_context(request))
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return render(request, "api/keys.html", _keys_context(request, form), status=400)
    data = form.cleaned_data
    key, plaintext = keys.create_key(request.team, request.user, name=data["name"], role=data["role"],
                                     scope=data["scope"], expires_at=data["expires_at"],
                                     ip=audit.request_ip(request))
    return render(request, "api/keys.html", _keys_context(request, new_key=key, plaintext=plaintext))


@require_POST
@member_required(roles.MANAGE_MEMBERS)
def api_key_revoke(request: HttpRequest, pk: int):
    key = get_object_or_404(ApiKey.objects.for_team(request.team), pk=pk)
    if keys.revoke_key(key, request.user, ip=audit.request_ip(request)):
        messages.success(request, f"Key {key.name} ({key.prefix}…) revoked: it no longer works.")
    return redirect("api_keys")


def _endpoints_context(request, form=None, new_endpoint=None, secret=None) -> dict:
    return {"endpoints": WebhookEndpoint.objects.for_team(request.team), "form": form or WebhookEndpointForm(),
            "new_endpoint": new_endpoint, "secret": secret}


@require_http_methods(["GET", "POST"])
@member_required(roles.MANAGE_MEMBERS)
def webhook_endpoints(request: HttpRequest):
    if request.method == "GET":
        return render(request, "api/webhooks.html", _endpoints_context(request))
    form = WebhookEndpointForm(request.POST)
    if not form.is_valid():
        return render(request, "api/webhooks.html", _endpoints_context(request, form), status=400)
    endpoint = form.save(commit=False)
    endpoint.team, endpoint.created_by = request.team, request.user
    secret = new_webhook_secret()
    endpoint.set_secret(secret)
    endpoint.save()
    audit.record_request(request, audit.AuditAction.WEBHOOK_ENDPOINT_CREATED, endpoint.url[:200], events=endpoint.events)
    return render(request, "api/webhooks.html", _endpoints_context(request, new_endpoint=endpoint, secret=secret))


@require_http_methods(["GET", "POST"])
@member_required(roles.MANAGE_MEMBERS)
def webhook_endpoint_detail(request: HttpRequest, pk: int):
    """The delivery log (newest first, 50 a page) and the switches: enable again, disable, delete."""
    endpoint = get_object_or_404(WebhookEndpoint.objects.for_team(request.team), pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "enable":
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=True, disabled_reason="",
                                                                  disabled_at=None, consecutive_failures=0)
            messages.success(request, "Endpoint enabled again.")
        elif action == "disable":
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False, disabled_reason="Disabled by "
                                                                  f"{request.user.get_username()}")
            messages.success(request, "Endpoint disabled.")
        elif action == "delete":
            audit.record_request(request, audit.AuditAction.WEBHOOK_ENDPOINT_DELETED, endpoint.url[:200])
            endpoint.delete()
            messages.success(request, "Endpoint deleted.")
            return redirect("webhook_endpoints")
        return redirect("webhook_endpoint_detail", endpoint.pk)
    deliveries = (WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event")
                  .order_by("-created_at", "-pk"))
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "api/webhook_detail.html", {"endpoint": endpoint, "page": page})


@require_POST
@member_required(roles.MANAGE_MEMBERS)
def webhook_delivery_resend(request: HttpRequest, pk: int):
    delivery = get_object_or_404(WebhookDelivery.objects.for_team(request.team).select_related("endpoint", "event"),
                                 pk=pk)
    webhooks.resend(delivery)
    messages.success(request, f"{delivery.event.event_type} queued again for {delivery.endpoint.url}.")
    return redirect("webhook_endpoint_detail", delivery.endpoint_id)
