"""Admin for the catalog. SKU and Project statuses are read-only here: they are derived from tasks by
generations.lifecycle.rollup_sku, so the only status action offered is "recompute from tasks"."""
import logging

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction

# Admin modules load after every app's models, so showing the generations side of a SKU here is safe.
from generations.lifecycle import rollup_project, rollup_sku
from generations.models import Task
from studio.admin import preview

from . import images
from .jobs import make_thumbnail
from .models import (
    SKU,
    FashionModel,
    GarmentImage,
    ModelImage,
    Pose,
    Program,
    ProgramShare,
    Project,
    Style,
    ZipImport,
)

logger = logging.getLogger(__name__)


class ThumbnailQueueMixin:
    """Uploads made in the admin get their thumbnail from the media worker, like every other upload."""

    thumbnail_kind = ""
    thumbnail_source = "image"

    def save_model(self, request, obj, form, change):
        if self.thumbnail_source in form.changed_data:
            obj.thumbnail = ""  # the old thumbnail shows the old picture; the worker makes a new one
        super().save_model(request, obj, form, change)
        if getattr(obj, self.thumbnail_source) and not obj.thumbnail:
            kind, pk = self.thumbnail_kind, obj.pk
            transaction.on_commit(lambda: _queue_thumbnail(kind, pk))


def _queue_thumbnail(kind: str, pk: int) -> None:
    """A broker outage must not turn a saved upload into an error page; pages show the original meanwhile."""
    try:
        make_thumbnail.delay(kind, pk)
    except Exception:
        logger.warning("could not queue a thumbnail for %s %s", kind, pk, exc_info=True)


