"""Seek (keyset) pagination: a page is "the next N rows after this key", so page 500 costs what page 1 costs.

OFFSET pagination makes the database read and throw away every row before the page (and sort them all: on a deep
page of the review board PostgreSQL spilled that sort to disk, issue 17). A seek page asks for `key > last key`
ordered by the key with a LIMIT, which is a top-N read whatever the depth. The cursor carries the last (or first)
row's key values, base64-encoded JSON; it is not a secret (every row still goes through the view's team filter).

Counts: a board does not need to know there are exactly 12,417 outputs waiting, so `capped_count` stops at
CAP + 1 rows and the page says "1,000+" (a count of at most 1,001 index entries: the same few
milliseconds at 5,000 SKUs as at 50).
"""
import base64
import json
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property

CAP = 1_000


@dataclass
class SeekPage:
    rows: list
    next_cursor: str | None = None  # rows after the last one, if any
    prev_cursor: str | None = None  # rows before the first one, if any
    keys: tuple = field(default=())

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.prev_cursor)


def encode(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values), separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str | None, width: int) -> list | None:
    """The key values of a cursor, or None for a missing or mangled one (which means: the first page)."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        return None
    if not isinstance(values, list) or len(values) != width:
        return None
    if not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
        return None
    return values


def _beyond(keys: tuple, values: list, op: str) -> Q:
    """(k1, k2, …) > (v1, v2, …) in lexicographic order, written as ORs of ANDs (portable to SQLite)."""
    clauses = []
    for i, name in enumerate(keys):
        equal = {keys[j]: values[j] for j in range(i)}
        clauses.append(Q(**equal, **{f"{name}__{op}": values[i]}))
    return reduce(or_, clauses)


def seek(queryset: QuerySet, keys: tuple[str, ...], per_page: int, *, after: str | None = None,
         before: str | None = None) -> SeekPage:
    """One page of `queryset` in ascending order of `keys` (the last key must be unique, e.g. "pk")."""
    after_values, before_values = decode(after, len(keys)), decode(before, len(keys))
    if before_values is not None:
        rows = list(queryset.filter(_beyond(keys, before_values, "lt"))
                    .order_by(*(f"-{k}" for k in keys))[: per_page + 1])
        more_before = len(rows) > per_page
        rows = rows[:per_page][::-1]
        page = SeekPage(rows=rows, keys=keys)
        page.prev_cursor = _cursor(rows[0], keys) if more_before and rows else None
        page.next_cursor = _cursor(rows[-1], keys) if rows else None
        return page
    if after_values is not None:
        queryset = queryset.filter(_beyond(keys, after_values, "gt"))
    rows = list(queryset.order_by(*keys)[: per_page + 1])
    more_after = len(rows) > per_page
    rows = rows[:per_page]
    page = SeekPage(rows=rows, keys=keys)
    page.next_cursor = _cursor(rows[-1], keys) if more_after else None
    page.prev_cursor = _cursor(rows[0], keys) if after_values is not None and rows else None
    return page


def _cursor(row, keys) -> str:
    return encode(_value(row, k) for k in keys)


def _value(row, key: str):
    value = row
    for part in key.split("__"):
        value = getattr(value, part)
    return value if isinstance(value, (str, int)) else str(value)


def capped_count(queryset: QuerySet, cap: int | None = None) -> tuple[int, bool]:
    """How many rows, counting at most cap + 1 of them (CAP unless told): (count, more_than_cap)."""
    cap = CAP if cap is None else cap
    counted = queryset.order_by().values("pk")[: cap + 1].count()
    return min(counted, cap), counted > cap


def count_label(count: int, more: bool) -> str:
    return f"{count:,}+" if more else f"{count:,}"


def capped_label(queryset: QuerySet) -> str:
    """The capped count as a page shows it: "42", "1,000+"."""
    return count_label(*capped_count(queryset))


class CappedPaginator(Paginator):
    """Page-number pagination for a queue worked from its head (the moderation lane: every decision takes an item
    out): it counts at most CAP + 1 rows, so the count costs the same at 50 held outputs as at 5,000, and offers
    the pages within the cap ("1,000+ held"). The pages are top-N reads of an index that matches the order."""

    more = False

    @cached_property
    def count(self) -> int:
        counted, self.more = capped_count(self.object_list)
        return counted

    def label(self) -> str:
        return count_label(self.count, self.more)
