"""Project budgets: an optional cap in credits; a launch that would exceed it is refused before anything starts."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from catalog.models import Project

from .models import Task, TaskStatus

S = TaskStatus
ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=12, decimal_places=2))


class OverBudget(ValueError):
    """The launch would take the project over its budget; the message is for the person who clicked."""


def committed_credits(project: Project) -> Decimal:
    """What the project's tasks have cost or are expected to cost: the charge once known, else the estimate.
    Failed or cancelled tasks the vendor never charged hold nothing."""
    tasks = Task.objects.filter(sku__project=project).exclude(
        Q(status__in=[S.GENERATION_FAILED, S.EDITING_FAILED]) & Q(charged_credits=0))
    total = tasks.aggregate(total=Coalesce(Sum(Greatest("estimated_credits", "charged_credits")), ZERO))["total"]
    return Decimal(total)


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
    """Estimated against charged credits per vendor account, for the project page."""
    rows = (Task.objects.filter(sku__project=project).values("account__vendor", "account__name")
            .annotate(estimated=Coalesce(Sum("estimated_credits"), ZERO), charged=Coalesce(Sum("charged_credits"), ZERO),
                      tasks=Count("pk"))
            .order_by("account__name"))
    return [VendorSpend(r["account__vendor"], r["account__name"], r["estimated"], r["charged"], r["tasks"])
            for r in rows]


