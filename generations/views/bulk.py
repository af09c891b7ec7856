"""Collections at scale in the browser (Uwear 002, "Generate a Whole Collection in Bulk"): one configuration for
many SKUs with an optional pilot, the estimate against the account balance and the project budget, the budget and
spend per vendor account, and the controls of each batch (pause, resume, cancel, retry the failed, run the rest).
The services are generations.batches and generations.budget; these views only read forms and render."""
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from catalog.views.common import is_fragment, render_page
from studio import audit
from studio.roles import GENERATE, REVIEW, SEE_UNAPPROVED, can
from studio.tenancy import member_required

from .. import batches, budget, launch
from ..bulk_forms import BulkGenerateForm, ProjectBudgetForm
from ..models import AccountState, Batch, VendorAccount
from ..vendors.base import VendorError
from .common import team_project
from .generate import _model_picker, _pose_picker, initial_choice, sku_chooser
from .progress import STOP_POLLING
from .review import held_tasks

TEMPLATE = "generations/bulk_generate.html"
BATCHES_CHANGED = "batches-changed"  # the project's batch list listens for it and reloads


# --- bulk generate ---------------------------------------------------------------------------------------------------
@dataclass
class BulkEstimate:
    sku_count: int
    num_outputs: int
    total: Decimal
    pilot_count: int
    pilot_total: Decimal
    balance: Decimal | None
    budget: Decimal | None
    committed: Decimal

    @property
    def now_total(self) -> Decimal:
        """What the launch itself commits: the pilot when there is one, else everything."""
        return self.pilot_total if self.pilot_count else self.total

    @property
    def rest_count(self) -> int:
        return self.sku_count - self.pilot_count if self.pilot_count else 0

    @property
    def rest_total(self) -> Decimal:
        return self.total - self.pilot_total if self.pilot_count else Decimal(0)

    @property
    def budget_left(self) -> Decimal | None:
        return None if self.budget is None else max(self.budget - self.committed, Decimal(0))

    @property
    def over_budget_now(self) -> bool:
        return self.budget_left is not None and self.now_total > self.budget_left

    @property
    def over_budget_total(self) -> bool:
        return self.budget_left is not None and self.total > self.budget_left

    @property
    def over_balance(self) -> bool:
        return self.balance is not None and self.total > self.balance


def _estimate(form: BulkGenerateForm, project) -> tuple[BulkEstimate | None, str]:
    """The whole batch's estimate, the pilot's share, the balance and the budget; or why there is none yet."""
    form.is_valid()
    data = form.cleaned_data
    sku_count = form.selected_sku_count()
    account = form.chosen_account
    if account is None or form.spec is None:
        return None, "Choose an active vendor account."
    if not sku_count:
        return None, "Choose SKUs, or every SKU in the project."
    if "num_outputs" not in data:
        return None, "Choose how many outputs."
    options, outputs = form.raw_options(data), data["num_outputs"]
    pilot_count = form.pilot_count(sku_count)
    try:
        total = launch.estimate_launch(account, form.spec.operation, options, outputs, sku_count)
        pilot_total = (launch.estimate_launch(account, form.spec.operation, options, outputs, pilot_count)
                       if pilot_count else Decimal(0))
    except (launch.LaunchError, VendorError) as exc:
        return None, str(exc)
    return BulkEstimate(sku_count, outputs, total, pilot_count, pilot_total, account.credit_balance,
                        project.budget_credits, budget.committed_credits(project)), ""


def _form(request: HttpRequest, project, data=None) -> BulkGenerateForm:
    if data is not None:
        return BulkGenerateForm(data, team=request.team, project=project)
    return BulkGenerateForm(team=request.team, project=project, initial=initial_choice(request))


def _page(request: HttpRequest, project, form: BulkGenerateForm, **extra):
    unavailable = VendorAccount.objects.for_team(request.team).exclude(state=AccountState.ACTIVE)
    context = {"project": project, "form": form, "unavailable_accounts": unavailable, **sku_chooser(request, form),
               **_model_picker(request, project, form), **_pose_picker(request, project, form), **extra}
    return render(request, TEMPLATE, context)


