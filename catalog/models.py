"""The catalog mirrors Huhu's data model (seeds 000 "Data Model", 001 §2): Program > Project > SKU > GarmentImage,
plus fashion models with their images, styles and poses. Status strings are copied verbatim from the documents."""
import uuid

from django.conf import settings
from django.db import models

from studio.models import Team
from studio.tenancy import TeamScopedQuerySet


def _media_name(prefix: str, filename: str) -> str:
    """Storage names are ours: a random id and the extension we decoded, never the user's file name."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    if ext not in {"jpg", "jpeg", "png", "webp", "mp4", "gif"}:
        ext = "bin"
    return f"{prefix}/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}.{ext}"


def garment_upload_to(instance, filename):
    return _media_name("garments", filename)


def model_image_upload_to(instance, filename):
    return _media_name("models", filename)


def pose_upload_to(instance, filename):
    return _media_name("poses", filename)


def thumbnail_upload_to(instance, filename):
    return _media_name("thumbs", filename)


def visible_program_ids(team):
    """Programs a team owns or that were shared with it (Huhu: "Programs can be shared across teams")."""
    return Program.objects.for_team(team).values("pk")


class ProgramQuerySet(TeamScopedQuerySet):
    def for_team(self, team):
        if team is None:
            return self.none()
        shared = ProgramShare.objects.filter(team=team).values("program_id")
        return self.filter(models.Q(team=team) | models.Q(pk__in=shared))


class Program(models.Model):
    """A brand workspace. One team owns it (and pays); other teams can be invited through ProgramShare."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="programs")
    name = models.CharField(max_length=200)
    shared_with = models.ManyToManyField(Team, through="ProgramShare", related_name="shared_programs", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProgramQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ProgramShare(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="shares")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="program_shares")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "team"], name="share_program_once_per_team")]

    def __str__(self):
        return f"{self.program} shared with {self.team}"


class ProgramScopedQuerySet(TeamScopedQuerySet):
    program_path = "program"

    def for_team(self, team):
        if team is None:
            return self.none()
        return self.filter(**{f"{self.program_path}__in": visible_program_ids(team)})


class ProjectStatus(models.TextChoices):
    # Huhu 001 §5.5: "project_status values: Creating, Created, In process, Completed"
    CREATING = "Creating"
    CREATED = "Created"
    IN_PROCESS = "In process"
    COMPLETED = "Completed"


class Project(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.CREATED)
    budget_credits = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                                         help_text="Optional cap in credits for everything generated here.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProgramScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name


class SKUStatus(models.TextChoices):
    # Huhu 001 §5.10: "SKU statuses: Created, In process, Generated, Reviewing pending, Completed"
    CREATED = "Created"
    IN_PROCESS = "In process"
    GENERATED = "Generated"
    REVIEWING_PENDING = "Reviewing pending"
    COMPLETED = "Completed"


class GarmentType(models.TextChoices):
    # Huhu 001 §5.21: "Garment types: Top, Bottom, Full body, Accessory, Shoes"
    TOP = "Top"
    BOTTOM = "Bottom"
    FULL_BODY = "Full body"
    ACCESSORY = "Accessory"
    SHOES = "Shoes"


class SKUQuerySet(ProgramScopedQuerySet):
    program_path = "project__program"

    def active(self):
        """SKUs not archived: the ones the project grid, the generate forms and bulk runs offer."""
        return self.filter(archived_at__isnull=True)


class SKU(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="skus")
    code = models.CharField("SKU", max_length=120)
    name = models.CharField(max_length=200, blank=True)
    # Huhu: "Product category — minidress, t-shirt, pants, bikini, etc. (13 categories)"; free text, the list is not
    # published.
    category = models.CharField(max_length=60, blank=True)
    garment_type = models.CharField(max_length=20, choices=GarmentType.choices, default=GarmentType.TOP)
    accessory_sub_type = models.CharField(max_length=40, blank=True, help_text="bag, hat, glasses, …")
    status = models.CharField(max_length=20, choices=SKUStatus.choices, default=SKUStatus.CREATED)
    fashion_model = models.ForeignKey("FashionModel", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="skus")
    style = models.ForeignKey("Style", null=True, blank=True, on_delete=models.SET_NULL, related_name="skus")
    description = models.TextField(blank=True, help_text="Garment description used in prompts; editable.")
    # Archived: off the project grid and out of new runs; its tasks, outputs and exports already made stay.
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SKUQuerySet.as_manager()

    class Meta:
        verbose_name = "SKU"
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["project", "code"], name="sku_code_unique_in_project")]

    def __str__(self):
        return self.code


