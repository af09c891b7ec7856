"""Output files, served from our storage after a tenancy (and client visibility) check; never a vendor URL.

On the local filesystem the bytes are streamed; on S3 the answer is a redirect to a short-lived presigned URL of
our own bucket, issued only after the same check.
"""
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from studio import media
from studio.tenancy import member_required

from .. import review


def _serve(field):
    if not field:
        raise Http404("No file.")
    return media.serve(field.storage, field.name)


@require_GET
@member_required()
def output_file(request: HttpRequest, pk: int):
    output = get_object_or_404(review.visible_outputs(request.membership), pk=pk)
    return _serve(output.file)


@require_GET
@member_required()
def output_thumbnail(request: HttpRequest, pk: int):
    """The worker-made thumbnail; until it exists, the file itself (the browser scales it)."""
    output = get_object_or_404(review.visible_outputs(request.membership), pk=pk)
    return _serve(output.thumbnail or output.file)
