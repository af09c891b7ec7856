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
