"""Vendor accounts, generation tasks and everything they produce.

Task.status uses Huhu's task lifecycle verbatim (001 §5.18 "Task status values (in order)"). Status moves only
through generations.lifecycle; the engine's own bookkeeping (which step runs next, lease, attempt key) lives in
separate columns so the user-facing status stays the vendor vocabulary.
"""
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from catalog.models import (SKU, FashionModel, GarmentImage, ModelImage, Pose, Project, Style, thumbnail_upload_to,
                            visible_program_ids)
from studio.models import Team
from studio.tenancy import TeamScopedQuerySet

from . import secrets


class Vendor(models.TextChoices):
    SANDBOX = "sandbox", "Sandbox (local, no key)"
    HUHU = "huhu", "Huhu Studio"
    UWEAR = "uwear", "Uwear"
    HAUTECH = "hautech", "Hautech"
    ARTEMOTION = "artemotion", "ArtEmotion"


class AccountState(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused (out of credits)"
    DISABLED = "disabled", "Disabled (key rejected)"


def new_webhook_token() -> str:
    import secrets as _secrets

    return _secrets.token_urlsafe(16)


class VendorAccount(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="vendor_accounts")
    vendor = models.CharField(max_length=20, choices=Vendor.choices)
    name = models.CharField(max_length=120)
    base_url = models.URLField(max_length=300, blank=True,
                               help_text="Empty means the vendor's production URL from its documents.")
    api_key_encrypted = models.TextField(blank=True, editable=False)
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    state = models.CharField(max_length=12, choices=AccountState.choices, default=AccountState.ACTIVE)
    state_message = models.TextField(blank=True)
    credit_balance = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    balance_checked_at = models.DateTimeField(null=True, blank=True)
    concurrency_limit = models.PositiveIntegerField(default=10, help_text="Huhu: concurrent_requests (default 10)")
    submissions_per_minute = models.PositiveIntegerField(null=True, blank=True,
                                                         help_text="Where the vendor documents a rate")
    settings = models.JSONField(default=dict, blank=True, help_text="Vendor-specific options (workflow ids, …)")
    # The account's public id in its webhook URL (webhooks/<vendor>/<token>/): tells us whose secret verifies the
    # signature without exposing the primary key. Not a secret itself; the signature is.
    webhook_token = models.CharField(max_length=40, unique=True, default=new_webhook_token, editable=False)
    # The account the generate forms preselect: one per team, chosen by a team admin on the accounts page.
    is_team_default = models.BooleanField(default=False, editable=False)
    # The last connection test: None never tested, False failed (then it is marked and never preselected).
    last_test_ok = models.BooleanField(null=True, editable=False)
    last_test_message = models.TextField(blank=True, editable=False)
    last_tested_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["team__name", "name"]
        constraints = [models.UniqueConstraint(fields=["team"], condition=models.Q(is_team_default=True),
                                               name="one_default_account_per_team")]

    def __str__(self):
        return f"{self.name} ({self.get_vendor_display()})"

    # Secrets: write-only from the outside. Callers set plaintext; only the adapter reads it back.
    def set_api_key(self, plaintext: str) -> None:
        self.api_key_encrypted = secrets.encrypt(plaintext)

    def set_webhook_secret(self, plaintext: str) -> None:
        self.webhook_secret_encrypted = secrets.encrypt(plaintext)

    def reveal_api_key(self) -> str:
        return secrets.decrypt(self.api_key_encrypted)

    def reveal_webhook_secret(self) -> str:
        return secrets.decrypt(self.webhook_secret_encrypted)

    def own_secrets(self) -> tuple[str, ...]:
        """The account's key and webhook secret in plaintext, for removing them from vendor messages only."""
        found = []
        for encrypted in (self.api_key_encrypted, self.webhook_secret_encrypted):
            try:
                found.append(secrets.decrypt(encrypted) if encrypted else "")
            except secrets.SecretUnreadable:  # cannot have been sent, so cannot be echoed back either
                continue
        return tuple(s for s in found if s)

    def scrub(self, text: str) -> str:
        """A vendor message as it may be stored, logged or shown: without this account's own key and secret,
        whatever their shape, nor anything else shaped like a credential (DESIGN.md §3)."""
        from studio.logging import redact, redact_secrets

        return redact(redact_secrets(text or "", self.own_secrets()))

    @property
    def masked_api_key(self) -> str:
        return "•" * 8 if self.api_key_encrypted else "— not set —"

    @property
    def has_api_key(self) -> bool:
        return bool(self.api_key_encrypted)


class ProgramScoped(TeamScopedQuerySet):
    program_path = "sku__project__program"

    def for_team(self, team):
        if team is None:
            return self.none()
        return self.filter(**{f"{self.program_path}__in": visible_program_ids(team)})


class Operation(models.TextChoices):
    TRY_ON = "try_on", "Try-on"
    MODEL_IMAGE = "model_image", "Model image"
    FACE = "face", "Face"
    POSE = "pose", "Pose"
    EDIT = "edit", "Edit"
    UPSCALE = "upscale", "Upscale"
    VIDEO = "video", "Video"


class TaskStatus(models.TextChoices):
    TASK_CREATED = "Task created"
    TASK_SUBMITTED = "Task submitted"
    GENERATION_STARTED = "Generation started"
    GENERATION_IN_PROCESS = "Generation in process"
    GENERATION_COMPLETED = "Generation completed"
    GENERATION_FAILED = "Generation failed"
    EDITING_SUBMITTED = "Editing submitted"
    EDITING_IN_PROCESS = "Editing in process"
    EDITING_COMPLETED = "Editing completed"
    EDITING_FAILED = "Editing failed"
    REVIEW_SUBMITTED = "Review submitted"
    REVIEW_IN_PROCESS = "Review in process"
    REVIEW_APPROVED = "Review approved"
    REVIEW_REJECTED = "Review rejected"
    CLIENT_APPROVED = "Client approved"
    CLIENT_REJECTED = "Client rejected"


class BatchQuerySet(ProgramScoped):
    program_path = "project__program"


class BatchState(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    CANCELLED = "cancelled", "Cancelled"


class Comparison(models.Model):
    """The same SKU, model image and pose run on several vendor accounts at once; a reviewer marks a winner."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="comparisons")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    label = models.CharField(max_length=200, blank=True)
    winner = models.ForeignKey("Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.label or f"Comparison {self.pk}"


class Batch(models.Model):
    """Tasks launched together (one click on one or many SKUs); the project page shows a progress bar per batch."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="batches")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    label = models.CharField(max_length=200, blank=True)
    # A form token makes a double click or a second tab land on the same batch instead of a duplicate.
    form_token = models.CharField(max_length=64, unique=True)
    # Paused: tasks not yet submitted wait; cancelled: they are never submitted. Work already at a vendor finishes.
    state = models.CharField(max_length=10, choices=BatchState.choices, default=BatchState.RUNNING)
    # A pilot runs the first SKUs only; `config` keeps the launch settings and the SKUs left for "run the rest".
    is_pilot = models.BooleanField(default=False)
    pilot_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rest")
    config = models.JSONField(default=dict, blank=True)
    comparison = models.ForeignKey(Comparison, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="batches")
    created_at = models.DateTimeField(auto_now_add=True)
    # Counters the polling fragments read instead of counting tasks (issue 17): kept current by
    # lifecycle.transition_task (status buckets), launch (totals) and the credit ledger (charges).
    account = models.ForeignKey(VendorAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tasks_total = models.PositiveIntegerField(default=0)
    tasks_waiting = models.IntegerField(default=0, help_text="Not yet sent to the vendor")
    tasks_at_vendor = models.IntegerField(default=0, help_text="Sent; the vendor is working on them")
    tasks_done = models.IntegerField(default=0)
    tasks_failed = models.IntegerField(default=0)
    tasks_cancelled = models.IntegerField(default=0)
    credits_estimated = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    credits_charged = models.DecimalField(max_digits=12, decimal_places=2, default=0,
                                          help_text="What the ledger charged, net of refunds")

    objects = BatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "batches"

    def __str__(self):
        return self.label or f"Batch {self.pk}"


class TaskQuerySet(ProgramScoped):
    program_path = "sku__project__program"


class Task(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="tasks",
                             help_text="The team whose vendor account pays for this task")
    sku = models.ForeignKey(SKU, on_delete=models.CASCADE, related_name="tasks")
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    account = models.ForeignKey(VendorAccount, on_delete=models.PROTECT, related_name="tasks")
    operation = models.CharField(max_length=20, choices=Operation.choices, default=Operation.TRY_ON)
    status = models.CharField(max_length=30, choices=TaskStatus.choices, default=TaskStatus.TASK_CREATED,
                              db_index=True)
    garment_images = models.ManyToManyField(GarmentImage, blank=True, related_name="tasks")
    model_image = models.ForeignKey(ModelImage, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="tasks")
    pose = models.ForeignKey(Pose, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    style = models.ForeignKey(Style, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    parent_output = models.ForeignKey("TaskOutput", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="child_tasks", help_text="For edit/upscale/video chains")
    prompt = models.TextField(blank=True)
    num_outputs = models.PositiveSmallIntegerField(default=1)
    options = models.JSONField(default=dict, blank=True, help_text="Vendor options checked by the capability table")
    # Per-output regenerate (generations/regenerate_output.py): this task remakes one rejected output, with the same
    # inputs; its outputs replace that one.
    replaces = models.ForeignKey("TaskOutput", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="replacements", help_text="The rejected output this task remakes")

    # Engine bookkeeping (generations/engine/runs.py). `step` is what the engine does next; `round` counts generation
    # rounds (a regenerate starts a new round with a new attempt key).
    step = models.CharField(max_length=20, default="submit", db_index=True)
    round = models.PositiveSmallIntegerField(default=1)
    attempt_key = models.CharField(max_length=64, blank=True,
                                   help_text="Recorded before a paid call; identifies that submission")
    attempt_started_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Transient failures of the current step")
    lease_until = models.DateTimeField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    vendor_task_id = models.CharField(max_length=200, blank=True, db_index=True)
    vendor_state = models.JSONField(default=dict, blank=True, help_text="Raw vendor payloads and ids")
    needs_attention = models.BooleanField(default=False)
    error_message = models.TextField(blank=True)

    estimated_credits = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    charged_credits = models.DecimalField(max_digits=10, decimal_places=2, default=0)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["account", "step"], name="task_account_step"),
            # Dashboard "recent tasks", newest first (issue 17).
            models.Index(fields=["-updated_at"], name="task_updated_at"),
            # A batch's tasks held for a person: a handful among many (batches.progress).
            models.Index(fields=["needs_attention"], condition=models.Q(needs_attention=True),
                         name="task_needs_attention"),
        ]

    def __str__(self):
        return f"Task {self.pk} · {self.sku} · {self.status}"

    @property
    def outcome_unknown(self) -> bool:
        """Held because a paid call's answer was lost and the vendor cannot be asked: a manager settles it."""
        return self.needs_attention and bool((self.vendor_state or {}).get("outcome_unknown"))

    @property
    def user_notes(self) -> list[str]:
        """What an adapter wants the person to know about this task (ArtEmotion: "the garment image was
        downscaled to fit the 10 MB limit"), kept with the submission in vendor_state."""
        state = self.vendor_state or {}
        notes = list(state.get("notes") or []) + list((state.get("submission") or {}).get("notes") or [])
        return list(dict.fromkeys(str(n) for n in notes))  # once each, in order


def output_upload_to(instance, filename):
    from catalog.models import _media_name

    return _media_name("outputs", filename)


class OutputKind(models.TextChoices):
    IMAGE = "image"
    VIDEO = "video"


class TaskOutputQuerySet(ProgramScoped):
    program_path = "task__sku__project__program"


class TaskOutput(models.Model):
    """A generated image or video, always a file in OUR storage (vendor URLs expire)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="outputs")
    round = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(max_length=8, choices=OutputKind.choices, default=OutputKind.IMAGE)
    file = models.FileField(upload_to=output_upload_to)
    thumbnail = models.ImageField(upload_to=thumbnail_upload_to, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveBigIntegerField(default=0)
    vendor_result_id = models.CharField(max_length=300, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    # Per-output review, in the same vocabulary as the task lifecycle's review and client stages.
    review_status = models.CharField(max_length=30, default=TaskStatus.REVIEW_SUBMITTED, db_index=True)
    flagged = models.BooleanField(default=False, help_text="Held by the NSFW gate")
    nsfw_probability = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TaskOutputQuerySet.as_manager()

    class Meta:
        ordering = ["task", "round", "created_at"]
        indexes = [
            # The moderation count (held_count) and lane: a handful of flagged rows among many (issue 17).
            models.Index(fields=["flagged"], condition=models.Q(flagged=True), name="output_flagged"),
            # The lane's order, most suspicious first: its page is a top-N walk of this index, not a sort of every
            # held output of the project (2,500 in bench-pages at 5,000 SKUs).
            models.Index(models.F("nsfw_probability").desc(nulls_last=True), models.F("id").asc(),
                         condition=models.Q(flagged=True), name="output_held_order"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["task", "vendor_result_id"], condition=~models.Q(vendor_result_id=""),
                                    name="output_once_per_vendor_result"),
        ]

    def __str__(self):
        return f"Output {self.pk} of task {self.task_id}"


class ReviewStage(models.TextChoices):
    REVIEW = "review", "Review"
    CLIENT = "client", "Client"
    MODERATION = "moderation", "Moderation"
    ATTENTION = "attention", "Needs attention"  # a manager settling a task the engine could not settle


class Decision(models.TextChoices):
    APPROVED = "approved"
    REJECTED = "rejected"
    REGENERATE = "regenerate"
    RELEASED = "released"
    DISCARDED = "discarded"
    RESUBMITTED = "resubmitted", "Not charged: submitted again"
    MARKED_FAILED = "failed", "Marked failed"


class ReviewEventQuerySet(ProgramScoped):
    program_path = "task__sku__project__program"


class ReviewEvent(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="review_events")
    output = models.ForeignKey(TaskOutput, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="review_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    stage = models.CharField(max_length=12, choices=ReviewStage.choices)
    decision = models.CharField(max_length=12, choices=Decision.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReviewEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.actor} {self.decision} at {self.stage}"


class CreditKind(models.TextChoices):
    ESTIMATE = "estimate"
    CHARGE = "charge"
    REFUND = "refund"
    SYNC = "sync", "Vendor history"
    # A paid call whose answer was lost on a vendor we cannot ask: its estimate, until a person or a webhook settles
    # it (runs.StepRun.hold_unknown). Not counted as charged.
    POSSIBLE = "possible", "Possibly charged"


class CreditEntry(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="credit_entries")
    account = models.ForeignKey(VendorAccount, on_delete=models.CASCADE, related_name="credit_entries")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="credit_entries")
    kind = models.CharField(max_length=10, choices=CreditKind.choices)
    credits = models.DecimalField(max_digits=12, decimal_places=2)
    operation = models.CharField(max_length=60, blank=True)
    external_id = models.CharField(max_length=200, blank=True, help_text="Vendor request id for synced history")
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "credit entries"
        constraints = [
            models.UniqueConstraint(fields=["account", "kind", "external_id"], condition=~models.Q(external_id=""),
                                    name="credit_entry_once_per_vendor_record"),
        ]

    def __str__(self):
        return f"{self.kind} {self.credits} ({self.account})"


class WebhookEventQuerySet(TeamScopedQuerySet):
    team_path = "account__team"


class WebhookEvent(models.Model):
    """Every delivery we accepted, kept raw; (account, event_id) dedupes repeats. Per account, not per vendor:
    another team's delivery carrying the same id must never swallow ours (issue 14.7)."""

    account = models.ForeignKey(VendorAccount, null=True, on_delete=models.SET_NULL, related_name="webhook_events")
    vendor = models.CharField(max_length=20, choices=Vendor.choices)
    event_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=80, blank=True)
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events")
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    objects = WebhookEventQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["account", "event_id"], name="webhook_event_once_per_account")]

    def __str__(self):
        return f"{self.vendor} {self.event_type} {self.event_id}"


