"""Uwear's wire shapes shared by the adapter and the clothing-item / avatar sync (sync.py): one page of a listing,
the time fields, and the URL Uwear fetches our files from. Its own module so sync.py does not import the adapter
that calls it (no circle)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

@dataclass
class Page:
    """One page of a Uwear listing: {"current_page", "max_page", "total_count", "data": [...]}."""

    items: list[dict]
    current_page: int = 1
    max_page: int = 1
    total_count: int = 0
    raw: dict = field(default_factory=dict)

    @classmethod
    def parse(cls, body: dict) -> Page:
        return cls(list(body.get("data") or []), int(body.get("current_page") or 1), int(body.get("max_page") or 1),
                   int(body.get("total_count") or 0), body)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def public_url(file_field) -> str:
    """A URL Uwear can fetch for one of our stored files. The document takes sources as URLs only ("URL of any
    image", "External source image URL"; data URLs are not mentioned), so we send our storage URL: S3 gives an
    absolute (signed) URL, local media is served under STUDIO_PUBLIC_URL."""
    from studio.media import vendor_url

    return vendor_url(file_field)  # our /media/ view wants a session or this signed, expiring link
