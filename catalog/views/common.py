"""Small helpers shared by the catalog views."""
from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFilesSent
from django.core.files.uploadhandler import StopUpload
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from studio import roles
from studio.htmx import is_fragment  # noqa: F401 (re-exported for the catalog views)
from studio.roles import can

from .. import uploads
from ..images import THUMBNAIL_SIZE


def render_page(request, template: str, context: dict, partial: str):
    """One view serves the page and, for htmx requests, its named partial (Django 6 template partials)."""
    response = render(request, f"{template}#{partial}" if is_fragment(request) else template, context)
    patch_vary_headers(response, ("HX-Request",))  # a cache must not serve the fragment as the page
    return response


def permissions(request) -> dict[str, bool]:
    membership = request.membership
    return {
        "can_edit": can(membership, roles.EDIT),
        "can_upload": can(membership, roles.UPLOAD),
        "can_generate": can(membership, roles.GENERATE),
        "can_review": can(membership, roles.REVIEW),
        "can_client_review": can(membership, roles.CLIENT_REVIEW),
        "can_export": can(membership, roles.EXPORT),
    }


def count_of(queryset, link: str):
    """A correlated COUNT(*) subquery: counts in the same query as the rows, with no join fan-out."""
    counted = (queryset.filter(**{link: OuterRef("pk")}).order_by().values(link)
               .annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def first_of(queryset, link: str, column: str):
    """One column of the first related row (by the related queryset's ordering), as a subquery."""
    return Subquery(queryset.filter(**{link: OuterRef("pk")}).values(column)[:1])


class Cover:
    """The picture on a card: the thumbnail when the worker has made it, else the full image scaled by CSS."""

    BOX = max(THUMBNAIL_SIZE)

    def __init__(self, field, image_name: str, thumb_name: str, width: int, height: int):
        name = thumb_name or image_name
        self.url = field.storage.url(name) if name else ""
        scale = min(1.0, self.BOX / max(width or 1, height or 1))
        self.width = round((width or self.BOX) * scale)
        self.height = round((height or self.BOX) * scale)

    def __bool__(self):
        return bool(self.url)


def annotate_cover(queryset, images, link: str, image_column: str = "image"):
    """Annotate each row with its first image's names and size (four columns, still one query)."""
    return queryset.annotate(
        cover_image=first_of(images, link, image_column),
        cover_thumb=first_of(images, link, "thumbnail"),
        cover_width=first_of(images, link, "width"),
        cover_height=first_of(images, link, "height"),
    )


def attach_covers(rows, image_field) -> None:
    for row in rows:
        row.cover = Cover(image_field, row.cover_image, row.cover_thumb, row.cover_width, row.cover_height)


def parse_upload_body(request) -> str:
    """Parse a multipart body through the capped upload handler; a message for the user if the request breaks
    Django's limits (file count, form size). Call it from a csrf_exempt view whose inner view is csrf_protect:
    the CSRF middleware would otherwise read the body first, with the default handlers."""
    uploads.install_upload_handler(request)
    request.upload_refused = ""
    try:
        request.FILES  # noqa: B018 — parse now, so the limits surface here and not as a bare 400
    except TooManyFilesSent:
        return (f"Too many files in one upload: send at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} at a time. "
                "Nothing was added.")
    except RequestDataTooBig:
        return "The form is too large to accept. Nothing was added."
    except StopUpload:
        # The handler refused the body from its Content-Length, unread. Leave request.POST/FILES empty, so
        # nothing later tries to parse that body again.
        request._mark_post_parse_error()
    return request.upload_refused  # set by the handler when it refused the whole body


def require(request, permission: str) -> None:
    """A role check made after the object lookup: another team's object is a 404 for every role (for_team), and
    only an object the team can see is a 403 for a role that may not act on it."""
    membership = request.membership
    if not can(membership, permission):
        raise PermissionDenied(f"Your role ({membership.role}) may not do this.")
