"""The fashion model gallery of a program: filters, create a model, add its images."""
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studio import roles
from studio.tenancy import member_required

from .. import uploads
from ..forms import FashionModelForm, ModelFilterForm, ModelImageForm
from ..models import FashionModel, ModelImage
from ..pagination import paginate
from .common import (
    annotate_cover,
    attach_covers,
    count_of,
    parse_upload_body,
    permissions,
    render_page,
    require,
)
from .programs import visible_program

TEMPLATE = "catalog/model_gallery.html"


def filter_values(program) -> dict[str, list[str]]:
    """The values the program's models actually have, one small query per attribute (constant count)."""
    models = FashionModel.objects.filter(program=program).order_by()
    return {name: list(models.exclude(**{name: ""}).values_list(name, flat=True).distinct().order_by(name))
            for name in ModelFilterForm.FREE_TEXT}


@require_GET
@member_required()
def model_gallery(request: HttpRequest, pk: int):
    program = visible_program(request, pk)
    form = ModelFilterForm(request.GET, values=filter_values(program))
    models = FashionModel.objects.filter(program=program, **form.filters())
    models = annotate_cover(models.annotate(image_count=count_of(ModelImage.objects.all(), "fashion_model")),
                            ModelImage.objects.order_by("created_at", "pk"), "fashion_model")
    page = paginate(request, models)
    attach_covers(page, ModelImage._meta.get_field("image"))
    context = {"program": program, "form": form, "page": page, "models": page.object_list,
               "filtered": bool(form.filters()), **permissions(request)}
    return render_page(request, TEMPLATE, context, "model_grid")


@require_http_methods(["GET", "POST"])
@member_required()
def model_create(request: HttpRequest, pk: int):
    program = visible_program(request, pk)
    require(request, roles.EDIT)
    form = FashionModelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fashion_model = form.save(commit=False)
        fashion_model.program = program
        fashion_model.save()
        messages.success(request, f"{fashion_model.name} created. Add their images.")
        return redirect("model_detail", fashion_model.pk)
    return render(request, "catalog/model_form.html", {"program": program, "form": form})


def visible_model(request, pk: int) -> FashionModel:
    return get_object_or_404(FashionModel.objects.for_team(request.team).select_related("program"), pk=pk)


def _detail_context(request, fashion_model, form=None) -> dict:
    return {"fashion_model": fashion_model, "program": fashion_model.program,
            "images": fashion_model.images.select_related("style"),
            "form": form or ModelImageForm(program=fashion_model.program),
            "max_bytes": settings.STUDIO_MAX_IMAGE_BYTES,
            **permissions(request)}


@require_GET
@member_required()
def model_detail(request: HttpRequest, pk: int):
    fashion_model = visible_model(request, pk)
    return render(request, "catalog/model_detail.html", _detail_context(request, fashion_model))


@csrf_exempt
@require_POST
@member_required()
def model_image_upload(request: HttpRequest, pk: int):
    fashion_model = visible_model(request, pk)
    require(request, roles.UPLOAD)
    error = parse_upload_body(request)  # see views/uploads.py for the CSRF order
    if error:
        messages.error(request, error)
        return redirect("model_detail", fashion_model.pk)
    return _model_image_upload(request, fashion_model)


@csrf_protect
def _model_image_upload(request: HttpRequest, fashion_model):
    form = ModelImageForm(request.POST, request.FILES, program=fashion_model.program)
    if not form.is_valid():
        return render(request, "catalog/model_detail.html", _detail_context(request, fashion_model, form))
    _, data, checked = form.cleaned_data["image"]
    model_image = form.save(commit=False)
    model_image.fashion_model = fashion_model
    uploads.store(model_image, data, checked, kind="model")
    messages.success(request, "Image added; its thumbnail is on the way.")
    return redirect("model_detail", fashion_model.pk)
