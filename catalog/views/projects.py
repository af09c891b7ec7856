"""The project page: a paginated SKU grid with covers, status and counts; create and rename SKUs."""
from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from generations.models import Task, TaskOutput
from studio import roles
from studio.tenancy import member_required

from .. import s3_uploads
from ..forms import SKUForm, SKURenameForm
from ..models import SKU, GarmentImage, Project
from ..pagination import paginate
from .common import (
    annotate_cover,
    attach_covers,
    count_of,
    is_fragment,
    permissions,
    render_page,
    require,
)

TEMPLATE = "catalog/project_detail.html"


def visible_project(request, pk: int) -> Project:
    return get_object_or_404(Project.objects.for_team(request.team).select_related("program"), pk=pk)


def visible_sku(request, pk: int) -> SKU:
    skus = SKU.objects.for_team(request.team).select_related("project__program", "fashion_model", "style")
    return get_object_or_404(skus, pk=pk)


def grid_skus(project: Project, *, query: str = "", archived: bool = False):
    """The project's SKUs the grid lists: active (or archived), matching a search on code, name or category."""
    skus = project.skus.filter(archived_at__isnull=not archived)
    if query:
        skus = skus.filter(Q(code__icontains=query) | Q(name__icontains=query) | Q(category__icontains=query))
    return skus


def sku_grid(project: Project, *, query: str = "", archived: bool = False):
    """SKUs with their counts and first garment image, all in the page's one query (no N+1)."""
    skus = grid_skus(project, query=query, archived=archived).annotate(
        image_count=count_of(GarmentImage.objects.all(), "sku"),
        task_count=count_of(Task.objects.all(), "sku"),
        output_count=count_of(TaskOutput.objects.all(), "task__sku"),
    )
    return annotate_cover(skus, GarmentImage.objects.order_by("created_at", "pk"), "sku")


def client_sku_grid(project: Project):
    """A client's grid (issue 16.4): covers and the client's own counts, never tasks or unapproved outputs."""
    from generations.client_view import with_client_counts

    return with_client_counts(annotate_cover(project.skus.all(), GarmentImage.objects.order_by("created_at", "pk"),
                                             "sku"))


def _context(request, project: Project, form: SKUForm | None = None) -> dict:
    query = (request.GET.get("q") or "").strip()[:120]
    archived = request.GET.get("archived") == "1"
    internal = roles.can(request.membership, roles.SEE_UNAPPROVED)
    page = paginate(request, sku_grid(project, query=query, archived=archived) if internal
                    else client_sku_grid(project))
    attach_covers(page, GarmentImage._meta.get_field("image"))
    if not internal:
        from generations.client_view import label_skus

        label_skus(page.object_list)
    return {"project": project, "program": project.program, "page": page, "skus": page.object_list,
            "query": query, "archived": archived,
            "archived_count": project.skus.filter(archived_at__isnull=False).count(),
            "form": form or SKUForm(project=project), "direct_upload": s3_uploads.enabled(), **permissions(request)}


@require_GET
@member_required()
def project_detail(request: HttpRequest, pk: int):
    project = visible_project(request, pk)
    return render_page(request, TEMPLATE, _context(request, project), "sku_grid")


@require_POST
@member_required()
def sku_create(request: HttpRequest, pk: int):
    project = visible_project(request, pk)
    require(request, roles.EDIT)
    form = SKUForm(request.POST, project=project)
    if not form.is_valid():
        return render(request, TEMPLATE, _context(request, project, form))
    sku = form.save(commit=False)
    sku.project = project
    sku.save()
    messages.success(request, f"SKU {sku.code} created. Add its garment images here.")
    return redirect("sku_detail", sku.pk)


@require_http_methods(["GET", "POST"])
@member_required()
def sku_rename(request: HttpRequest, pk: int):
    """Inline rename: htmx swaps the SKU's title for this form and back; without JS it is a small page."""
    sku = visible_sku(request, pk)
    require(request, roles.EDIT)
    if request.method == "GET" and "cancel" in request.GET and is_fragment(request):
        return render(request, "catalog/sku_rename.html#title", {"sku": sku, "can_edit": True})
    form = SKURenameForm(request.POST or None, instance=sku, project=sku.project)
    if request.method == "POST" and form.is_valid():
        form.save()
        if is_fragment(request):
            return render(request, "catalog/sku_rename.html#title", {"sku": sku, "can_edit": True})
        messages.success(request, f"SKU renamed to {sku.code}.")
        return redirect("project_detail", sku.project_id)
    return render_page(request, "catalog/sku_rename.html", {"sku": sku, "form": form}, "form")
