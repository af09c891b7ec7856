"""The manager's review board (grid, large view, keyboard) and its decisions; regenerating a rejected task.

Decisions are htmx POSTs that answer the updated board; without htmx they redirect back to the board.
"""
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from studio import audit
from studio.htmx import is_fragment
from studio.ids import parse_ids
from studio.roles import GENERATE, REVIEW, can
from studio.tenancy import member_required

from studio import inbox

from generations import engine

from .. import board, large_view, review
from ..launch import new_form_token
from ..lifecycle import IllegalTransition, LostRace
from ..models import Decision, Operation, ReviewStage, TaskOutput, Vendor
from .common import team_project
from ..vendors.base import ConfigurationError, VendorError
from .progress import card_tasks, prepare_cards

PER_PAGE = 48
TEMPLATE = "generations/review_board.html"


def _board(request: HttpRequest, project, selected_pk=None, status=200):
    chosen = board.Board.from_request(request, statuses=board.REVIEW_STATUSES, default_status="waiting")
    outputs = chosen.apply(review.board_outputs(project, waiting_only=chosen.status == "waiting"))
    page = chosen.page(outputs, PER_PAGE)
    rows = page.rows
    chosen.decorate(outputs, rows)
    selected = _pick(rows, selected_pk)
    context = {
        "project": project, "program": project.program, "page": page, "outputs": rows, "selected": selected,
        "board": chosen, "next_pk": _neighbour(rows, selected, +1), "history": _history(request, selected),
        "total": lambda: board.total(outputs),
        "batches": lambda: board.project_batches(project),
        "vendors": Vendor.choices, "operations": Operation.choices,
        # Called by the template only where the page head renders (one COUNT), never for the board fragment.
        "held_count": lambda: _held_label(review.held_outputs(request.team).filter(task__sku__project=project)),
        # Called only where the page head renders: paid calls whose outcome a person must settle.
        "unknown_outcomes": lambda: held_tasks(request, sku__project=project),
        "may_regenerate": can(request.membership, GENERATE), "remake_token": new_form_token(),
        **large_view.context(selected, review.visible_outputs(request.membership)),
    }
    if is_fragment(request) and request.htmx.target == "review-preview":
        return render(request, f"{TEMPLATE}#preview", context, status=status)
    template = f"{TEMPLATE}#board" if is_fragment(request) else TEMPLATE
    return render(request, template, context, status=status)


def _held_label(held) -> str:
    """"" when nothing is held (the link then shows only where the gate is on), else the capped count."""
    label = board.total(held)
    return "" if label == "0" else label


def _pick(outputs, pk):
    pk = str(pk or "")
    return next((o for o in outputs if str(o.pk) == pk), outputs[0] if outputs else None)


def _neighbour(outputs, selected, step):
    if selected is None:
        return None
    index = outputs.index(selected) + step
    return outputs[index].pk if 0 <= index < len(outputs) else None


def _history(request, selected):
    return list(review.output_history(selected, request.membership)) if selected else []


def _after_decision(request, project, next_pk):
    if is_fragment(request):
        return _board(request, project, selected_pk=next_pk)
    chosen = board.Board.from_request(request, statuses=board.REVIEW_STATUSES, default_status="waiting")
    url = reverse("review_board", args=[project.pk])
    return redirect(f"{url}?{chosen.querystring}&selected={next_pk or ''}")


@require_GET
@member_required(REVIEW)
def review_board(request: HttpRequest, pk: int):
    return _board(request, team_project(request, pk), selected_pk=request.GET.get("selected"))


@require_POST
@member_required(REVIEW)
def review_decide(request: HttpRequest, pk: int):
    output = get_object_or_404(TaskOutput.objects.for_team(request.team).select_related("task__sku__project"), pk=pk)
    project = output.task.sku.project
    decision = request.POST.get("decision", "")
    try:
        review.decide(output, request.user, stage=ReviewStage.REVIEW, decision=decision,
                      comment=request.POST.get("comment", ""))
    except review.ReviewError as exc:
        messages.error(request, str(exc))
        return _after_decision(request, project, output.pk)
    if decision == Decision.REJECTED:
        inbox.output_rejected(output, request.user, request.POST.get("comment", ""))
    verb = "Approved" if decision == Decision.APPROVED else "Rejected"
    messages.success(request, f"{verb} an output of {output.task.sku.code}.")
    return _after_decision(request, project, request.POST.get("next"))


