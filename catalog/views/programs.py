"""A program (brand workspace): its projects and the way to its models, poses and styles."""
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from studio import roles
from studio.tenancy import member_required

from ..forms import ProjectForm
from ..models import SKU, FashionModel, Pose, Program, Style
from ..pagination import paginate
from .common import count_of, permissions, require


def visible_program(request, pk: int) -> Program:
    return get_object_or_404(Program.objects.for_team(request.team).select_related("team"), pk=pk)


def _context(request, program: Program, form: ProjectForm | None = None) -> dict:
    page = paginate(request, program.projects.annotate(sku_count=count_of(SKU.objects.all(), "project")))
    return {
        "program": program,
        "page": page,
        "projects": page.object_list,
        "model_count": FashionModel.objects.filter(program=program).count(),
        "pose_count": Pose.objects.filter(program=program).count(),
        "style_count": Style.objects.filter(program=program).count(),
        "form": form or ProjectForm(),
        **permissions(request),
    }


@require_GET
@member_required()
def program_detail(request: HttpRequest, pk: int):
    program = visible_program(request, pk)
    return render(request, "catalog/program_detail.html", _context(request, program))


@require_POST
@member_required()
def project_create(request: HttpRequest, pk: int):
    program = visible_program(request, pk)
    require(request, roles.EDIT)
    form = ProjectForm(request.POST)
    if not form.is_valid():
        return render(request, "catalog/program_detail.html", _context(request, program, form))
    project = form.save(commit=False)
    project.program = program
    project.save()
    messages.success(request, f"Project {project.name} created.")
    return redirect("project_detail", project.pk)
