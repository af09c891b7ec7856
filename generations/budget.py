"""Project budgets: an optional cap in credits; a launch that would exceed it is refused before anything starts."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, Exists, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce

from catalog.models import Project

from .models import Task, TaskStatus

S = TaskStatus
# Running: not yet sent, or at the vendor (the same set the engine may still move on its own).
RUNNING = (S.TASK_CREATED, S.TASK_SUBMITTED, S.GENERATION_STARTED, S.GENERATION_IN_PROCESS, S.EDITING_SUBMITTED,
           S.EDITING_IN_PROCESS)
ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=12, decimal_places=2))


class OverBudget(ValueError):
    """The launch would take the project over its budget; the message is for the person who clicked."""


def committed_credits(project: Project) -> Decimal:
    """The estimate of the project's running tasks plus what the ledger charged (net of refunds).

    A task that failed, or was cancelled, before it reached the vendor holds nothing; a finished task holds what the
    vendor charged, not its estimate. Charges come from the batches' counters (batch_counts) and the estimate from
    the running tasks only (the status index finds them), so the cost does not grow with the project's history.
    A running task already charged for its current round counts its charge, not its estimate as well."""
    from .models import Batch, CreditEntry, CreditKind

    charged = Batch.objects.filter(project=project).aggregate(s=Coalesce(Sum("credits_charged"), ZERO))["s"]
    this_round_charged = CreditEntry.objects.filter(task=OuterRef("pk"), kind=CreditKind.CHARGE,
                                                    external_id=OuterRef("vendor_task_id"))
    running = (Task.objects.filter(sku__project=project, status__in=RUNNING)
               .exclude(Q(vendor_task_id__gt="") & Exists(this_round_charged)))
    estimated = running.aggregate(s=Coalesce(Sum("estimated_credits"), ZERO))["s"]
    return Decimal(charged) + Decimal(estimated)


def check_budget(project: Project, additional: Decimal) -> None:
    """Refuse, before anything is created or submitted, a launch that would take the project over its budget.
    Call inside the launching transaction, which holds the project row so two launches cannot both squeeze in."""
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if locked.budget_credits is None:
        return
    committed = committed_credits(locked)
    left = locked.budget_credits - committed
    if additional > left:
        raise OverBudget(f"This would cost about {additional:,.0f} credits, but the project has {max(left, 0):,.0f} "
                          f"of its {locked.budget_credits:,.0f}-credit budget left. Nothing was started.")


@dataclass
class VendorSpend:
    vendor: str
    account: str
    estimated: Decimal
    charged: Decimal
    tasks: int


def spend_by_vendor(project: Project) -> list[VendorSpend]:
    """Estimated against charged credits per vendor account, for the project page: from the batches' counters."""
    from .models import Batch

    rows = (Batch.objects.filter(project=project, account__isnull=False).values("account__vendor", "account__name")
            .annotate(estimated=Coalesce(Sum("credits_estimated"), ZERO), charged=Coalesce(Sum("credits_charged"), ZERO),
                      tasks=Coalesce(Sum("tasks_total"), 0))
            .order_by("account__name"))
    return [VendorSpend(r["account__vendor"], r["account__name"], r["estimated"], r["charged"], r["tasks"])
            for r in rows]
