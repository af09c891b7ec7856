"""The filters and groups of the review and client boards (issue 16.2), on seek pagination (issue 17).

A board is read from GET parameters — sku, vendor, batch, operation, status, group, after/before — so every link
(pager, group heading, large view) keeps the filters by carrying `querystring`. Grouping orders the rows by the
group's key and then by id; the key is annotated as `group_key`, so seek pagination works the same for every group.
Counts per group are computed only for the groups on the page (bounded by the page size), and the total is capped.
"""
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import CharField, Count, F, IntegerField, QuerySet, Value
from django.db.models.functions import Coalesce

from studio.ids import parse_id

from . import keyset
from .models import Batch, Operation, TaskStatus, Vendor

S = TaskStatus

# What each group orders by; the first element of the key is annotated as group_key.
GROUPS = {
    "sku": ("SKU", F("task__sku__code"), CharField()),
    "vendor": ("Vendor", F("task__account__vendor"), CharField()),
    "batch": ("Batch", Coalesce(F("task__batch_id"), Value(0)), IntegerField()),
    "operation": ("Operation", F("task__operation"), CharField()),
    "status": ("Status", F("review_status"), CharField()),
}

# Review board statuses: what a manager works through. "waiting" is the default queue.
REVIEW_STATUSES = {
    "waiting": ("Waiting for review", (S.REVIEW_SUBMITTED,)),
    "rejected": ("Rejected", (S.REVIEW_REJECTED, S.CLIENT_REJECTED)),
    "approved": ("Approved", (S.REVIEW_APPROVED, S.CLIENT_APPROVED)),
    "all": ("All", (S.REVIEW_SUBMITTED, S.REVIEW_REJECTED, S.REVIEW_APPROVED, S.CLIENT_APPROVED,
                    S.CLIENT_REJECTED)),
}
# Client board statuses, in the client's words.
CLIENT_STATUSES = {
    "awaiting": ("Awaiting you", (S.REVIEW_APPROVED,)),
    "approved": ("Approved", (S.CLIENT_APPROVED,)),
    "changes": ("Changes requested", (S.CLIENT_REJECTED,)),
    "all": ("All", (S.REVIEW_APPROVED, S.CLIENT_APPROVED, S.CLIENT_REJECTED)),
}
CLIENT_LABELS = {S.REVIEW_APPROVED: "Awaiting you", S.CLIENT_APPROVED: "Approved",
                 S.CLIENT_REJECTED: "Changes requested"}


@dataclass
class Board:
    """The filters a person chose, read from GET, and what they do to a queryset."""

    statuses: dict
    status: str
    group: str = "sku"
    sku: str = ""
    vendor: str = ""
    batch: int | None = None
    operation: str = ""
    after: str = ""
    before: str = ""
    client: bool = False
    batches: list = field(default_factory=list)

    @classmethod
    def from_request(cls, request, *, statuses: dict, default_status: str, client: bool = False) -> "Board":
        data = request.GET if request.method == "GET" else request.POST
        status = data.get("status", default_status)
        group = data.get("group", "sku")
        vendor = data.get("vendor", "")
        operation = data.get("operation", "")
        return cls(
            statuses=statuses, client=client,
            status=status if status in statuses else default_status,
            group=group if group in GROUPS and (not client or group in ("sku", "status")) else "sku",
            sku=(data.get("sku") or "").strip()[:100],
            vendor=vendor if vendor in Vendor.values and not client else "",
            batch=None if client else parse_id(data.get("batch")),
            operation=operation if operation in Operation.values and not client else "",
            after=(data.get("after") or "")[:400], before=(data.get("before") or "")[:400],
        )

    # --- the queryset -----------------------------------------------------------------------------------------------
    def apply(self, outputs: QuerySet) -> QuerySet:
        outputs = outputs.filter(review_status__in=self.statuses[self.status][1])
        if self.sku:
            outputs = outputs.filter(task__sku__code__icontains=self.sku)
        if self.vendor:
            outputs = outputs.filter(task__account__vendor=self.vendor)
        if self.batch:
            outputs = outputs.filter(task__batch_id=self.batch)
        if self.operation:
            outputs = outputs.filter(task__operation=self.operation)
        _label, expression, output_field = GROUPS[self.group]
        return outputs.annotate(group_key=expression if output_field is None
                                else _typed(expression, output_field))

    def page(self, outputs: QuerySet, per_page: int) -> keyset.SeekPage:
        page = keyset.seek(outputs, ("group_key", "pk"), per_page, after=self.after, before=self.before)
        page.next_qs = self.next_querystring(page) if page.next_cursor else ""
        page.prev_qs = self.prev_querystring(page) if page.prev_cursor else ""
        return page

    def group_counts(self, outputs: QuerySet, rows: list) -> dict:
        """Outputs per group, for the groups on this page only (one query, bounded by the page)."""
        keys = {row.group_key for row in rows}
        if not keys:
            return {}
        counted = outputs.filter(group_key__in=keys).order_by().values("group_key").annotate(n=Count("pk"))
        return {row["group_key"]: row["n"] for row in counted}

    def group_label(self, row) -> str:
        task = row.task
        if self.group == "sku":
            return f"{task.sku.code} {task.sku.name}".strip()
        if self.group == "vendor":
            return task.account.get_vendor_display()
        if self.group == "batch":
            return str(task.batch) if task.batch_id else "No batch"
        if self.group == "operation":
            return task.get_operation_display()
        return CLIENT_LABELS.get(row.review_status, row.review_status) if self.client else row.review_status

    def decorate(self, outputs: QuerySet, rows: list) -> None:
        """Mark the first row of each group with its heading and count (for the grid's group headings)."""
        counts = self.group_counts(outputs, rows)
        previous = object()
        for row in rows:
            row.group_start = row.group_key != previous
            if row.group_start:
                row.group_heading = self.group_label(row)
                row.group_count = counts.get(row.group_key, 0)
            previous = row.group_key

    # --- links ------------------------------------------------------------------------------------------------------
    def params(self, **override) -> dict:
        values = {"status": self.status, "group": self.group, "sku": self.sku, "vendor": self.vendor,
                  "batch": self.batch or "", "operation": self.operation, "after": self.after,
                  "before": self.before}
        values.update(override)
        return {k: v for k, v in values.items() if v not in ("", None)}

    @property
    def querystring(self) -> str:
        """The filters and the page, for links that must come back to this very page."""
        return urlencode(self.params())

    @property
    def filter_querystring(self) -> str:
        """The filters without the page, for links that start from the first page."""
        return urlencode(self.params(after="", before=""))

    def next_querystring(self, page) -> str:
        return urlencode(self.params(after=page.next_cursor, before=""))

    def prev_querystring(self, page) -> str:
        return urlencode(self.params(after="", before=page.prev_cursor))

    @property
    def status_choices(self):
        return [(key, label) for key, (label, _s) in self.statuses.items()]

    @property
    def group_choices(self):
        allowed = ("sku", "status") if self.client else tuple(GROUPS)
        return [(key, GROUPS[key][0]) for key in allowed]

    @property
    def status_label(self) -> str:
        return self.statuses[self.status][0]


def _typed(expression, output_field):
    from django.db.models import ExpressionWrapper

    return ExpressionWrapper(expression, output_field=output_field)


def project_batches(project, limit: int = 100) -> list:
    """The batch filter's choices: the project's most recent batches (a long history is cut)."""
    return list(Batch.objects.filter(project=project).order_by("-created_at", "-pk")[:limit])


def total(outputs: QuerySet) -> str:
    return keyset.capped_label(outputs)
