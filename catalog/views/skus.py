"""The SKU page: its garment images (type, view and presentation edited in place), the upload zone, its tasks."""
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from studio import roles
from studio.tenancy import member_required

from ..forms import GarmentImageForm
from ..models import GarmentImage
from .common import is_fragment, permissions, require
from .projects import visible_sku

TEMPLATE = "catalog/sku_detail.html"


def garment_rows(sku):
    return [(image, GarmentImageForm(instance=image, prefix=f"g{image.pk}")) for image in sku.garment_images.all()]


def sku_context(request, sku) -> dict:
    return {"sku": sku, "project": sku.project, "program": sku.project.program, "rows": garment_rows(sku),
            "max_files": settings.DATA_UPLOAD_MAX_NUMBER_FILES, "max_bytes": settings.STUDIO_MAX_IMAGE_BYTES,
            **permissions(request)}


@require_GET
@member_required()
def sku_detail(request: HttpRequest, pk: int):
    sku = visible_sku(request, pk)
    context = sku_context(request, sku)
    if not roles.can(request.membership, roles.SEE_UNAPPROVED):
        from generations.client_view import sku_status_of

        context["client_status"] = sku_status_of(sku)  # the client's words, not the studio's lifecycle
    return render(request, TEMPLATE, context)


@require_POST
@member_required()
def garment_image_update(request: HttpRequest, pk: int):
    """Save one image's type, view and presentation; htmx gets the row back, a plain form goes back to the SKU."""
    image = get_object_or_404(GarmentImage.objects.for_team(request.team).select_related("sku"), pk=pk)
    require(request, roles.EDIT)
    form = GarmentImageForm(request.POST, instance=image, prefix=f"g{image.pk}")
    saved = form.is_valid()
    if saved:
        form.save()
        form = GarmentImageForm(instance=image, prefix=f"g{image.pk}")  # redrawn from what is now stored
    if is_fragment(request):
        return render(request, f"{TEMPLATE}#garment_row",
                      {"image": image, "form": form, "saved": saved, **permissions(request)})
    if saved:
        messages.success(request, f"{image.original_name or 'Image'} saved.")
    else:
        messages.error(request, "Not saved: " + " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("sku_detail", image.sku_id)
