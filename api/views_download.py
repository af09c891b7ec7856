"""The target of the API's signed download links (api/links.py): no session or key needed, the signature is the
permission, and it expires."""
from django.views.decorators.http import require_GET

from . import links


@require_GET
def download(request, token: str):
    return links.serve_token(token)
