"""The generate page: SKUs → account → operation and options from its capability table → model, pose, prompt →
credit estimate → launch. Fragments re-render the options, the estimate and the two pickers as inputs change."""
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import trigger_client_event

from catalog.models import FashionModel, ModelImage, Pose
from studio.ids import parse_id, parse_ids
from studio.roles import GENERATE
from studio.tenancy import member_required

from .. import launch, review
from ..prompt_help import prompt_help_context
from ..forms import GenerateForm, ModelImageFilter, PoseFilter
from ..models import AccountState, VendorAccount
from ..sku_choice import picker_page
from ..vendors.base import VendorError
from .common import team_project

TEMPLATE = "generations/generate.html"
PICKERS = "generations/_pickers.html"
PICKER_PAGE = 24


def _parent(request: HttpRequest, project):
    """The output an edit/upscale/video builds on (?parent=<output pk>), within this project and visible."""
    raw = request.POST.get("parent") or request.GET.get("parent") or ""
    if parse_id(raw) is None:
        return None
    outputs = review.visible_outputs(request.membership).filter(task__sku__project=project)
    return outputs.select_related("task__sku").filter(pk=raw).first()


def _form(request: HttpRequest, project, data=None) -> GenerateForm:
    parent = _parent(request, project)
    if data is not None:
        return GenerateForm(data, team=request.team, project=project, parent=parent)
    return GenerateForm(team=request.team, project=project, parent=parent, initial=initial_choice(request, parent))


def initial_choice(request: HttpRequest, parent=None) -> dict:
    """What the project grid sends: picked SKUs (?sku=…) or a filter (?scope=filter&sku_q=…&sku_status=…)."""
    preselected = parse_ids(request.GET.getlist("sku"))
    if parent is not None:
        preselected = [parent.task.sku_id]
    initial = {"form_token": launch.new_form_token(), "skus": preselected}
    for name in ("scope", "sku_status", "sku_type", "sku_q"):
        if request.GET.get(name):
            initial[name] = request.GET[name][:120]
    return initial


def sku_chooser(request: HttpRequest, form) -> dict:
    """The SKU chooser's context: the project's active SKU count and one page of the hand-picking list."""
    return {"sku_total": form.active_skus().count(), **picker_page(form, request)}


def _page_context(request: HttpRequest, project, form: GenerateForm) -> dict:
    unavailable = VendorAccount.objects.for_team(request.team).exclude(state=AccountState.ACTIVE)
    return {"project": project, "form": form, "unavailable_accounts": unavailable, **sku_chooser(request, form),
            **_model_picker(request, project, form), **_pose_picker(request, project, form)}


@require_http_methods(["GET", "POST"])
@member_required(GENERATE)
def generate(request: HttpRequest, pk: int):
    project = team_project(request, pk)
    if request.method == "GET":
        return render(request, TEMPLATE, _page_context(request, project, _form(request, project)))
    form = _form(request, project, request.POST)
    if form.is_valid():
        try:
            batch = _launch(request, form)
        except launch.LaunchError as exc:
            form.add_error(None, str(exc))
        else:
            count = batch.tasks.count()
            messages.success(request, f"Launched {count} generation{'s' if count != 1 else ''}: {batch}.")
            return redirect(reverse("project_detail", args=[project.pk]))
    return render(request, TEMPLATE, _page_context(request, project, form))


def _launch(request: HttpRequest, form: GenerateForm):
    data = form.cleaned_data
    return launch.launch_generation(
        user=request.user, team=request.team, skus=list(data["skus"]), account=data["account"],
        operation=data["operation"], model_image=data.get("model_image"), pose=data.get("pose"),
        style=data.get("style"), prompt=data.get("prompt", ""), num_outputs=data["num_outputs"],
        options=data.get("options") or {}, form_token=data["form_token"], parent_output=form.parent,
    )


@require_GET
@member_required(GENERATE)
def generate_options(request: HttpRequest, pk: int):
    """The operation, output count and vendor options for the chosen account and operation."""
    project = team_project(request, pk)
    form = _form(request, project, request.GET)
    response = render(request, f"{TEMPLATE}#options", {"project": project, "form": form})
    # The sections the operation decides on (model image, pose, prompt and its limit) follow out of band: an
    # operation that takes no pose shows no pose picker, so no pose can be chosen and dropped.
    context = {"project": project, "form": form, "oob": True, **_model_picker(request, project, form),
               **_pose_picker(request, project, form)}
    for section in ("model_section", "pose_section", "prompt_field"):
        response.content += render_to_string(f"{PICKERS}#{section}", context, request=request).encode()
    return trigger_client_event(response, "estimate-stale", after="settle")


