"""Deployment checks of the studio's own, run by `manage.py check --deploy` (make check-deploy, CI)."""
from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.caches, deploy=True)
def shared_cache(app_configs, **kwargs):
    """A per-process cache would give every web worker its own API throttle count: N workers, N times the limit."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("LocMemCache", "DummyCache")):
        return [Warning(
            "The cache is local to each process, so API throttling is per worker, not per key.",
            hint="Set CACHE_URL to a shared cache, e.g. redis://127.0.0.1:6379/2.", id="studio.W001")]
    return []
