"""The shape every vendor page about one of the team's objects shares (Huhu's classification panel, Uwear's
clothing-item and avatar panels, and the pages a new vendor adds): the HTTP method, a member of a team, the object
looked up within the team first — another team's object is a 404, never a 403 that would confirm it exists — and
only then the role (DESIGN.md §2; the tenancy sweep checks every route for it)."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from catalog.models import SKU, FashionModel
from studio import roles
from studio.roles import can
from studio.tenancy import member_required


def team_object_page(lookup: Callable, *, method: str, permission: str = roles.EDIT):
    """Decorate `view(request, obj, …)` served at a route with `<int:pk>`; `lookup(team)` gives the queryset."""

    def decorator(view):
        @require_http_methods([method])
        @member_required()
        @wraps(view)
        def page(request, pk: int, *args, **kwargs):
            obj = get_object_or_404(lookup(request.team), pk=pk)
            if not can(request.membership, permission):
                raise PermissionDenied(f"Your role ({request.membership.role}) may not do this.")
            return view(request, obj, *args, **kwargs)

        return page

    return decorator


def team_skus(team):
    return SKU.objects.for_team(team).select_related("project__program")


def team_fashion_models(team):
    return FashionModel.objects.for_team(team).select_related("program")


def sku_page(method: str, permission: str = roles.EDIT):
    """A vendor page about one SKU of the team (roles.EDIT unless told)."""
    return team_object_page(team_skus, method=method, permission=permission)


def model_page(method: str, permission: str = roles.EDIT):
    """A vendor page about one fashion model of the team (roles.EDIT unless told)."""
    return team_object_page(team_fashion_models, method=method, permission=permission)
