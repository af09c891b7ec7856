"""Admin for vendor accounts, tasks and what they produce.

Two rules shape it. Secrets are write-only: the API key and webhook secret are typed into password fields that
never render a value back, and only `masked_api_key` is ever shown (never the ciphertext either). Statuses and
vendor references are read-only: statuses move through generations.lifecycle, and ids the vendor gave us are
the record of what was paid for, so nobody edits them by hand.
"""
from django import forms
from django.contrib import admin, messages
from django.db.models import Count

from studio.admin import thumbnail_html

from . import lifecycle
from .models import (
    AccountState,
    Batch,
    Comparison,
    ExportJob,
    CreditEntry,
    HuhuImageRequest,
    OutputKind,
    ReviewEvent,
    Task,
    TaskOutput,
    VendorAccount,
    VendorReference,
    WebhookEvent,
)


def output_preview(output: TaskOutput):
    """The worker-made thumbnail, else the file itself when it is an image (a video has no <img> form)."""
    file = output.thumbnail or (output.file if output.kind == OutputKind.IMAGE else None)
    return thumbnail_html(file, output.width, output.height)


class ReadOnlyOnceSavedMixin:
    """Records written by the system (ledger, audit trail, vendor ids) can be added by hand but never rewritten."""

    def get_readonly_fields(self, request, obj=None):
        declared = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return declared
        stored = [f.name for f in self.model._meta.concrete_fields if f.name != "id"]
        return declared + [name for name in stored if name not in declared]


# --- Vendor accounts --------------------------------------------------------------------------------------------
class VendorAccountForm(forms.ModelForm):
    """Write-only secrets: a field left empty keeps the stored value; nothing typed is ever rendered back,
    not even when the form comes back with a validation error."""

    api_key = forms.CharField(
        label="API key", required=False, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the current key. Stored encrypted; never shown again.",
    )
    webhook_secret = forms.CharField(
        label="Webhook secret", required=False, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the current secret. Stored encrypted; never shown again.",
    )

    class Meta:
        model = VendorAccount
        fields = ["team", "vendor", "name", "base_url", "concurrency_limit", "submissions_per_minute", "settings"]

    def save(self, commit=True):
        account = super().save(commit=False)
        if self.cleaned_data.get("api_key"):
            account.set_api_key(self.cleaned_data["api_key"])
        if self.cleaned_data.get("webhook_secret"):
            account.set_webhook_secret(self.cleaned_data["webhook_secret"])
        if commit:
            account.save()
        return account


@admin.action(description="Reactivate (after topping up credits or fixing the key)")
def reactivate_accounts(modeladmin, request, queryset):
    moved = sum(lifecycle.set_account_state(a, AccountState.ACTIVE, "Reactivated by an administrator")
                for a in queryset)
    modeladmin.message_user(request, f"{moved} account(s) reactivated.", messages.SUCCESS)


@admin.action(description="Disable (stop all submissions)")
def disable_accounts(modeladmin, request, queryset):
    moved = sum(lifecycle.set_account_state(a, AccountState.DISABLED, "Disabled by an administrator")
                for a in queryset)
    modeladmin.message_user(request, f"{moved} account(s) disabled.", messages.SUCCESS)


@admin.register(VendorAccount)
class VendorAccountAdmin(admin.ModelAdmin):
    form = VendorAccountForm
    list_display = ["name", "team", "vendor", "state", "masked_api_key", "webhook_secret_status", "base_url",
                    "credit_balance", "updated_at"]
    list_filter = ["vendor", "state", "team"]
    search_fields = ["name", "team__name", "base_url"]
    list_select_related = ["team"]
    autocomplete_fields = ["team"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["team", "vendor", "name", "base_url"]}),
        ("Secrets", {"fields": ["masked_api_key", "api_key", "webhook_secret_status", "webhook_secret",
                                "webhook_token"]}),
        ("State", {"fields": ["state", "state_message", "credit_balance", "balance_checked_at"]}),
        ("Limits and options", {"fields": ["concurrency_limit", "submissions_per_minute", "settings"]}),
    ]
    readonly_fields = ["masked_api_key", "webhook_secret_status", "webhook_token", "state", "state_message",
                       "credit_balance", "balance_checked_at"]
    actions = [reactivate_accounts, disable_accounts]

    @admin.display(description="API key")
    def masked_api_key(self, obj):
        return obj.masked_api_key

    @admin.display(description="Webhook secret")
    def webhook_secret_status(self, obj):
        return "set" if obj.webhook_secret_encrypted else "— not set —"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A new key is the fix for a key the vendor rejected (lifecycle: "reactivate when a new key arrives").
        if change and form.cleaned_data.get("api_key") and obj.state == AccountState.DISABLED:
            lifecycle.set_account_state(obj, AccountState.ACTIVE, "New API key saved")


# --- Batches and tasks ------------------------------------------------------------------------------------------
@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "state", "is_pilot", "created_by", "task_count", "created_at"]
    list_filter = ["state", "is_pilot", "project__program__team"]
    search_fields = ["label", "project__name", "form_token"]
    list_select_related = ["project", "created_by"]
    autocomplete_fields = ["project"]
    # Pausing and cancelling go through generations.batches (the studio's batch controls), which also deal with
    # the tasks still waiting; a bare state edit here would skip that.
    readonly_fields = ["form_token", "state", "is_pilot", "pilot_of", "comparison", "config", "created_by",
                       "created_at"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(task_total=Count("tasks"))

    @admin.display(description="Tasks", ordering="task_total")
    def task_count(self, obj):
        return obj.task_total


@admin.register(Comparison)
class ComparisonAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "winner", "decided_by", "decided_at", "created_at"]
    list_filter = ["project__program__team"]
    search_fields = ["label", "project__name"]
    list_select_related = ["project", "winner__sku", "decided_by"]
    autocomplete_fields = ["project"]
    readonly_fields = ["winner", "decided_by", "decided_at", "created_by", "created_at"]  # a reviewer's decision
    date_hierarchy = "created_at"


