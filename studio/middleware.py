"""Request-wide security behaviour that no single view should have to remember.

- BadInputMiddleware: a number too large for the database (an id of 20 digits that slipped past a form) is the
  client's mistake: 400, never a 500 (issue 14.9). Views validate ids with studio.ids; this is the safety net.
- NoStoreMiddleware: pages for a signed-in user are never kept by a browser or proxy cache (issue 14.11); stored
  files keep the private caching the media view sets.
"""
import logging

from django.db import DataError
from django.http import HttpResponseBadRequest
from django.template import loader
from django.utils.cache import patch_cache_control

logger = logging.getLogger("studio.security")


class BadInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OverflowError) or (
                isinstance(exception, DataError) and "out of range" in str(exception)):
            logger.info("bad input on %s %s: %s", request.method, request.path, type(exception).__name__)
            body = loader.render_to_string("400.html", {"exception": "A number in the request is out of range."},
                                           request=request)
            return HttpResponseBadRequest(body)
        return None


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        # A view that chose its own caching keeps it: the checked media view lets the browser keep an image
        # privately for an hour (private, max-age=3600) so review grids do not download it on every swap.
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
        return response
