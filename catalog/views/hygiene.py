"""Catalog hygiene: archive and unarchive a SKU, delete or replace a garment image, delete a fashion model or a
pose. Every destructive action is a GET that shows what will happen (the confirmation page) and a POST that does
it. Clients never may (roles.EDIT); a model, pose or garment image that a running task uses is refused, naming the
tasks. Only the team that owns a program deletes from it (a team it is shared with sees, it does not delete)."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from studio import roles
from studio.tenancy import member_required

from .. import uploads, usage
from ..forms import ImageUploadField
from ..models import SKU, GarmentImage, Pose
from .common import parse_upload_body, require
from .gallery import visible_model
from .projects import visible_sku

CONFIRM = "catalog/confirm.html"


# --- what is in use ----------------------------------------------------------------------------------------------
def uses_of(obj) -> list[str]:
    """The running tasks that use obj, named (answered by the generations app through catalog/usage.py)."""
    return usage.running_uses(obj)[0]


def _owner_only(request, program) -> None:
    if program is not None and program.team_id != request.team.pk:
        raise PermissionDenied("Only the team that owns this program may delete from it.")


def _confirm(request, *, title: str, body: str, action: str, button: str, back: str, blockers=(), danger=True,
             extra: dict | None = None, status: int = 200):
    context = {"title": title, "body": body, "action": action, "button": button, "back": back,
               "blockers": list(blockers), "danger": danger, **(extra or {})}
    return render(request, CONFIRM, context, status=status)


# --- SKUs: archive and unarchive -----------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@member_required()
def sku_archive(request: HttpRequest, pk: int):
    sku = visible_sku(request, pk)
    require(request, roles.EDIT)
    if request.method == "POST":
        SKU.objects.filter(pk=sku.pk, archived_at__isnull=True).update(archived_at=timezone.now())
        messages.success(request, f"SKU {sku.code} archived: it is off the grid and out of new runs. Its outputs "
                                  "and history stay; unarchive it from the project's archived SKUs.")
        return redirect("project_detail", sku.project_id)
    running = usage.running_uses(sku)[1]
    body = (f"{sku.code} leaves the project grid and the generate and bulk forms. Its tasks, outputs, review "
            "history and exports already made stay. You can unarchive it later.")
    if running:
        body += f" {running} of its task{'s' if running != 1 else ''} still running will finish."
    return _confirm(request, title=f"Archive SKU {sku.code}?", body=body, action=request.path,
                    button="Archive SKU", back=_sku_back(sku), danger=False)


def _sku_back(sku) -> str:
    return reverse("sku_detail", args=[sku.pk])


@require_POST
@member_required()
def sku_unarchive(request: HttpRequest, pk: int):
    sku = visible_sku(request, pk)
    require(request, roles.EDIT)
    SKU.objects.filter(pk=sku.pk).update(archived_at=None)
    messages.success(request, f"SKU {sku.code} is back on the grid.")
    return redirect("project_detail", sku.project_id)


# --- garment images: delete and replace ----------------------------------------------------------------------------
def visible_garment(request, pk: int) -> GarmentImage:
    images = GarmentImage.objects.for_team(request.team).select_related("sku__project__program")
    return get_object_or_404(images, pk=pk)


def _garment_blockers(image) -> list[str]:
    return uses_of(image)


def _remove_garment(image: GarmentImage) -> None:
    """Delete the row; delete the files too unless a task in history still points at them."""
    used = image.tasks.exists()
    names = [f.name for f in (image.image, image.thumbnail) if f and f.name]
    storage = image.image.storage
    image.delete()
    if not used:
        transaction.on_commit(lambda: [storage.delete(name) for name in names])


@require_http_methods(["GET", "POST"])
@member_required()
def garment_image_delete(request: HttpRequest, pk: int):
    image = visible_garment(request, pk)
    require(request, roles.EDIT)
    _owner_only(request, image.sku.project.program)
    blockers = _garment_blockers(image)
    name = image.original_name or f"image {image.pk}"
    if request.method == "POST" and not blockers:
        sku_id = image.sku_id
        with transaction.atomic():
            _remove_garment(image)
        messages.success(request, f"{name} deleted from SKU {image.sku.code}.")
        return redirect("sku_detail", sku_id)
    if blockers and request.method == "POST":
        messages.error(request, f"{name} is used by running tasks; delete it when they finish.")
    return _confirm(request, title=f"Delete {name}?",
                    body=f"The {image.view} image of SKU {image.sku.code} is deleted. Outputs already made stay.",
                    action=request.path, button="Delete image", back=_sku_back(image.sku), blockers=blockers,
                    status=409 if blockers and request.method == "POST" else 200)


@csrf_exempt
@require_http_methods(["GET", "POST"])
@member_required()
def garment_image_replace(request: HttpRequest, pk: int):
    image = visible_garment(request, pk)
    require(request, roles.UPLOAD)
    require(request, roles.EDIT)
    _owner_only(request, image.sku.project.program)
    if request.method == "POST":
        error = parse_upload_body(request)  # see views/uploads.py for the CSRF order
        if error:
            messages.error(request, error)
            return redirect("garment_image_replace", image.pk)
    return _garment_image_replace(request, image)


@csrf_protect
def _garment_image_replace(request: HttpRequest, image: GarmentImage):
    blockers = _garment_blockers(image)
    name = image.original_name or f"image {image.pk}"
    error = ""
    if request.method == "POST" and not blockers:
        try:
            uploaded, data, checked = ImageUploadField().clean(request.FILES.get("image"))
        except Exception as exc:  # forms.ValidationError: say why; the old image stays
            error = " ".join(getattr(exc, "messages", [str(exc)]))
        else:
            if GarmentImage.objects.filter(sku=image.sku, checksum=checked.checksum).exists():
                error = f"{uploads.display_name(uploaded.name)} is already on this SKU."
            else:
                new = GarmentImage(sku=image.sku, original_name=uploads.display_name(uploaded.name),
                                   garment_type=image.garment_type, view=image.view,
                                   presentation=image.presentation, caption=image.caption,
                                   size_bytes=checked.size_bytes, checksum=checked.checksum,
                                   uploaded_by=request.user)
                with transaction.atomic():
                    uploads.store(new, data, checked, kind="garment")
                    _remove_garment(image)
                messages.success(request, f"{name} replaced by {new.original_name}: same type, view and "
                                          "presentation.")
                return redirect("sku_detail", new.sku_id)
    return _confirm(request, title=f"Replace {name}?",
                    body=(f"Upload the new {image.view} image of SKU {image.sku.code}. It keeps this image's type, "
                          "view, presentation and caption; this image is deleted. Outputs already made stay."),
                    action=request.path, button="Replace image", back=_sku_back(image.sku), blockers=blockers,
                    extra={"upload": True, "error": error}, status=400 if error else 200)


# --- fashion models and poses ----------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@member_required()
def model_delete(request: HttpRequest, pk: int):
    fashion_model = visible_model(request, pk)
    require(request, roles.EDIT)
    _owner_only(request, fashion_model.program)
    in_use = uses_of(fashion_model)
    if request.method == "POST" and not in_use:
        fashion_model.delete()
        messages.success(request, f"{fashion_model.name} and their images deleted. Tasks and outputs already made "
                                  "stay.")
        return redirect("model_gallery", fashion_model.program_id)
    if request.method == "POST":
        messages.error(request, f"{fashion_model.name} is used by running tasks; not deleted.")
    return _confirm(request, title=f"Delete {fashion_model.name}?",
                    body=(f"{fashion_model.name} and all their images are deleted from the gallery. SKUs assigned "
                          "to them keep no model. Tasks and outputs already made stay."),
                    action=request.path, button="Delete model", blockers=in_use,
                    back=reverse("model_detail", args=[fashion_model.pk]),
                    status=409 if in_use and request.method == "POST" else 200)


def visible_pose(request, pk: int) -> Pose:
    return get_object_or_404(Pose.objects.for_team(request.team).select_related("program"), pk=pk)


@require_http_methods(["GET", "POST"])
@member_required()
def pose_delete(request: HttpRequest, pk: int):
    pose = visible_pose(request, pk)
    require(request, roles.EDIT)
    if pose.program_id is None:
        raise PermissionDenied("Preset poses belong to the shared library and cannot be deleted.")
    _owner_only(request, pose.program)
    in_use = uses_of(pose)
    if request.method == "POST" and not in_use:
        pose.delete()
        messages.success(request, f"Pose {pose.name} deleted. Tasks and outputs already made stay.")
        return redirect("pose_library", pose.program_id)
    if request.method == "POST":
        messages.error(request, f"Pose {pose.name} is used by running tasks; not deleted.")
    return _confirm(request, title=f"Delete pose {pose.name}?",
                    body="The pose leaves the library. Tasks and outputs already made stay.",
                    action=request.path, button="Delete pose", blockers=in_use,
                    back=reverse("pose_library", args=[pose.program_id]),
                    status=409 if in_use and request.method == "POST" else 200)