# --- Programs and projects --------------------------------------------------------------------------------------
class ProgramShareInline(admin.TabularInline):
    model = ProgramShare
    fk_name = "program"
    extra = 0
    fields = ["team", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["team"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "created_at"]
    list_filter = ["team"]
    search_fields = ["name", "team__name"]
    list_select_related = ["team"]
    autocomplete_fields = ["team"]
    date_hierarchy = "created_at"
    inlines = [ProgramShareInline]


@admin.register(ProgramShare)
class ProgramShareAdmin(admin.ModelAdmin):
    list_display = ["program", "team", "created_at"]
    list_filter = ["team"]
    search_fields = ["program__name", "team__name"]
    list_select_related = ["program", "team"]
    autocomplete_fields = ["program", "team"]
    date_hierarchy = "created_at"


@admin.action(description="Recompute status from tasks")
def recompute_project_status(modeladmin, request, queryset):
    for project_id in queryset.values_list("pk", flat=True):
        rollup_project(project_id)
    modeladmin.message_user(request, "Statuses recomputed.", messages.SUCCESS)


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "program", "team", "status", "budget_credits", "created_at"]
    list_filter = ["status", "program__team"]
    search_fields = ["name", "program__name"]
    list_select_related = ["program__team"]
    autocomplete_fields = ["program"]
    readonly_fields = ["status", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    actions = [recompute_project_status]

    @admin.display(ordering="program__team__name")
    def team(self, obj):
        return obj.program.team


# --- SKUs and garment images ------------------------------------------------------------------------------------
class GarmentImageForm(forms.ModelForm):
    """An admin upload is checked like any upload (format, size, full decode) and gets its checksum and size."""

    class Meta:
        model = GarmentImage
        fields = ["sku", "image", "original_name", "garment_type", "view", "presentation", "caption"]

    def clean_image(self):
        upload = self.cleaned_data["image"]
        if upload and "image" in self.changed_data:
            upload.seek(0)
            # One byte over the cap is enough for check_image to refuse it without reading a huge file.
            data = upload.read(settings.STUDIO_MAX_IMAGE_BYTES + 1)
            upload.seek(0)
            try:
                checked = images.check_image(data)
            except images.RejectedImage as exc:
                raise ValidationError(f"This file {exc}.") from None
            self.instance.checksum, self.instance.size_bytes = checked.checksum, checked.size_bytes
        return upload

    def clean(self):
        cleaned = super().clean()
        sku, checksum = cleaned.get("sku"), self.instance.checksum
        if "image" in self.changed_data and cleaned.get("image") and not cleaned.get("original_name"):
            cleaned["original_name"] = cleaned["image"].name[:255]  # shown to people only, never used as a path
        if sku and checksum and "image" in self.changed_data:
            duplicate = GarmentImage.objects.filter(sku=sku, checksum=checksum).exclude(pk=self.instance.pk)
            if duplicate.exists():
                raise ValidationError("This SKU already has this exact image.")
        return cleaned


class GarmentImageInline(admin.TabularInline):
    """Existing images at a glance; new ones are uploaded on the garment image page, where they are checked."""

    model = GarmentImage
    extra = 0
    fields = ["preview", "view", "garment_type", "presentation", "width", "height", "size_bytes"]
    readonly_fields = ["preview", "width", "height", "size_bytes"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Image")
    def preview(self, obj):
        return preview(obj)


class TaskInline(admin.TabularInline):
    """Tasks are created and advanced by the engine; the SKU page only lists them."""

    model = Task
    extra = 0
    fields = ["operation", "status", "account", "estimated_credits", "charged_credits", "created_at"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account")


@admin.action(description="Recompute status from tasks")
def recompute_sku_status(modeladmin, request, queryset):
    for sku_id in queryset.values_list("pk", flat=True):
        rollup_sku(sku_id)
    modeladmin.message_user(request, "Statuses recomputed.", messages.SUCCESS)


@admin.register(SKU)
class SKUAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "project", "garment_type", "category", "status", "fashion_model", "style",
                    "created_at"]
    list_filter = ["status", "garment_type", "project__program__team"]
    search_fields = ["code", "name", "category", "project__name"]
    list_select_related = ["project", "fashion_model", "style"]
    autocomplete_fields = ["project", "fashion_model", "style"]
    readonly_fields = ["status", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    inlines = [GarmentImageInline, TaskInline]
    actions = [recompute_sku_status]


@admin.register(GarmentImage)
class GarmentImageAdmin(ThumbnailQueueMixin, admin.ModelAdmin):
    form = GarmentImageForm
    thumbnail_kind = "garment"
    list_display = ["preview", "sku", "view", "garment_type", "presentation", "width", "height", "size_bytes",
                    "created_at"]
    list_display_links = ["preview", "sku"]
    list_filter = ["view", "garment_type", "presentation"]
    search_fields = ["sku__code", "original_name", "checksum"]
    list_select_related = ["sku"]
    autocomplete_fields = ["sku"]
    readonly_fields = ["preview", "width", "height", "size_bytes", "checksum", "uploaded_by", "created_at"]
    date_hierarchy = "created_at"

    @admin.display(description="Image")
    def preview(self, obj):
        return preview(obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)


# --- Models, styles, poses --------------------------------------------------------------------------------------
class ModelImageInline(admin.TabularInline):
    model = ModelImage
    extra = 0
    fields = ["preview", "view_type", "crop_type", "style"]
    readonly_fields = ["preview"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Image")
    def preview(self, obj):
        return preview(obj)


@admin.register(FashionModel)
class FashionModelAdmin(admin.ModelAdmin):
    list_display = ["name", "program", "model_type", "model_size", "ethnicity", "age_range", "hair_color",
                    "skin_tone", "created_at"]
    list_filter = ["model_type", "model_size", "age_range", "skin_tone"]
    search_fields = ["name", "ethnicity", "hair_color", "program__name"]
    list_select_related = ["program"]
    autocomplete_fields = ["program"]
    date_hierarchy = "created_at"
    inlines = [ModelImageInline]


@admin.register(ModelImage)
class ModelImageAdmin(ThumbnailQueueMixin, admin.ModelAdmin):
    thumbnail_kind = "model"
    list_display = ["preview", "fashion_model", "view_type", "crop_type", "style", "width", "height", "created_at"]
    list_display_links = ["preview", "fashion_model"]
    list_filter = ["view_type", "crop_type"]
    search_fields = ["fashion_model__name"]
    list_select_related = ["fashion_model", "style"]
    autocomplete_fields = ["fashion_model", "style"]
    fields = ["fashion_model", "image", "preview", "view_type", "crop_type", "style", "width", "height"]
    readonly_fields = ["preview", "width", "height"]
    date_hierarchy = "created_at"

    @admin.display(description="Preview")
    def preview(self, obj):
        return preview(obj)


@admin.register(Style)
class StyleAdmin(admin.ModelAdmin):
    list_display = ["name", "program", "created_at"]
    list_filter = ["program__team"]
    search_fields = ["name", "prompt", "program__name"]
    list_select_related = ["program"]
    autocomplete_fields = ["program"]
    date_hierarchy = "created_at"


@admin.register(Pose)
class PoseAdmin(ThumbnailQueueMixin, admin.ModelAdmin):
    thumbnail_kind = "pose"
    thumbnail_source = "reference_image"
    list_display = ["preview", "name", "category", "prompt_type", "is_preset", "program", "created_at"]
    list_display_links = ["preview", "name"]
    list_filter = ["is_preset", "category", "prompt_type"]
    search_fields = ["name", "prompt"]
    list_select_related = ["program"]
    autocomplete_fields = ["program"]
    fields = ["name", "program", "is_preset", "category", "prompt_type", "prompt", "reference_image", "preview"]
    readonly_fields = ["preview"]
    date_hierarchy = "created_at"

    @admin.display(description="Preview")
    def preview(self, obj):
        return preview(obj, "reference_image")


# --- Zip imports --------------------------------------------------------------------------------------------------
@admin.register(ZipImport)
class ZipImportAdmin(admin.ModelAdmin):
    """The import job writes status, counters and the report; the admin only reads them."""

    list_display = ["__str__", "project", "original_name", "status", "processed_entries", "total_entries",
                    "skus_created", "images_created", "created_by", "created_at"]
    list_filter = ["status"]
    search_fields = ["original_name", "project__name"]
    list_select_related = ["project", "created_by"]
    autocomplete_fields = ["project"]
    readonly_fields = ["status", "size_bytes", "total_entries", "processed_entries", "skus_created",
                       "images_created", "message", "report", "created_by", "created_at", "finished_at"]
    date_hierarchy = "created_at"