class VendorReferenceQuerySet(TeamScopedQuerySet):
    team_path = "account__team"


class VendorReference(models.Model):
    """Our object ↔ the vendor's id for it, per account: Huhu program/project/SKU ids, Uwear clothing items and
    avatars, Hautech prepared images and poses. `key` tells apart several references of one kind (an aspect ratio).
    Get-or-create on this row is what keeps a garment from being uploaded or prepared twice."""

    account = models.ForeignKey(VendorAccount, on_delete=models.CASCADE, related_name="references")
    kind = models.CharField(max_length=40)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    key = models.CharField(max_length=80, blank=True)
    vendor_id = models.CharField(max_length=300)
    raw = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VendorReferenceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "kind", "content_type", "object_id", "key"],
                                    name="vendor_reference_once"),
        ]

    def __str__(self):
        return f"{self.kind} → {self.vendor_id}"


class HuhuImageKind(models.TextChoices):
    FACE = "face", "Faces"  # POST /model/face (001 §5.14)
    MODEL_IMAGE = "model_image", "Model images"  # POST /model/image, prompt mode (001 §5.15 Mode 1)
    POSE = "pose", "Poses"  # POST /model/pose (001 §5.20)


class HuhuRequestStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Generating"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class HuhuSaveStatus(models.TextChoices):
    NONE = "", "—"
    SAVING = "saving", "Saving"
    SAVED = "saved", "Saved"
    FAILED = "failed", "Failed"


