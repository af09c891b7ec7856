"""Garment image upload: several files per request, from the file input or dropped on the zone (upload.js).

The capped upload handler must be installed before anything reads the body, and the CSRF middleware reads it to
find the token; so the outer view is csrf_exempt and the inner one csrf_protect (Django's documented pattern,
"CSRF protection and upload handlers"). A request refused for its limits changes nothing, so it is answered
before the CSRF check.
"""
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from studio import roles
from studio.tenancy import member_required

from .. import uploads
from .common import is_fragment, parse_upload_body, require
from .projects import visible_sku
from .skus import TEMPLATE, sku_context


def _respond(request, sku, *, report=None, error: str = ""):
    if is_fragment(request):
        context = {**sku_context(request, sku), "report": report, "upload_error": error}
        return render(request, f"{TEMPLATE}#upload_result", context)
    if error:
        messages.error(request, error)
    else:
        for outcome in report.refused:
            messages.error(request, outcome.message)
        if report.saved:
            messages.success(request, report.summary())
    return redirect("sku_detail", sku.pk)


@csrf_exempt
@require_POST
@member_required()
def garment_upload(request: HttpRequest, pk: int):
    sku = visible_sku(request, pk)  # another team's SKU is a 404 before a byte of the body is read
    require(request, roles.UPLOAD)
    error = parse_upload_body(request)
    if error:
        return _respond(request, sku, error=error)
    return _garment_upload(request, sku)


@csrf_protect
def _garment_upload(request: HttpRequest, sku):
    files = request.FILES.getlist("files")
    if not files:
        return _respond(request, sku, error="Choose or drop at least one image (JPEG, PNG or WebP).")
    report = uploads.upload_garment_images(sku, files, user=request.user)
    return _respond(request, sku, report=report)