@require_http_methods(["GET", "POST"])
@member_required(GENERATE)
def bulk_generate(request: HttpRequest, pk: int):
    """Check the estimate, confirm, launch: the first POST shows the numbers, "Confirm and launch" starts it."""
    project = team_project(request, pk)
    if request.method == "GET":
        return _page(request, project, _form(request, project))
    form = _form(request, project, request.POST)
    if not form.is_valid():
        return _page(request, project, form)
    estimate, problem = _estimate(form, project)
    if "confirm" not in request.POST:
        return _page(request, project, form, confirming=True, estimate=estimate, problem=problem,
                     estimate_loaded=True)
    try:
        batch = _launch(request, form)
    except launch.LaunchError as exc:
        form.add_error(None, str(exc))
        return _page(request, project, form, estimate=estimate, problem=problem, estimate_loaded=True)
    count = batch.tasks.count()
    if batch.is_pilot:
        rest = len(batch.config.get("rest_sku_ids") or [])
        messages.success(request, f"Pilot launched on {count} SKU{'s' if count != 1 else ''}. Review it, then run "
                                  f"the rest ({rest} SKU{'s' if rest != 1 else ''}) from the batch panel.")
    else:
        messages.success(request, f"Launched {count} generation{'s' if count != 1 else ''}: {batch}.")
    return redirect(reverse("project_detail", args=[project.pk]))


def _launch(request: HttpRequest, form: BulkGenerateForm) -> Batch:
    data = form.cleaned_data
    return batches.launch_bulk(
        user=request.user, team=request.team, skus=list(data["skus"]), account=data["account"],
        operation=data["operation"], form_token=data["form_token"], pilot_size=data.get("pilot_size") or 0,
        model_image=data.get("model_image"), pose=data.get("pose"), style=data.get("style"),
        prompt=data.get("prompt", ""), num_outputs=data["num_outputs"], options=data.get("options") or {})


@require_GET
@member_required(GENERATE)
def bulk_estimate(request: HttpRequest, pk: int):
    """The estimate box, re-rendered as the inputs change."""
    project = team_project(request, pk)
    estimate, problem = _estimate(_form(request, project, request.GET), project)
    context = {"project": project, "estimate": estimate, "problem": problem, "estimate_loaded": True}
    return render(request, f"{TEMPLATE}#estimate", context)


# --- budget and spend ------------------------------------------------------------------------------------------------
def _spend_context(request: HttpRequest, project, form: ProjectBudgetForm | None = None) -> dict:
    committed = budget.committed_credits(project)
    left = None if project.budget_credits is None else project.budget_credits - committed
    may_change = can(request.membership, REVIEW)
    return {"project": project, "rows": budget.spend_by_vendor(project), "committed": committed, "left": left,
            "budget_form": (form or ProjectBudgetForm(instance=project)) if may_change else None}


def _render_spend(request: HttpRequest, project, form=None, toasts=False):
    context = {**_spend_context(request, project, form), "toasts": toasts}
    return render_page(request, "generations/bulk_spend.html", context, "spend")


@require_GET
@member_required(GENERATE)
def project_spend(request: HttpRequest, pk: int):
    """The project's budget, what is committed against it, and estimated against charged credits per account."""
    return _render_spend(request, team_project(request, pk))


@require_POST
@member_required(REVIEW)
def project_budget(request: HttpRequest, pk: int):
    project = team_project(request, pk)
    before = project.budget_credits
    form = ProjectBudgetForm(request.POST, instance=project)
    if not form.is_valid():
        return _render_spend(request, project, form)
    form.save()
    cap = project.budget_credits
    if cap != before:
        audit.record_request(request, audit.AuditAction.BUDGET_CHANGED, f"{project.name} (project {project.pk})",
                             before=None if before is None else str(before), after=None if cap is None else str(cap))
    messages.success(request, "The project has no budget cap now." if cap is None
                     else f"Budget set to {cap:,.0f} credits.")
    if is_fragment(request):
        return _render_spend(request, project, toasts=True)
    return redirect("project_detail", project.pk)


