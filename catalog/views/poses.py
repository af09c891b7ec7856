"""The pose library: the shared presets and the program's custom poses; create a pose from a reference image."""
from django.conf import settings
from django.contrib import messages
from django.db.models import F, Q
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from studio import roles
from studio.tenancy import member_required

from .. import uploads
from ..forms import PoseFilterForm, PoseForm
from ..models import Pose
from ..pagination import paginate
from .common import parse_upload_body, permissions, render_page, require
from .programs import visible_program

TEMPLATE = "catalog/pose_library.html"


def library(program, filters: dict):
    poses = Pose.objects.filter(Q(program__isnull=True) | Q(program=program))
    source = filters.pop("source", "")
    if source == "preset":
        poses = poses.filter(program__isnull=True)
    elif source == "custom":
        poses = poses.filter(program=program)
    # The program's own poses first, then the shared presets.
    return poses.filter(**filters).order_by(F("program").asc(nulls_last=True), "category", "name", "pk")


def _context(request, program, form=None):
    filter_form = PoseFilterForm(request.GET)
    page = paginate(request, library(program, filter_form.filters()))
    return {"program": program, "filter_form": filter_form, "page": page, "poses": page.object_list,
            "filtered": bool(filter_form.filters()), "form": form or PoseForm(),
            "max_bytes": settings.STUDIO_MAX_IMAGE_BYTES, **permissions(request)}


@require_GET
@member_required()
def pose_library(request: HttpRequest, pk: int):
    program = visible_program(request, pk)
    return render_page(request, TEMPLATE, _context(request, program), "pose_grid")


@csrf_exempt
@require_POST
@member_required()
def pose_create(request: HttpRequest, pk: int):
    program = visible_program(request, pk)
    require(request, roles.UPLOAD)
    error = parse_upload_body(request)  # see views/uploads.py for the CSRF order
    if error:
        messages.error(request, error)
        return redirect("pose_library", program.pk)
    return _pose_create(request, program)


@csrf_protect
def _pose_create(request: HttpRequest, program):
    form = PoseForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, TEMPLATE, _context(request, program, form))
    _, data, checked = form.cleaned_data["reference_image"]
    pose = form.save(commit=False)
    pose.program = program
    pose.is_preset = False
    uploads.store(pose, data, checked, kind="pose", file_field="reference_image")
    messages.success(request, f"Pose {pose.name} added to {program.name}.")
    return redirect("pose_library", program.pk)