@require_GET
@member_required(GENERATE)
def generate_estimate(request: HttpRequest, pk: int):
    """What the launch will cost, before it happens (launch.estimate_launch), for the inputs as they are now."""
    project = team_project(request, pk)
    form = _form(request, project, request.GET)
    form.is_valid()
    data = form.cleaned_data
    context = {"project": project, "estimate": None, "problem": ""}
    sku_count = form.selected_sku_count()
    if form.chosen_account is None or form.spec is None:
        context["problem"] = "Choose an active vendor account."
    elif not sku_count:
        context["problem"] = "Choose at least one SKU."
    elif "num_outputs" not in data:
        context["problem"] = "Choose how many outputs."
    else:
        try:
            context["estimate"] = launch.estimate_launch(form.chosen_account, form.spec.operation, form.raw_options(data),
                                                         data["num_outputs"], sku_count)
        except (launch.LaunchError, VendorError) as exc:
            context["problem"] = str(exc)
        context.update(sku_count=sku_count, num_outputs=data["num_outputs"])
    return render(request, f"{TEMPLATE}#estimate", context)


def _model_picker(request: HttpRequest, project, form: GenerateForm | None = None) -> dict:
    program_models = FashionModel.objects.for_team(request.team).filter(program=project.program)
    filters = ModelImageFilter(request.GET, models_qs=program_models)
    images = filters.apply(ModelImage.objects.for_team(request.team).filter(fashion_model__program=project.program)
                           .select_related("fashion_model").order_by("fashion_model__name", "pk"))
    page = Paginator(images, PICKER_PAGE).get_page(request.GET.get("mpage"))
    selected = _selected(form, "model_image", request)
    items = _keep_selected(list(page.object_list), selected, ModelImage.objects.for_team(request.team)
                           .filter(fashion_model__program=project.program).select_related("fashion_model"))
    return {"model_filters": filters, "model_page": page, "model_items": items, "model_selected": selected}


def _pose_picker(request: HttpRequest, project, form: GenerateForm | None = None) -> dict:
    filters = PoseFilter(request.GET)
    poses = filters.apply(Pose.objects.for_team(request.team)
                          .filter(Q(program__isnull=True) | Q(program=project.program))
                          .order_by("-is_preset", "category", "name"))
    page = Paginator(poses, PICKER_PAGE).get_page(request.GET.get("ppage"))
    selected = _selected(form, "pose", request)
    items = _keep_selected(list(page.object_list), selected, Pose.objects.for_team(request.team))
    return {"pose_filters": filters, "pose_page": page, "pose_items": items, "pose_selected": selected}


def _keep_selected(items: list, selected: str, queryset) -> list:
    """A filter must not silently drop the chosen image or pose: keep it first in the list."""
    if parse_id(selected) is not None and all(str(item.pk) != selected for item in items):
        chosen = queryset.filter(pk=selected).first()
        if chosen is not None:
            return [chosen, *items]
    return items


def _selected(form, name, request) -> str:
    if form is not None and form.is_bound:
        return str(form.data.get(name) or "")
    return str(request.GET.get(name) or "")


@require_GET
@member_required(GENERATE)
def generate_model_images(request: HttpRequest, pk: int):
    project = team_project(request, pk)
    return render(request, f"{PICKERS}#model_picker", {"project": project, **_model_picker(request, project)})


@require_GET
@member_required(GENERATE)
def generate_poses(request: HttpRequest, pk: int):
    project = team_project(request, pk)
    return render(request, f"{PICKERS}#pose_picker", {"project": project, **_pose_picker(request, project)})


@require_GET
@member_required(GENERATE)
def generate_skus(request: HttpRequest, pk: int):
    """One page of the SKU picker, searched, with the SKUs picked on other pages kept."""
    project = team_project(request, pk)
    form = _form(request, project, request.GET)
    return render(request, f"{PICKERS}#sku_picker", {"project": project, "form": form,
                                                      **picker_page(form, request)})


@require_GET
@member_required(GENERATE)
def generate_prompt_help(request: HttpRequest, pk: int):
    """The prompt's helpers for the inputs as they are now (prompt_help.prompt_help_context): a vendor's suggested
    prompt (Hautech's), swapped into an empty prompt out of band, and the SKU's garment description to add."""
    project = team_project(request, pk)
    form = _form(request, project, request.GET)
    return render(request, f"{TEMPLATE}#prompt_help", {"project": project, "form": form,
                                                        **prompt_help_context(form)})
