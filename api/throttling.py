"""Every request is throttled per key (a signed-in person: per user), at STUDIO_API_RATE. Over it the answer is
429 with Retry-After (DRF's Throttled). The counters live in Django's cache: configure a shared cache (Redis) in
production so the limit holds across processes; the default local-memory cache counts per process."""
from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class PerKeyThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self):
        return settings.STUDIO_API_RATE

    def allow_request(self, request, view):
        self.rate = self.get_rate()  # read per request, so settings changes (and tests) apply
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        key = getattr(request._request, "api_key", None)
        if key is not None:
            ident = f"key-{key.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return f"throttle_{self.scope}_{ident}"
