"""Small helpers shared by the generation views."""
from django.core.paginator import Page, Paginator
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from catalog.models import SKU, Project
from studio.htmx import is_fragment

from ..lifecycle import IN_FLIGHT
from ..models import TaskStatus

# A task card keeps polling while the engine may still move it on its own.
RUNNING = frozenset(IN_FLIGHT | {TaskStatus.TASK_CREATED})


def team_project(request: HttpRequest, pk: int) -> Project:
    return get_object_or_404(Project.objects.for_team(request.team).select_related("program"), pk=pk)


def team_sku(request: HttpRequest, pk: int) -> SKU:
    return get_object_or_404(SKU.objects.for_team(request.team).select_related("project"), pk=pk)


def paginate(request: HttpRequest, queryset, per_page: int, paginator=Paginator) -> Page:
    return paginator(queryset, per_page).get_page(request.GET.get("page") or request.POST.get("page"))


def fragment(template: str, request: HttpRequest, partial: str) -> str:
    """The page for a normal request, its named partial for an htmx request (django-htmx example style)."""
    return f"{template}#{partial}" if is_fragment(request) else template