class TaskOutputInline(admin.TabularInline):
    model = TaskOutput
    fk_name = "task"
    extra = 0
    fields = ["preview", "kind", "round", "review_status", "flagged", "vendor_result_id", "created_at"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Output")
    def preview(self, obj):
        return output_preview(obj)


class ReviewEventInline(admin.TabularInline):
    model = ReviewEvent
    extra = 0
    fields = ["created_at", "stage", "decision", "actor", "output", "comment"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "output")


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["id", "sku", "team", "account", "operation", "status", "step", "needs_attention",
                    "estimated_credits", "charged_credits", "created_at"]
    list_display_links = ["id", "sku"]
    list_filter = ["status", "operation", "needs_attention", "account__vendor", "team"]
    search_fields = ["=id", "sku__code", "vendor_task_id", "attempt_key"]
    list_select_related = ["sku", "team", "account"]
    autocomplete_fields = ["team", "sku", "batch", "account", "garment_images", "model_image", "pose", "style",
                           "parent_output"]
    date_hierarchy = "created_at"
    # Status and the engine's bookkeeping move only through lifecycle/runs; vendor ids record what was paid for.
    readonly_fields = ["status", "step", "round", "attempt_key", "attempt_started_at", "attempts", "lease_until",
                       "next_run_at", "vendor_task_id", "vendor_state", "error_message", "charged_credits",
                       "created_by", "created_at", "updated_at", "submitted_at", "finished_at"]
    inlines = [TaskOutputInline, ReviewEventInline]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(TaskOutput)
class TaskOutputAdmin(admin.ModelAdmin):
    list_display = ["preview", "task", "kind", "round", "review_status", "flagged", "vendor_result_id",
                    "created_at"]
    list_display_links = ["preview", "task"]
    list_filter = ["kind", "review_status", "flagged"]
    search_fields = ["=id", "=task__id", "vendor_result_id", "task__sku__code"]
    list_select_related = ["task__sku"]
    autocomplete_fields = ["task", "parent"]
    readonly_fields = ["preview", "review_status", "vendor_result_id", "width", "height", "size_bytes",
                       "nsfw_probability", "created_at"]
    date_hierarchy = "created_at"

    @admin.display(description="Output")
    def preview(self, obj):
        return output_preview(obj)


@admin.register(ReviewEvent)
class ReviewEventAdmin(ReadOnlyOnceSavedMixin, admin.ModelAdmin):
    list_display = ["created_at", "task", "output", "stage", "decision", "actor"]
    list_filter = ["stage", "decision"]
    search_fields = ["=task__id", "comment", "actor__username"]
    list_select_related = ["task__sku", "output", "actor"]
    autocomplete_fields = ["task", "output", "actor"]
    readonly_fields = ["created_at"]
    date_hierarchy = "created_at"


# --- Ledger and vendor records ----------------------------------------------------------------------------------
@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyOnceSavedMixin, admin.ModelAdmin):
    list_display = ["created_at", "team", "account", "kind", "credits", "operation", "task", "external_id"]
    list_filter = ["kind", "account__vendor", "team"]
    search_fields = ["external_id", "note", "operation", "=task__id"]
    list_select_related = ["team", "account", "task__sku"]
    autocomplete_fields = ["team", "account", "task"]
    readonly_fields = ["created_at"]
    date_hierarchy = "created_at"


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyOnceSavedMixin, admin.ModelAdmin):
    list_display = ["received_at", "vendor", "event_type", "event_id", "account", "task", "processed_at"]
    list_filter = ["vendor", "event_type"]
    search_fields = ["event_id", "event_type", "=task__id"]
    list_select_related = ["account", "task__sku"]
    autocomplete_fields = ["account", "task"]
    readonly_fields = ["payload", "received_at", "processed_at"]
    date_hierarchy = "received_at"


@admin.register(VendorReference)
class VendorReferenceAdmin(ReadOnlyOnceSavedMixin, admin.ModelAdmin):
    list_display = ["kind", "vendor_id", "account", "content_type", "object_id", "key", "created_at"]
    list_filter = ["kind", "account__vendor", "content_type"]
    search_fields = ["vendor_id", "kind", "key"]
    list_select_related = ["account", "content_type"]
    autocomplete_fields = ["account"]
    readonly_fields = ["raw", "created_at"]
    date_hierarchy = "created_at"


@admin.register(HuhuImageRequest)
class HuhuImageRequestAdmin(admin.ModelAdmin):
    """Faces / model images / poses started from the model pages. What Huhu gave us (request id, results, what was
    saved) and the statuses the worker job moves are read-only."""

    list_display = ["id", "kind", "program", "team", "account", "status", "num_images", "request_id", "save_status",
                    "created_by", "created_at"]
    list_filter = ["kind", "status", "save_status", "team"]
    search_fields = ["=id", "request_id", "prompt", "program__name"]
    list_select_related = ["program", "team", "account", "created_by"]
    autocomplete_fields = ["team", "account", "program", "fashion_model", "reference_image"]
    readonly_fields = ["form_token", "request_id", "reference_id", "status", "message", "results", "save_status",
                       "save_message", "saved", "created_by", "created_at", "updated_at", "submitted_at",
                       "finished_at"]
    date_hierarchy = "created_at"


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    """Large exports a worker writes into storage (generations/export_jobs.py): progress and outcome, read-only."""

    list_display = ["pk", "project", "team", "state", "done", "total", "size_bytes", "created_at", "finished_at"]
    list_filter = ["state", "team"]
    list_select_related = ["project", "team"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
