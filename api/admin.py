"""Admin for the API's keys, webhook endpoints and their delivery log (admins run everything through Django admin).

Keys are created on the team's API keys page (the key is shown once there); here they can be read and revoked, and
neither the hash nor a webhook secret is ever shown."""
from django.contrib import admin
from django.utils import timezone

from .models import ApiKey, IdempotentRequest, OutgoingEvent, WebhookDelivery, WebhookEndpoint


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "team", "role", "scope", "created_at", "expires_at", "revoked_at",
                    "last_used_at", "last_used_ip"]
    list_filter = ["role", "scope", "team"]
    search_fields = ["name", "prefix"]
    list_select_related = ["team"]
    readonly_fields = ["prefix", "team", "created_by", "created_at", "last_used_at", "last_used_ip", "revoked_at"]
    fields = ["name", "team", "prefix", "role", "scope", "expires_at", "revoked_at", "created_by", "created_at",
              "last_used_at", "last_used_ip"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # a key is made on the team's page, where it is shown once

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "team", "is_active", "consecutive_failures", "disabled_at", "created_at"]
    list_filter = ["is_active", "team"]
    search_fields = ["url", "description"]
    list_select_related = ["team"]
    readonly_fields = ["team", "consecutive_failures", "disabled_at", "disabled_reason", "created_by", "created_at"]
    exclude = ["secret_encrypted"]

    def has_add_permission(self, request):
        return False  # registered on the team's page, where its secret is shown once


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly):
    list_display = ["event", "endpoint", "status", "attempts", "response_code", "response_ms", "last_attempt_at"]
    list_filter = ["status"]
    list_select_related = ["event", "endpoint"]
    raw_id_fields = ["event", "endpoint"]


@admin.register(OutgoingEvent)
class OutgoingEventAdmin(ReadOnly):
    list_display = ["public_id", "event_type", "team", "created_at"]
    list_filter = ["event_type", "team"]
    list_select_related = ["team"]
    search_fields = ["public_id"]


@admin.register(IdempotentRequest)
class IdempotentRequestAdmin(ReadOnly):
    list_display = ["key", "team", "status_code", "created_at"]
    list_select_related = ["team"]
    search_fields = ["key"]
    exclude = ["response"]
