"""The studio's own API (issue 18): keys per team, idempotent requests, outgoing webhook endpoints and deliveries."""
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from studio.models import Role, Team
from studio.tenancy import TeamScopedQuerySet

KEY_PREFIX = "fs_live_"


def hash_key(plaintext: str) -> str:
    """Keys are 256 bits of randomness: a plain SHA-256 is enough (no dictionary to guess from), and a lookup by
    hash is one indexed query."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


class KeyScope(models.TextChoices):
    READ = "read", "Read-only"
    FULL = "full", "Full"


class ApiKey(models.Model):
    """A team's key for the API. The plaintext is shown once when it is made; only its hash is stored, beside a
    short visible prefix (`fs_live_ab12cd34`) so people can tell keys apart in logs and on the page."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=120)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CREATIVE)
    scope = models.CharField(max_length=8, choices=KeyScope.choices, default=KeyScope.READ)
    prefix = models.CharField(max_length=24, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate() -> tuple[str, str]:
        """(plaintext, prefix)."""
        visible = secrets.token_hex(4)
        return f"{KEY_PREFIX}{visible}_{secrets.token_urlsafe(32)}", f"{KEY_PREFIX}{visible}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"


class IdempotentRequest(models.Model):
    """The first answer to a POST that carried an `Idempotency-Key`, per team: the same key and body get it again
    (for STUDIO_API_IDEMPOTENCY_HOURS), the same key with another body is refused."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty while in progress")
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "key"], name="idempotency_key_once_per_team")]


def new_webhook_secret() -> str:
    """Standard Webhooks secrets are `whsec_` + base64 of 24–64 random bytes."""
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="Event types this endpoint receives")
    secret_encrypted = models.TextField(editable=False)
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.url

    def set_secret(self, plaintext: str) -> None:
        from generations import secrets as vault

        self.secret_encrypted = vault.encrypt(plaintext)

    def reveal_secret(self) -> str:
        from generations import secrets as vault

        return vault.decrypt(self.secret_encrypted)


class OutgoingEvent(models.Model):
    """One thing that happened in a team, as sent to its endpoints. `public_id` is the `webhook-id` (the same on
    every retry and resend, so a receiver can dedupe); `dedupe_key` makes "once only" events (batch finished) once."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=40, unique=True)
    event_type = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["team", "dedupe_key"], condition=~models.Q(dedupe_key=""),
                                               name="outgoing_event_once")]

    def __str__(self):
        return f"{self.event_type} {self.public_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Retrying"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDeliveryQuerySet(TeamScopedQuerySet):
    team_path = "endpoint__team"


class WebhookDelivery(models.Model):
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(OutgoingEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint_recent")]

    def __str__(self):
        return f"{self.event} → {self.endpoint} ({self.status})"
