"""Admin for teams and memberships, plus the small helpers every app's admin shares (thumbnails)."""
from django.contrib import admin
from django.utils.html import format_html

from .models import AuditEvent, InboxMessage, Invitation, Membership, Team

THUMB_BOX = 96  # pixels; changelists stay readable and cheap with many rows


def thumbnail_html(file, width: int = 0, height: int = 0, box: int = THUMB_BOX):
    """A small <img> for an image file, sized to fit `box` and keep its proportions.

    `width`/`height` are the source image's, when the row knows them; without them the box is square and the
    browser letterboxes. Setting both attributes keeps the page from jumping while thumbnails load.
    """
    if not file:
        return "—"
    if width and height:
        scale = box / max(width, height)
        w, h = max(1, round(width * scale)), max(1, round(height * scale))
    else:
        w = h = box
    return format_html(
        '<img src="{}" width="{}" height="{}" loading="lazy" alt="">',  # no inline style: CSP
        file.url, w, h,
    )


def preview(obj, source: str = "image") -> str:
    """Prefer the worker-made thumbnail; fall back to the original until the worker has made one."""
    file = obj.thumbnail or getattr(obj, source)
    return thumbnail_html(file, getattr(obj, "width", 0), getattr(obj, "height", 0))


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "captions_enabled", "nsfw_gate_enabled", "created_at"]
    list_filter = ["captions_enabled", "nsfw_gate_enabled"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    date_hierarchy = "created_at"
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role", "created_at"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "user__email", "team__name"]
    list_select_related = ["user", "team"]
    autocomplete_fields = ["user", "team"]
    date_hierarchy = "created_at"


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only, for superusers too."""

    list_display = ["created_at", "team", "actor_name", "action", "target", "ip"]
    list_filter = ["action", "team"]
    search_fields = ["actor_name", "target", "ip"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "team", "role", "invited_by", "created_at", "accepted_at", "accepted_by"]
    list_filter = ["role", "team"]
    search_fields = ["email"]
    readonly_fields = ["created_at", "accepted_at", "accepted_by"]


@admin.register(InboxMessage)
class InboxMessageAdmin(admin.ModelAdmin):
    """Read-only: the studio writes these (studio/inbox.py); a person marks them read in the app."""

    list_display = ["created_at", "team", "recipient", "kind", "text", "read_at"]
    list_filter = ["kind", "team"]
    list_select_related = ["team", "recipient"]
    search_fields = ["text"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