@require_POST
@member_required(REVIEW)
def review_bulk_approve(request: HttpRequest, pk: int):
    project = team_project(request, pk)
    ids = parse_ids(request.POST.getlist("outputs"))
    chosen = review.awaiting_review(project).filter(pk__in=ids)
    if not ids:
        messages.error(request, "Tick the outputs to approve first.")
    else:
        approved = review.bulk_approve(chosen, request.user)
        messages.success(request, f"Approved {approved} output{'s' if approved != 1 else ''}.")
    return _after_decision(request, project, None)


@require_POST
@member_required(GENERATE)
def task_regenerate(request: HttpRequest, pk: int):
    task = get_object_or_404(card_tasks(request), pk=pk)
    prompt = request.POST.get("prompt", task.prompt).strip()
    try:
        engine.regenerate(task, request.user, prompt)
    except (ValueError, IllegalTransition, LostRace):
        messages.error(request, f"This task is “{task.status}”: only a failed or rejected task can be regenerated.")
    except (VendorError, ConfigurationError) as exc:
        messages.error(request, f"Could not regenerate: {exc}")
    else:
        messages.success(request, f"Regenerating {task.sku.code} with the edited prompt.")
    if not is_fragment(request):
        return redirect(reverse("sku_detail", args=[task.sku_id]))
    task = get_object_or_404(card_tasks(request), pk=pk)
    prepare_cards(request, [task])
    return render(request, "generations/progress.html#task_card", {"task": task, "toasts": True})


@require_POST
@member_required(REVIEW)
def task_settle(request: HttpRequest, pk: int):
    """A manager settles a task held as "outcome unknown" (runs.StepRun.hold_unknown): submit again, after
    confirming the vendor's dashboard shows no job (it may charge again), or mark it failed."""
    task = get_object_or_404(card_tasks(request), pk=pk)
    decision = request.POST.get("decision", "")
    if decision not in (Decision.RESUBMITTED, Decision.MARKED_FAILED):
        messages.error(request, "Choose “submit again” or “mark failed”.")
    elif decision == Decision.RESUBMITTED and request.POST.get("confirm") != "yes":
        messages.error(request, f"Nothing was submitted: first confirm that the {task.account.get_vendor_display()} "
                                f"dashboard shows no job for this request (submitting again may charge again).")
    else:
        try:
            engine.resolve_held(task, request.user, decision)
        except engine.NotHeld as exc:
            messages.error(request, str(exc))
        else:
            record_audit(request, task, decision)
            messages.success(request, f"{task.sku.code}: submitted again." if decision == Decision.RESUBMITTED
                             else f"{task.sku.code}: marked failed.")
    if not is_fragment(request):
        return redirect(reverse("sku_detail", args=[task.sku_id]))
    task = get_object_or_404(card_tasks(request), pk=pk)
    prepare_cards(request, [task])
    return render(request, "generations/progress.html#task_card", {"task": task, "toasts": True})


def record_audit(request: HttpRequest, task, decision: str) -> None:
    """Money decisions go into the team's audit log too."""
    action = (audit.AuditAction.TASK_RESUBMITTED if decision == Decision.RESUBMITTED
              else audit.AuditAction.TASK_MARKED_FAILED)
    audit.record_request(request, action, f"task {task.pk}", sku=task.sku.code, vendor=task.account.vendor)


def held_tasks(request: HttpRequest, **scope):
    """Tasks of this scope held as "outcome unknown", as cards with the manager's two actions (at most 20)."""
    tasks = card_tasks(request).filter(step="hold", needs_attention=True, vendor_state__has_key="outcome_unknown",
                                       **scope).order_by("updated_at", "pk")[:20]
    return prepare_cards(request, tasks)
