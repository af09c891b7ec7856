"""What a client sees: the work, not the machinery (issue 16.4).

A client sees, for the projects shared with them, only outputs approved in review, each SKU's status in the
client's words (awaiting you / approved / changes requested), and their own decisions and comments. Task statuses,
vendors, batches, costs and counts of unapproved outputs never reach a client's page; internal pages answer 403.
"""
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from .models import ReviewEvent, ReviewStage, TaskOutput, TaskStatus

S = TaskStatus

AWAITING = "Awaiting you"
APPROVED = "Approved"
CHANGES = "Changes requested"
NOTHING_YET = "In progress at the studio"


def _count(status: str):
    counted = (TaskOutput.objects.filter(task__sku=OuterRef("pk"), review_status=status, flagged=False)
               .order_by().values("task__sku").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_client_counts(skus: QuerySet) -> QuerySet:
    """SKUs with the counts a client may know: approved by the studio and waiting, approved, changes requested."""
    return skus.annotate(client_awaiting=_count(S.REVIEW_APPROVED), client_approved=_count(S.CLIENT_APPROVED),
                         client_changes=_count(S.CLIENT_REJECTED))


def sku_status(awaiting: int, approved: int, changes: int) -> str:
    """One SKU's status in the client's words: what the client should do first wins."""
    if awaiting:
        return AWAITING
    if changes:
        return CHANGES
    if approved:
        return APPROVED
    return NOTHING_YET


def label_skus(skus) -> None:
    for sku in skus:
        sku.client_status = sku_status(sku.client_awaiting, sku.client_approved, sku.client_changes)
        sku.client_images = sku.client_awaiting + sku.client_approved + sku.client_changes


def sku_status_of(sku) -> str:
    counts = (TaskOutput.objects.filter(task__sku=sku, flagged=False)
              .aggregate(awaiting=Count("pk", filter=Q(review_status=S.REVIEW_APPROVED)),
                         approved=Count("pk", filter=Q(review_status=S.CLIENT_APPROVED)),
                         changes=Count("pk", filter=Q(review_status=S.CLIENT_REJECTED))))
    return sku_status(counts["awaiting"], counts["approved"], counts["changes"])


def own_decisions(user, outputs: QuerySet | None = None) -> QuerySet:
    """The client's own decisions and comments (never the studio's internal review notes)."""
    events = ReviewEvent.objects.filter(actor=user, stage=ReviewStage.CLIENT).select_related("output")
    if outputs is not None:
        events = events.filter(output__in=outputs)
    return events.order_by("-created_at", "-pk")
