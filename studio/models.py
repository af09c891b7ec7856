"""Teams are the tenants: they own programs, credits and vendor accounts. Users belong through Memberships."""
from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    CREATIVE = "creative", "Creative"
    CLIENT = "client", "Client"


class Team(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    # Vision features (ArtEmotion): caption new garment images, hold NSFW outputs before review.
    captions_enabled = models.BooleanField(default=False)
    nsfw_gate_enabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CREATIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="one_membership_per_team")]
        ordering = ["team__name", "user__username"]

    def __str__(self):
        return f"{self.user} · {self.team} ({self.role})"


class AuditAction(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
    LOCKED_OUT = "locked_out", "Locked out"
    INVITATION_SENT = "invitation_sent", "Invitation sent"
    INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
    ROLE_CHANGED = "role_changed", "Role changed"
    MEMBER_REMOVED = "member_removed", "Member removed"
    VENDOR_KEY_SET = "vendor_key_set", "Vendor key set"
    VENDOR_KEY_ROTATED = "vendor_key_rotated", "Vendor key rotated"
    WEBHOOK_SECRET_SET = "webhook_secret_set", "Webhook secret set"
    BASE_URL_CHANGED = "base_url_changed", "Base URL changed"
    ACCOUNT_DISABLED = "account_disabled", "Account disabled"
    ACCOUNT_PAUSED = "account_paused", "Account paused"
    ACCOUNT_RESUMED = "account_resumed", "Account resumed"
    EXPORT_DOWNLOADED = "export_downloaded", "Export downloaded"
    BUDGET_CHANGED = "budget_changed", "Budget changed"
    TASK_RESUBMITTED = "task_resubmitted", "Held task resubmitted"
    TASK_MARKED_FAILED = "task_marked_failed", "Held task marked failed"
    API_KEY_CREATED = "api_key_created", "API key created"
    API_KEY_REVOKED = "api_key_revoked", "API key revoked"
    API_KEY_USED = "api_key_used", "API key used"
    WEBHOOK_ENDPOINT_CREATED = "webhook_endpoint_created", "Webhook endpoint added"
    WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint_disabled", "Webhook endpoint disabled"
    WEBHOOK_ENDPOINT_DELETED = "webhook_endpoint_deleted", "Webhook endpoint deleted"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit log is append-only.")

    def delete(self):
        raise PermissionError("The audit log is append-only.")


class AuditEvent(models.Model):
    """One security or money event (issue 14, "audit log"). Append-only: saving an existing row or deleting one
    raises, the admin is read-only, and the team page only lists. studio.audit.record() writes them.

    One small model rather than django-pghistory or django-auditlog: those record row changes of models (and
    pghistory needs PostgreSQL triggers, while development runs on SQLite); most of these events (sign-ins,
    failed sign-ins, lockouts, downloads) change no row at all."""

    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)  # kept when the user is deleted; "" = the system
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    target = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["team", "-created_at"], name="audit_team_recent"),
                   models.Index(fields=["team", "action", "-created_at"], name="audit_team_action")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name or 'system'} {self.action} {self.target}"


class Invitation(models.Model):
    """A team admin invites an e-mail address with a role (issue 14.5). The person accepts through a signed link
    that expires (studio/invitations.py); someone who is already signed in confirms before joining."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CREATIVE)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.email} → {self.team} ({self.role})"


class InboxMessage(models.Model):
    """One line in a person's in-app inbox (studio/inbox.py): an output of theirs was rejected with a comment, a
    batch is ready for review. Per team, so switching teams never shows another team's news."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="inbox_messages")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_messages")
    kind = models.CharField(max_length=20)
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "team", "read_at"], name="inbox_unread")]

    def __str__(self):
        return f"{self.recipient}: {self.text}"
