from django.http import HttpRequest
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from studio.tenancy import member_required

from .models import Program


@require_GET
@member_required()
def program_detail(request: HttpRequest, pk: int):
    program = get_object_or_404(Program.objects.for_team(request.team), pk=pk)
    return render(request, "catalog/program_detail.html", {"program": program, "projects": program.projects.all()})
