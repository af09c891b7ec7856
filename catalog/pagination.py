"""Every list that can grow is paginated: the page costs the same queries at 50 rows as at 5,000."""
from django.core.paginator import Page, Paginator

PER_PAGE = 50


def paginate(request, queryset, per_page: int = PER_PAGE) -> Page:
    """The requested page; an out-of-range or malformed ?page= falls back to the nearest valid page."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
