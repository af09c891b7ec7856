"""What the API shows of each object. Read shapes only: writes go through the product's own forms and services
(api/views_*.py), so the rules are the pages' rules."""
from rest_framework import serializers

from catalog.models import SKU, FashionModel, GarmentImage, ModelImage, Pose, Program, Project, ZipImport
from generations.models import Batch, CreditEntry, ExportJob, ExportState, Task, TaskOutput, VendorAccount

from . import links


class ProgramSerializer(serializers.ModelSerializer):
    owned = serializers.SerializerMethodField()

    class Meta:
        model = Program
        fields = ["id", "name", "owned", "created_at"]

    def get_owned(self, obj) -> bool:
        team = self.context["request"]._request.team
        return obj.team_id == team.pk


class ProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "program", "name", "status", "budget_credits", "created_at", "updated_at"]


class SKUSerializer(serializers.ModelSerializer):
    class Meta:
        model = SKU
        fields = ["id", "project", "code", "name", "category", "garment_type", "accessory_sub_type", "status",
                  "fashion_model", "style", "description", "archived_at", "created_at", "updated_at"]
        read_only_fields = ["archived_at"]


class GarmentImageSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = GarmentImage
        fields = ["id", "sku", "original_name", "garment_type", "view", "presentation", "width", "height",
                  "size_bytes", "checksum", "caption", "created_at", "download_url"]

    def get_download_url(self, obj) -> str:
        return links.signed_download_url(self.context["request"], "garment", obj.pk)


class FashionModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = FashionModel
        fields = ["id", "program", "name", "model_type", "model_size", "ethnicity", "age_range", "hair_color",
                  "hair_style", "skin_tone", "eye_color", "created_at"]


class ModelImageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelImage
        fields = ["id", "fashion_model", "style", "width", "height", "view_type", "crop_type", "created_at"]


class PoseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pose
        fields = ["id", "program", "name", "is_preset", "category", "prompt_type", "prompt", "created_at"]


class ZipImportSerializer(serializers.ModelSerializer):
    class Meta:
        model = ZipImport
        fields = ["id", "project", "original_name", "size_bytes", "status", "total_entries", "processed_entries",
                  "skus_created", "images_created", "message", "report", "created_at", "finished_at"]


class VendorAccountSerializer(serializers.ModelSerializer):
    """Never the key, the secret or the base URL: only what a caller needs to choose an account."""

    class Meta:
        model = VendorAccount
        fields = ["id", "vendor", "name", "state", "credit_balance"]


class BatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = Batch
        fields = ["id", "project", "label", "state", "is_pilot", "created_at"]


class TaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "sku", "batch", "account", "operation", "status", "model_image", "pose", "style", "prompt",
                  "num_outputs", "options", "needs_attention", "error_message", "estimated_credits",
                  "charged_credits", "created_at", "submitted_at", "finished_at"]

    def to_representation(self, obj):
        data = super().to_representation(obj)
        membership = getattr(self.context.get("request"), "_request", None)
        if getattr(getattr(membership, "membership", None), "role", None) == "client":
            # Clients see no vendor account, vendor options or vendor error messages (issue 14.2).
            for name in ("account", "options", "error_message", "estimated_credits", "charged_credits"):
                data.pop(name, None)
        return data


class TaskOutputSerializer(serializers.ModelSerializer):
    sku = serializers.IntegerField(source="task.sku_id", read_only=True)
    download_url = serializers.SerializerMethodField()
    download_expires_in = serializers.SerializerMethodField()

    class Meta:
        model = TaskOutput
        fields = ["id", "task", "sku", "round", "kind", "width", "height", "size_bytes", "parent", "review_status",
                  "created_at", "download_url", "download_expires_in"]

    def get_download_url(self, obj) -> str:
        return links.signed_download_url(self.context["request"], "output", obj.pk)

    def get_download_expires_in(self, obj) -> int:
        return links.link_seconds()


class CreditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditEntry
        fields = ["id", "account", "task", "kind", "credits", "operation", "note", "created_at"]


class ExportJobSerializer(serializers.ModelSerializer):
    """The pages' export job in the API's words: status (queued, running, done, failed), files written so far of
    total, and the message when it failed."""

    status = serializers.CharField(source="state", read_only=True)
    files = serializers.IntegerField(source="done", read_only=True)
    message = serializers.CharField(source="error_message", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = ["id", "project", "client_approved_only", "status", "files", "total", "size_bytes", "message",
                  "created_at", "finished_at", "download_url"]

    def get_download_url(self, obj) -> str | None:
        if obj.state != ExportState.DONE or not obj.file:
            return None
        return links.signed_download_url(self.context["request"], "export", obj.pk)


# --- inputs ------------------------------------------------------------------------------------------------------
class LaunchSerializer(serializers.Serializer):
    """The generate form's fields, as JSON. `options` are the vendor's options by name (the capability table)."""

    project = serializers.IntegerField()
    skus = serializers.ListField(child=serializers.IntegerField(), allow_empty=False, max_length=5000)
    account = serializers.IntegerField()
    operation = serializers.CharField(max_length=30)
    num_outputs = serializers.IntegerField(default=1)
    model_image = serializers.IntegerField(required=False, allow_null=True)
    pose = serializers.IntegerField(required=False, allow_null=True)
    style = serializers.IntegerField(required=False, allow_null=True)
    prompt = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    options = serializers.DictField(required=False, default=dict)


class ReviewDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approved", "rejected"])
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


class ExportRequestSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    client_approved_only = serializers.BooleanField(default=False)


class GarmentUrlSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000)
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
