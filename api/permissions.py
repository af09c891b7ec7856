"""Who may call what: a team member (a key or a signed-in person), the key's scope, and the same role table as the
pages (studio.roles). A view names the permission each method needs in `permissions_by_method`."""
from rest_framework import exceptions, permissions

from studio.roles import can

from .models import KeyScope


class TeamMember(permissions.BasePermission):
    message = "Sign in or send an API key."

    def has_permission(self, request, view):
        if request.auth is None and not request.user.is_authenticated:
            raise exceptions.NotAuthenticated("Send an API key: `Authorization: Bearer fs_live_…`.")
        membership = getattr(request._request, "membership", None)
        if not membership:
            raise exceptions.NotFound("You are not a member of any team.")
        key = getattr(request._request, "api_key", None)
        if key is not None and key.scope == KeyScope.READ and request.method not in permissions.SAFE_METHODS:
            raise exceptions.PermissionDenied("This API key is read-only.")
        needed = needed_permission(request, view)
        if needed and not can(membership, needed):
            raise exceptions.PermissionDenied(f"The {membership.role} role may not do this.")
        return True


def needed_permission(request, view) -> str | None:
    by_action = getattr(view, "permission_by_action", {})
    action = getattr(view, "action", None)
    if action in by_action:
        return by_action[action]
    by_method = getattr(view, "permissions_by_method", {})
    if request.method in by_method:
        return by_method[request.method]
    if request.method not in permissions.SAFE_METHODS:
        return getattr(view, "write_permission", None)
    return getattr(view, "read_permission", None)
