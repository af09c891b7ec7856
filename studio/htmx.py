"""htmx helpers shared by every app's views."""


def is_fragment(request) -> bool:
    """An htmx request for a part of the page. A boosted link or form (hx-boost on <body>) and htmx restoring a page
    from history want the whole page, exactly like a request without JavaScript."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request
