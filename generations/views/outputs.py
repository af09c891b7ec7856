"""Output files, served from our storage after a tenancy (and client visibility) check; never a vendor URL.

On the local filesystem the bytes are streamed; on S3 the answer is a redirect to a short-lived presigned URL of
our own bucket, issued only after the same check.
"""
import mimetypes

from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from studio.tenancy import member_required

from .. import review


def _serve(field):
    if not field:
        raise Http404("No file.")
    try:
        path = field.path
    except NotImplementedError:  # remote storage: presigned URL of our bucket
        return HttpResponseRedirect(field.url)
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    try:
        response = FileResponse(open(path, "rb"), content_type=content_type)
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


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