class GarmentView(models.TextChoices):
    FRONT = "front"
    BACK = "back"
    SIDE = "side"


class Presentation(models.TextChoices):
    # Huhu 001 §5.10: "presentation: flatlay_clean, on_model, on_mannequin"
    FLATLAY_CLEAN = "flatlay_clean"
    ON_MODEL = "on_model"
    ON_MANNEQUIN = "on_mannequin"


class GarmentImageQuerySet(ProgramScopedQuerySet):
    program_path = "sku__project__program"


class GarmentImage(models.Model):
    sku = models.ForeignKey(SKU, on_delete=models.CASCADE, related_name="garment_images")
    image = models.ImageField(upload_to=garment_upload_to, width_field="width", height_field="height")
    thumbnail = models.ImageField(upload_to=thumbnail_upload_to, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveBigIntegerField(default=0)
    checksum = models.CharField(max_length=64, db_index=True, help_text="SHA-256 of the stored bytes")
    original_name = models.CharField(max_length=255, blank=True, help_text="Shown to people only; never a path.")
    garment_type = models.CharField(max_length=20, choices=GarmentType.choices, default=GarmentType.TOP)
    view = models.CharField(max_length=10, choices=GarmentView.choices, default=GarmentView.FRONT)
    presentation = models.CharField(max_length=20, choices=Presentation.choices,
                                    default=Presentation.FLATLAY_CLEAN)
    caption = models.TextField(blank=True, help_text="Vision caption or the user's description of the garment")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GarmentImageQuerySet.as_manager()

    class Meta:
        ordering = ["sku", "view", "created_at"]
        constraints = [models.UniqueConstraint(fields=["sku", "checksum"], name="garment_image_once_per_sku")]

    def __str__(self):
        return f"{self.sku} {self.view} {self.garment_type}"


class ModelType(models.TextChoices):
    MEN = "Men"
    WOMEN = "Women"
    BABY = "Baby"
    TODDLER = "Toddler"
    KID = "Kid"
    MATERNITY = "Maternity"


class ModelSize(models.TextChoices):
    PETIT = "Petit"  # sic: Huhu's spelling
    REGULAR = "Regular"
    PLUS_SIZE = "Plus size"


class FashionModel(models.Model):
    """An AI fashion model identity (Huhu POST /model). Attributes are Huhu's filter vocabulary."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="fashion_models")
    name = models.CharField(max_length=200)
    model_type = models.CharField(max_length=20, choices=ModelType.choices, default=ModelType.WOMEN)
    model_size = models.CharField(max_length=20, choices=ModelSize.choices, default=ModelSize.REGULAR)
    ethnicity = models.CharField(max_length=60, blank=True)
    age_range = models.CharField(max_length=40, blank=True)  # Young, Young Adult, Middle-aged, Mature, Senior
    hair_color = models.CharField(max_length=40, blank=True)
    hair_style = models.CharField(max_length=40, blank=True)
    skin_tone = models.CharField(max_length=40, blank=True)  # Fair, Light, Medium, Olive, Tan, Brown, Dark
    eye_color = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProgramScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ViewType(models.TextChoices):
    FRONT_FACING = "front_facing"
    BACK_FACING = "back_facing"


class CropType(models.TextChoices):
    FULLBODY = "fullbody"
    HEAD_HALF_CROPPED = "head_half_cropped"
    TOP = "top"
    BOTTOM = "bottom"


class Style(models.Model):
    """A background/scene template (Huhu 001 §2: "Style (background/scene template)")."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="styles")
    name = models.CharField(max_length=120)
    prompt = models.TextField(blank=True, help_text="Background and lighting words used in prompts")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProgramScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ModelImageQuerySet(ProgramScopedQuerySet):
    program_path = "fashion_model__program"


class ModelImage(models.Model):
    fashion_model = models.ForeignKey(FashionModel, on_delete=models.CASCADE, related_name="images")
    style = models.ForeignKey(Style, null=True, blank=True, on_delete=models.SET_NULL, related_name="model_images")
    image = models.ImageField(upload_to=model_image_upload_to, width_field="width", height_field="height")
    thumbnail = models.ImageField(upload_to=thumbnail_upload_to, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    view_type = models.CharField(max_length=20, choices=ViewType.choices, blank=True)
    crop_type = models.CharField(max_length=20, choices=CropType.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ModelImageQuerySet.as_manager()

    class Meta:
        ordering = ["fashion_model", "created_at"]

    def __str__(self):
        return f"{self.fashion_model} {self.view_type or ''} {self.crop_type or ''}".strip()


class PoseCategory(models.TextChoices):
    # Huhu GET /pose/library model_category filter
    WOMEN = "Women"
    MEN = "Men"
    CHILD = "Child"
    INFANT = "Infant"


class PromptType(models.TextChoices):
    FULLBODY = "fullbody"
    HEAD_HALF_CROPPED = "head_half_cropped"
    TOP = "top"
    BOTTOM = "bottom"
    CLOSE_UP_UPPER_BODY = "close_up_upper_body"
    CLOSE_UP_LOWER_BODY = "close_up_lower_body"


class PoseQuerySet(ProgramScopedQuerySet):
    def for_team(self, team):
        if team is None:
            return self.none()
        # Presets (no program) are the shared library every team may use; custom poses belong to a program.
        return self.filter(models.Q(program__isnull=True) | models.Q(program__in=visible_program_ids(team)))


class Pose(models.Model):
    program = models.ForeignKey(Program, null=True, blank=True, on_delete=models.CASCADE, related_name="poses",
                                help_text="Empty for presets of the shared library")
    name = models.CharField(max_length=200)
    is_preset = models.BooleanField(default=False)
    category = models.CharField(max_length=20, choices=PoseCategory.choices, default=PoseCategory.WOMEN)
    prompt_type = models.CharField(max_length=30, choices=PromptType.choices, default=PromptType.FULLBODY)
    prompt = models.TextField(blank=True)
    reference_image = models.ImageField(upload_to=pose_upload_to, blank=True)
    thumbnail = models.ImageField(upload_to=thumbnail_upload_to, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PoseQuerySet.as_manager()

    class Meta:
        ordering = ["category", "name"]

    def __str__(self):
        return self.name


def archive_upload_to(instance, filename):
    return f"imports/{uuid.uuid4().hex}.zip"


class ImportStatus(models.TextChoices):
    UPLOADING = "uploading", "Uploading"  # the browser is sending parts straight to S3 (catalog/s3_uploads.py)
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Refused"


class ZipImportQuerySet(ProgramScopedQuerySet):
    program_path = "project__program"


class ZipImport(models.Model):
    """One uploaded archive of SKU folders and what became of every entry (the report the user reads)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="imports")
    archive = models.FileField(upload_to=archive_upload_to)
    original_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    total_entries = models.PositiveIntegerField(default=0)
    processed_entries = models.PositiveIntegerField(default=0)
    skus_created = models.PositiveIntegerField(default=0)
    images_created = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, help_text="Why the whole archive was refused, or warnings")
    report = models.JSONField(default=list, blank=True, help_text="One row per entry: name, sku, outcome, reason")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Direct upload to S3 (catalog/s3_uploads.py): the multipart upload's id and the part size the browser was given.
    upload_id = models.CharField(max_length=1024, blank=True)
    upload_part_size = models.PositiveBigIntegerField(default=0)

    objects = ZipImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Import {self.pk} into {self.project}"

    @property
    def percent(self) -> int:
        return int(100 * self.processed_entries / self.total_entries) if self.total_entries else 0
