"""Tenancy: every request works inside one team, and every queryset a view touches goes through `for_team`.

Another team's object is a 404 (never a 403 that would confirm it exists). A user in several teams picks the
current one; it is kept in the session.
"""
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.utils.functional import SimpleLazyObject

from .roles import can

SESSION_KEY = "studio_team_id"


class TeamScopedQuerySet(models.QuerySet):
    """Subclasses say how a row reaches its team by overriding `for_team`."""

    team_path = "team"

    def for_team(self, team):
        if team is None:
            return self.none()
        return self.filter(**{self.team_path: team})


def _current_membership(request):
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = list(user.memberships.select_related("team").order_by("team__name"))
    if not memberships:
        return None
    wanted = request.session.get(SESSION_KEY)
    for membership in memberships:
        if membership.team_id == wanted:
            return membership
    return memberships[0]


class CurrentTeamMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: _current_membership(request))
        request.team = SimpleLazyObject(lambda: request.membership.team if request.membership else None)
        return self.get_response(request)


def member_required(permission: str | None = None):
    """Login required, a team membership required, and (optionally) a role permission from studio.roles."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = request.membership
            if not membership:
                raise Http404("You are not a member of any team.")
            if permission and not can(membership, permission):
                raise PermissionDenied(f"Your role ({membership.role}) may not do this.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def team_context(request):
    membership = getattr(request, "membership", None)
    if membership is None or not request.user.is_authenticated:
        return {}
    # Clients see no vendor account or vendor error messages at all (issue 14.2): only the studio's own words.
    sees_vendor_messages = bool(membership) and membership.role != "client"
    from .inbox import unread_count

    return {"current_membership": membership, "current_team": membership.team if membership else None,
            "sees_vendor_messages": sees_vendor_messages,
            # A client sees the work, not the machinery (issue 16.4): no task statuses, vendors, batches, imports.
            "sees_internals": bool(membership) and can(membership, "see_unapproved"),
            # Evaluated only where the top bar renders it (one COUNT per full page, none for fragments).
            "inbox_unread": lambda: unread_count(request.user, membership.team if membership else None)}