# --- batch panel and controls ----------------------------------------------------------------------------------------
def team_batch(request: HttpRequest, pk: int) -> Batch:
    return get_object_or_404(Batch.objects.for_team(request.team).select_related("project", "pilot_of"), pk=pk)


def _panel(request: HttpRequest, batch: Batch, *, toasts: bool = False):
    progress = batches.progress(batch)
    rest_ids = (batch.config.get("rest_sku_ids") or []) if batch.is_pilot else []
    rest_batch = batch.rest.order_by("pk").first() if rest_ids else None
    # Work at the vendor finishes whatever the batch's state, so the panel follows it while any is in flight; a
    # paused batch's unsubmitted tasks wait for a person, not for the engine.
    polling = batches.keeps_moving(batch, progress)
    may_control = can(request.membership, GENERATE)
    context = {"batch": batch, "progress": progress, "polling": polling, "toasts": toasts,
               "may_control": may_control, "rest_count": len(rest_ids), "rest_batch": rest_batch,
               "rest_token": launch.new_form_token() if rest_ids and rest_batch is None else "",
               # The page (not the polling panel) lists its tasks held as "outcome unknown" for a manager.
               "unknown_outcomes": lambda: held_tasks(request, batch=batch) if can(request.membership, REVIEW) else []}
    template = "generations/_batch_panel.html" if is_fragment(request) else "generations/bulk_batch.html"
    return render(request, template, context, status=200 if polling else STOP_POLLING)


@require_GET
@member_required(SEE_UNAPPROVED)
def batch_panel(request: HttpRequest, pk: int):
    """One batch: its progress (done, failed, cancelled, total) and the controls this member may use."""
    response = _panel(request, team_batch(request, pk))
    return response if is_fragment(request) else _as_page(response)


def _as_page(response):
    response.status_code = 200  # 286 only means something to htmx polling
    return response


def _after_action(request: HttpRequest, batch: Batch):
    if is_fragment(request):
        return trigger_client_event(_panel(request, batch, toasts=True), BATCHES_CHANGED)
    return redirect("project_detail", batch.project_id)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


@require_POST
@member_required(GENERATE)
def batch_pause(request: HttpRequest, pk: int):
    batch = team_batch(request, pk)
    if batches.pause(batch):
        messages.success(request, f"Paused {batch}: tasks not yet submitted wait; work at the vendor finishes.")
    else:
        messages.error(request, f"{batch} is not running, so it cannot be paused.")
    return _after_action(request, batch)


@require_POST
@member_required(GENERATE)
def batch_resume(request: HttpRequest, pk: int):
    batch = team_batch(request, pk)
    if batches.resume(batch):
        messages.success(request, f"Resumed {batch}.")
    else:
        messages.error(request, f"{batch} is not paused, so there is nothing to resume.")
    return _after_action(request, batch)


@require_POST
@member_required(GENERATE)
def batch_cancel(request: HttpRequest, pk: int):
    batch = team_batch(request, pk)
    stopped = batches.cancel(batch)
    messages.success(request, f"Cancelled {batch}: {_plural(stopped, 'task')} will not be submitted; "
                              "finished work is kept.")
    return _after_action(request, batch)


@require_POST
@member_required(GENERATE)
def batch_retry_failed(request: HttpRequest, pk: int):
    batch = team_batch(request, pk)
    retried = batches.retry_failed(batch, request.user)
    if retried:
        messages.success(request, f"Retrying {_plural(retried, 'failed task')} of {batch}.")
    else:
        messages.info(request, f"Nothing failed in {batch}.")
    return _after_action(request, batch)


@require_POST
@member_required(GENERATE)
def batch_run_rest(request: HttpRequest, pk: int):
    batch = team_batch(request, pk)
    try:
        rest = batches.launch_rest(batch, user=request.user, team=request.team,
                                   form_token=request.POST.get("form_token", ""))
    except launch.LaunchError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Running the rest of the pilot: {_plural(rest.tasks.count(), 'SKU')} ({rest}).")
    return _after_action(request, batch)
