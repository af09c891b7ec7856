"""Vendor comparisons: the same SKU, model image and pose on two or more vendor accounts in one action, the tasks
side by side (outputs from our storage, status, cost, time), a winner marked by a reviewer, and a per-project table
with the scoreboard. The services are generations.batches.launch_comparison / comparison_tasks / mark_winner /
scoreboard."""
from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.views.common import is_fragment, render_page
from studio.ids import parse_id
from studio.roles import GENERATE, REVIEW, can
from studio.tenancy import member_required

from .. import batches, launch
from ..bulk_forms import ComparisonForm
from ..sku_choice import one_sku_page
from ..models import Batch, Comparison, Task
from .common import RUNNING, paginate, team_project
from .generate import _model_picker, _pose_picker
from .progress import STOP_POLLING

COMPARISONS_PER_PAGE = 20


def duration_label(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = round(seconds)
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


# --- launch ----------------------------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@member_required(GENERATE)
def comparison_new(request: HttpRequest, pk: int):
    project = team_project(request, pk)
    if request.method == "POST":
        form = ComparisonForm(request.POST, team=request.team, project=project)
        if form.is_valid():
            data = form.cleaned_data
            try:
                comparison = batches.launch_comparison(
                    user=request.user, team=request.team, sku=data["sku"], accounts=list(data["accounts"]),
                    model_image=data.get("model_image"), pose=data.get("pose"), prompt=data.get("prompt", ""),
                    num_outputs=data["num_outputs"], form_token=data["form_token"])
            except launch.LaunchError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Comparison started: {comparison}.")
                return redirect("comparison_detail", comparison.pk)
    else:
        sku = request.GET.get("sku")
        form = ComparisonForm(team=request.team, project=project, initial={
            "form_token": launch.new_form_token(), "sku": parse_id(sku)})
    context = {"project": project, "form": form, **_sku_picker(request, form), **_model_picker(request, project, form),
               **_pose_picker(request, project, form)}
    return render(request, "generations/comparison_new.html", context)


def _sku_picker(request: HttpRequest, form: ComparisonForm) -> dict:
    return one_sku_page(form.fields["sku"].queryset, request, parse_id(form["sku"].value()))


@require_GET
@member_required(GENERATE)
def comparison_skus(request: HttpRequest, pk: int):
    """One page of the comparison form's SKU choice, searched, with the chosen SKU kept."""
    project = team_project(request, pk)
    form = ComparisonForm(request.GET, team=request.team, project=project)
    return render(request, "generations/_pickers.html#one_sku_picker", {"project": project, **_sku_picker(request, form)})


# --- one comparison --------------------------------------------------------------------------------------------------
def _team_comparison(request: HttpRequest, pk: int) -> Comparison:
    comparisons = Comparison.objects.for_team(request.team).select_related("project", "winner__account", "decided_by")
    return get_object_or_404(comparisons, pk=pk)


def _columns(comparison: Comparison) -> list[Task]:
    """Each vendor's task with what its column shows: cost (charged, else estimated) and time to finish."""
    tasks = list(batches.comparison_tasks(comparison))
    for task in tasks:
        task.cost_charged = task.charged_credits > 0
        task.cost = task.charged_credits if task.cost_charged else task.estimated_credits
        seconds = ((task.finished_at - task.submitted_at).total_seconds()
                   if task.finished_at and task.submitted_at else None)
        task.time_label = duration_label(seconds)
        task.running = task.status in RUNNING
        task.is_winner = task.pk == comparison.winner_id
    return tasks


def _render_detail(request: HttpRequest, comparison: Comparison, *, toasts: bool = False):
    tasks = _columns(comparison)
    polling = any(task.running for task in tasks)
    context = {"comparison": comparison, "project": comparison.project, "tasks": tasks, "polling": polling,
               "may_decide": can(request.membership, REVIEW), "toasts": toasts}
    response = render_page(request, "generations/comparison_detail.html", context, "board")
    if is_fragment(request) and not polling:
        response.status_code = STOP_POLLING
    return response


@require_GET
@member_required(GENERATE)
def comparison_detail(request: HttpRequest, pk: int):
    return _render_detail(request, _team_comparison(request, pk))


@require_POST
@member_required(REVIEW)
def comparison_winner(request: HttpRequest, pk: int):
    comparison = _team_comparison(request, pk)
    raw = request.POST.get("task", "")
    task = Task.objects.filter(pk=raw).first() if parse_id(raw) else None
    try:
        if task is None:
            raise launch.LaunchError("Choose the vendor's result that won.")
        batches.mark_winner(comparison, task, request.user)
    except launch.LaunchError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Marked {task.account.name} as the winner of {comparison}.")
    if is_fragment(request):
        comparison = _team_comparison(request, pk)
        return _render_detail(request, comparison, toasts=True)
    return redirect("comparison_detail", comparison.pk)


# --- per project -----------------------------------------------------------------------------------------------------
@require_GET
@member_required(GENERATE)
def project_comparisons(request: HttpRequest, pk: int):
    """The project's comparisons (paginated, a fixed number of queries per page) and the scoreboard per account."""
    project = team_project(request, pk)
    tasks = Task.objects.select_related("account").order_by("account__name")
    comparisons = (Comparison.objects.for_team(request.team).filter(project=project)
                   .select_related("winner__account", "created_by", "decided_by")
                   .prefetch_related(Prefetch("batches", queryset=Batch.objects.prefetch_related(
                       Prefetch("tasks", queryset=tasks)))).order_by("-created_at", "-pk"))
    page = paginate(request, comparisons, COMPARISONS_PER_PAGE)
    rows = list(page.object_list)
    for comparison in rows:
        comparison.vendor_tasks = sorted((t for b in comparison.batches.all() for t in b.tasks.all()),
                                         key=lambda t: t.account.name)
    scores = batches.scoreboard(project)
    for score in scores:
        score.mean_label = duration_label(score.mean_seconds)
    context = {"project": project, "page": page, "comparisons": rows, "scores": scores}
    return render_page(request, "generations/comparison_list.html", context, "table")