class HuhuImageRequest(models.Model):
    """One Huhu face / model-image / pose generation started from the model pages, polled with
    GET /model/image?request_id= (001 §5.16). `request_id` is recorded the moment Huhu answers the submission, so a
    re-run job polls instead of paying again. `results` holds each candidate: Huhu's image id and signed URL (kept for
    "save to model", never shown) and our own copy in storage (`file`, `thumbnail`), which is what pages show.
    `saved` lists what was saved to a model: [{"model_image_id", "fashion_model_id", "image_id"}]."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="huhu_image_requests")
    account = models.ForeignKey(VendorAccount, on_delete=models.PROTECT, related_name="huhu_image_requests")
    program = models.ForeignKey("catalog.Program", on_delete=models.CASCADE, related_name="huhu_image_requests")
    fashion_model = models.ForeignKey(FashionModel, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", help_text="The model the request was started from")
    kind = models.CharField(max_length=20, choices=HuhuImageKind.choices)
    mode = models.CharField(max_length=10, blank=True, help_text="Faces: variety or fidelity")
    prompt = models.TextField()
    reference_image = models.ForeignKey(ModelImage, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    reference_id = models.CharField(max_length=500, blank=True,
                                    help_text="What was sent as reference_image: the Huhu gallery image id")
    num_images = models.PositiveSmallIntegerField(default=1)
    form_token = models.CharField(max_length=64, unique=True,
                                  help_text="A double click or a second tab lands on the same request")
    request_id = models.CharField(max_length=200, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=HuhuRequestStatus.choices, default=HuhuRequestStatus.QUEUED)
    message = models.TextField(blank=True)
    results = models.JSONField(default=list, blank=True)
    save_status = models.CharField(max_length=10, choices=HuhuSaveStatus.choices, blank=True)
    save_message = models.TextField(blank=True)
    saved = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["program", "team", "-created_at"], name="huhu_request_program_recent")]

    def __str__(self):
        return f"Huhu {self.get_kind_display().lower()} request {self.pk}"

    @property
    def running(self) -> bool:
        return self.status in (HuhuRequestStatus.QUEUED, HuhuRequestStatus.RUNNING)

    @property
    def polling(self) -> bool:
        return self.running or self.save_status == HuhuSaveStatus.SAVING


class ExportState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Writing the zip"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class ExportJobQuerySet(ProgramScoped):
    program_path = "project__program"

    def asked_by(self, team):
        """The jobs this team asked for (a shared program's other team has its own), pages and API alike."""
        return self.for_team(team).filter(team=team)


def export_upload_to(instance, filename):
    import uuid

    return f"exports/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}.zip"


class ExportJob(models.Model):
    """A large export written by a worker into our storage (generations/export_jobs.py), with its progress."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="export_jobs")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", help_text="The team that asked")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    client_approved_only = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=ExportState.choices, default=ExportState.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=export_upload_to, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Export {self.pk} of {self.project}"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0
